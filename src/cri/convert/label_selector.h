#pragma once
// Kubernetes label syntax for list filters: key = [prefix/]name, name and value at most 63
// characters of [A-Za-z0-9._-] beginning and ending alphanumeric (value may be empty).
#include <map>
#include <string>

#include <absl/status/status.h>

namespace berth::cri {

absl::Status validate_label_selector(const std::map<std::string, std::string>& selector, std::string_view field);

}  // namespace berth::cri
