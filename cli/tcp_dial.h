#pragma once
// What berthctl's streaming clients need below the protocols: a TCP connection to the
// streaming server, whole writes, and the HTTP answer to an upgrade request.
#include <map>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::cli {

absl::StatusOr<UniqueFd> tcp_dial(const std::string& host, const std::string& port);
absl::Status write_all(int fd, std::string_view data);

struct UpgradeAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;  // when the answer is not 101: what the server said
  std::string rest;  // with 101: bytes read past the header (the protocol's first)
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};
// Reads the answer's header; for an answer other than 101, its body too (to EOF).
absl::StatusOr<UpgradeAnswer> read_upgrade_answer(int fd);

}  // namespace berth::cli
