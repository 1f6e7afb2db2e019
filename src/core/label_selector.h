#pragma once
// CRI list filters: a label selector matches when every key=value pair is present.
#include <map>
#include <string>

namespace berth::core {

inline bool labels_match(const std::map<std::string, std::string>& labels,
                         const std::map<std::string, std::string>& selector) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace berth::core
