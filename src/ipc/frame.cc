#include "ipc/frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::ipc {
namespace {

// Milliseconds left until `deadline` for poll(2): -1 for none, 0 when passed.
int poll_timeout(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  if (ms <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(ms + 1, 1 << 30));
}

// Waits until `fd` is ready for `events`; DeadlineExceeded when the deadline passes first.
absl::Status wait_ready(int fd, short events, absl::Time deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int timeout = poll_timeout(deadline);
    int n = ::poll(&p, 1, timeout);
    if (n > 0) return absl::OkStatus();
    if (n == 0) return absl::DeadlineExceededError("monitor did not answer in time");
    if (errno != EINTR) return errno_error("poll");
  }
}

}  // namespace

std::string encode_frame(const nlohmann::json& msg) {
  const std::string body = msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto n = static_cast<uint32_t>(body.size());
  std::string out;
  out.reserve(kHeaderBytes + body.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += body;
  return out;
}

size_t FrameDecoder::feed(std::string_view data) {
  if (!error_.ok() || done()) return 0;
  size_t used = 0;
  while (!header_done_ && used < data.size()) {
    header_[header_len_++] = static_cast<unsigned char>(data[used++]);
    if (header_len_ == kHeaderBytes) {
      length_ = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) | (uint32_t{header_[2]} << 8) |
                uint32_t{header_[3]};
      if (length_ > max_payload_) {
        error_ = absl::InvalidArgumentError(
            fmt::format("frame of {} bytes is larger than the limit of {} bytes", length_, max_payload_));
        return used;
      }
      header_done_ = true;
    }
  }
  if (header_done_) {
    // Grow with the data that arrives, never by the announced length alone.
    const size_t take = std::min(data.size() - used, static_cast<size_t>(length_) - payload_.size());
    payload_.append(data.substr(used, take));
    used += take;
  }
  return used;
}

absl::StatusOr<nlohmann::json> FrameDecoder::message() const {
  if (!error_.ok()) return error_;
  if (!done()) return absl::InvalidArgumentError("incomplete frame");
  return parse_object(payload_);
}

absl::StatusOr<nlohmann::json> parse_object(std::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (j.is_discarded()) return absl::InvalidArgumentError("frame payload is not valid JSON");
  if (!j.is_object()) return absl::InvalidArgumentError("frame payload is not a JSON object");
  return j;
}

absl::Status write_frame(int fd, const nlohmann::json& msg, absl::Time deadline) {
  const std::string frame = encode_frame(msg);
  std::string_view rest = frame;
  while (!rest.empty()) {
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      rest.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      RETURN_IF_ERROR(wait_ready(fd, POLLOUT, deadline));
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
      return absl::UnavailableError("monitor closed the connection while the request was sent");
    return errno_error("send request");
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> read_frame(int fd, size_t max_payload, absl::Time deadline, std::string* rest) {
  FrameDecoder decoder(max_payload);
  std::string buf(64 * 1024, '\0');
  while (!decoder.done()) {
    RETURN_IF_ERROR(wait_ready(fd, POLLIN, deadline));
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (errno == ECONNRESET) return absl::UnavailableError("monitor reset the connection");
      return errno_error("recv response");
    }
    if (n == 0) {
      return absl::UnavailableError(decoder.partial() ? "monitor closed the connection in the middle of a response"
                                                      : "monitor closed the connection without answering");
    }
    std::string_view data(buf.data(), static_cast<size_t>(n));
    const size_t used = decoder.feed(data);
    RETURN_IF_ERROR(decoder.error());
    if (used < data.size()) {
      if (rest == nullptr) return absl::InvalidArgumentError("unexpected bytes after the frame");
      rest->assign(data.substr(used));
    }
  }
  return decoder.message();
}

}  // namespace berth::ipc
