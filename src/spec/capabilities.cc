// The capability rule, as kubelet users know it from CRI-O and containerd:
//
//   1. start from the default set (defaults.cc); "ALL" in add starts from every capability
//      instead, and "ALL" in drop starts from nothing (drop ALL wins over add ALL);
//   2. add each named capability of add_capabilities;
//   3. remove each named capability of drop_capabilities: for one capability in both
//      lists, drop wins.
//
// So drop ALL + add NET_ADMIN is exactly NET_ADMIN, and add ALL + drop CHOWN is everything
// but CHOWN. A privileged container gets every capability regardless of the lists (whose
// names are still checked). Ambient capabilities must be in the granted set, since the
// kernel only raises an ambient capability that is permitted and inheritable.
#include "spec/capabilities.h"

#include <algorithm>
#include <cctype>

#include "base/status.h"
#include "spec/defaults.h"
#include "spec/errors.h"

namespace berth::spec {
namespace {

bool is_all(std::string_view name) {
  return name.size() == 3 && std::toupper(static_cast<unsigned char>(name[0])) == 'A' &&
         std::toupper(static_cast<unsigned char>(name[1])) == 'L' &&
         std::toupper(static_cast<unsigned char>(name[2])) == 'L';
}

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

void insert(std::vector<std::string>& v, std::string s) {
  if (!contains(v, s)) v.push_back(std::move(s));
}

// The canonical names of one CRI list; "ALL" sets *all (when allowed).
absl::StatusOr<std::vector<std::string>> canonical_list(const ContainerInput& c, const std::vector<std::string>& names,
                                                        std::string_view field, bool* all) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (is_all(n)) {
      if (all == nullptr) return invalid_input(c.name, "{} cannot be \"{}\"", field, n);
      *all = true;
      continue;
    }
    std::optional<std::string> cap = canonical_capability(n);
    if (!cap) return invalid_input(c.name, "{} \"{}\" is not a Linux capability", field, n);
    out.push_back(std::move(*cap));
  }
  return out;
}

}  // namespace

std::optional<std::string> canonical_capability(std::string_view name) {
  std::string upper;
  for (char ch : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (upper.rfind("CAP_", 0) != 0) upper.insert(0, "CAP_");
  for (std::string_view known : all_capabilities())
    if (known == upper) return upper;
  return std::nullopt;
}

absl::StatusOr<CapabilitySets> resolve_capabilities(const ContainerInput& c,
                                                    const std::optional<std::vector<std::string>>& node) {
  bool add_all = false, drop_all = false;
  ASSIGN_OR_RETURN(std::vector<std::string> add, canonical_list(c, c.capabilities.add, "add_capabilities", &add_all));
  ASSIGN_OR_RETURN(std::vector<std::string> drop, canonical_list(c, c.capabilities.drop, "drop_capabilities", &drop_all));
  ASSIGN_OR_RETURN(std::vector<std::string> ambient,
                   canonical_list(c, c.capabilities.add_ambient, "add_ambient_capabilities", nullptr));
  auto node_has = [&](std::string_view cap) { return !node || contains(*node, cap); };

  // Every capability the node holds: what privileged and "ALL" mean.
  std::vector<std::string> everything;
  if (node) {
    everything = *node;
  } else {
    for (std::string_view cap : all_capabilities()) everything.emplace_back(cap);
  }

  CapabilitySets out;
  if (c.privileged) {
    out.granted = std::move(everything);
  } else {
    if (drop_all) {
      // nothing to start from
    } else if (add_all) {
      out.granted = std::move(everything);
    } else {
      // The default set, cut down to the node's: runc fails the start ("unable to apply
      // caps") when asked for more than it holds.
      for (std::string_view cap : default_capabilities())
        if (node_has(cap)) out.granted.emplace_back(cap);
    }
    for (std::string& cap : add) {
      if (!node_has(cap))
        return unsupported_on_node(c.name, "add_capabilities asks for {}, which berthd does not hold itself", cap);
      insert(out.granted, std::move(cap));
    }
    std::erase_if(out.granted, [&](const std::string& cap) { return contains(drop, cap); });
  }

  for (std::string& cap : ambient) {
    if (!contains(out.granted, cap))
      return invalid_input(c.name, "add_ambient_capabilities {} is not among the container's capabilities", cap);
    insert(out.ambient, std::move(cap));
  }
  return out;
}

nlohmann::json capabilities_json(const CapabilitySets& caps) {
  nlohmann::json j{{"bounding", caps.granted}, {"effective", caps.granted}, {"permitted", caps.granted}};
  if (!caps.ambient.empty()) {
    j["inheritable"] = caps.ambient;
    j["ambient"] = caps.ambient;
  }
  return j;
}

}  // namespace berth::spec
