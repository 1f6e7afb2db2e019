#include "spec/env.h"

#include <algorithm>
#include <utility>

#include "spec/defaults.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

class EnvList {
 public:
  void set(std::string key, std::string value) {
    auto it = find(key);
    if (it != vars_.end()) it->second = std::move(value);
    else vars_.emplace_back(std::move(key), std::move(value));
  }
  void set_if_absent_front(std::string key, std::string value) {
    if (find(key) == vars_.end()) vars_.insert(vars_.begin(), {std::move(key), std::move(value)});
  }
  void set_if_absent(std::string key, std::string value) {
    if (find(key) == vars_.end()) vars_.emplace_back(std::move(key), std::move(value));
  }
  std::vector<std::string> render() const {
    std::vector<std::string> out;
    out.reserve(vars_.size());
    for (const auto& [k, v] : vars_) out.push_back(k + "=" + v);
    return out;
  }

 private:
  using Vars = std::vector<std::pair<std::string, std::string>>;
  Vars::iterator find(const std::string& key) {
    return std::find_if(vars_.begin(), vars_.end(), [&](const auto& kv) { return kv.first == key; });
  }
  Vars vars_;  // few entries: a linear search keeps the order with no second index
};

}  // namespace

absl::StatusOr<std::vector<std::string>> process_env(const ContainerInput& c, const std::vector<std::string>& image_env,
                                                     const std::string& hostname) {
  EnvList env;
  for (const std::string& kv : image_env) {
    const size_t eq = kv.find('=');
    if (eq == 0 || kv.empty()) continue;  // "=x" names nothing; the image spec requires KEY=VALUE
    // "KEY" without '=' is read as an empty value rather than passed through malformed.
    env.set(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  for (const auto& [key, value] : c.envs) {
    if (key.empty()) return invalid_input(c.name, "envs: a key is empty (value \"{}\")", value);
    if (key.find('=') != std::string::npos) return invalid_input(c.name, "envs: key \"{}\" contains '='", key);
    env.set(key, value);
  }
  env.set_if_absent_front("PATH", std::string(kDefaultPath));
  if (!hostname.empty()) env.set_if_absent("HOSTNAME", hostname);
  return env.render();
}

}  // namespace berth::spec
