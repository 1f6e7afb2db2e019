#include "cri/convert/label_selector.h"

#include <cctype>

#include <fmt/format.h>

namespace berth::cri {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool valid_prefix(std::string_view s) {  // a DNS subdomain
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || !alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label)
      if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
        return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

absl::Status validate_label_selector(const std::map<std::string, std::string>& selector, std::string_view field) {
  for (const auto& [key, value] : selector) {
    std::string_view k = key, name = k;
    if (size_t slash = k.find('/'); slash != std::string_view::npos) {
      if (!valid_prefix(k.substr(0, slash)))
        return absl::InvalidArgumentError(fmt::format("{}: label key \"{}\" has an invalid prefix", field, key));
      name = k.substr(slash + 1);
    }
    if (!valid_name(name))
      return absl::InvalidArgumentError(fmt::format("{}: label key \"{}\" is not a valid label name", field, key));
    if (!value.empty() && !valid_name(value))
      return absl::InvalidArgumentError(
          fmt::format("{}: label value \"{}\" for key \"{}\" is not a valid label value", field, value, key));
  }
  return absl::OkStatus();
}

}  // namespace berth::cri
