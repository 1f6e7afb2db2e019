// A streaming session over SPDY/3.1, as kubectl and crictl open one: an HTTP upgrade offering
// the channel.k8s.io versions, then one client stream per channel named by its streamtype
// header. The framing and header compression are berth's own (stream/spdy_frame.h), the same
// the server uses.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "cli/stream_connection.h"
#include "cli/tcp_dial.h"
#include "stream/spdy_frame.h"

namespace berth::cli {
namespace {

namespace spdy = berth::stream::spdy;

constexpr std::string_view kProtocols[] = {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
                                           "channel.k8s.io"};

class SpdyConnection final : public StreamConnection {
 public:
  SpdyConnection(UniqueFd fd, std::string protocol) : fd_(std::move(fd)), protocol_(std::move(protocol)) {}

  // Opens the error stream, then the ones asked for, as kubectl does.
  absl::Status open_streams(const SessionStreams& s, std::string early) {
    RETURN_IF_ERROR(open(StreamChannel::Error, "error"));
    if (s.stdin) RETURN_IF_ERROR(open(StreamChannel::Stdin, "stdin"));
    if (s.stdout) RETURN_IF_ERROR(open(StreamChannel::Stdout, "stdout"));
    if (s.stderr && !s.tty) RETURN_IF_ERROR(open(StreamChannel::Stderr, "stderr"));
    const bool resize = protocol_ != "v2.channel.k8s.io" && protocol_ != "channel.k8s.io";
    if (s.tty && resize) RETURN_IF_ERROR(open(StreamChannel::Resize, "resize"));
    return take(early);
  }

  absl::Status send(StreamChannel c, std::string_view data) override {
    auto it = ids_.find(c);
    if (it == ids_.end()) return absl::OkStatus();  // not asked for (resize on v2)
    return write(spdy::DataFrame{.stream_id = it->second, .data = std::string(data)});
  }
  absl::Status close_stdin() override {
    auto it = ids_.find(StreamChannel::Stdin);
    if (it == ids_.end()) return absl::OkStatus();
    return write(spdy::DataFrame{.stream_id = it->second, .fin = true});
  }

  absl::StatusOr<std::optional<StreamOutput>> next() override {
    for (;;) {
      if (!ready_.empty()) {
        StreamOutput out = std::move(ready_.front());
        ready_.pop_front();
        return std::optional<StreamOutput>(std::move(out));
      }
      if (ended_) return std::optional<StreamOutput>();
      char buf[64 * 1024];
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_error("streaming session: read");
      if (n == 0) {
        ended_ = true;
        continue;
      }
      RETURN_IF_ERROR(take(std::string_view(buf, static_cast<size_t>(n))));
    }
  }

  const std::string& protocol() const override { return protocol_; }

 private:
  absl::Status open(StreamChannel c, std::string_view type) {
    const uint32_t id = next_id_;
    next_id_ += 2;
    ids_[c] = id;
    channels_[id] = c;
    return write(spdy::SynStream{.stream_id = id, .headers = {{"streamtype", std::string(type)}}});
  }

  // Bytes from the server: data goes to ready_, PINGs are answered, GOAWAY ends the session.
  absl::Status take(std::string_view bytes) {
    std::vector<spdy::Frame> frames;
    RETURN_IF_ERROR(annotate(codec_in_.feed(bytes, frames), "streaming session"));
    for (spdy::Frame& f : frames) {
      if (auto* d = std::get_if<spdy::DataFrame>(&f)) {
        auto it = channels_.find(d->stream_id);
        if (it != channels_.end() && !d->data.empty()) ready_.push_back({it->second, std::move(d->data)});
      } else if (auto* p = std::get_if<spdy::Ping>(&f)) {
        RETURN_IF_ERROR(write(*p));
      } else if (std::holds_alternative<spdy::GoAway>(f)) {
        ended_ = true;
      }
    }
    return absl::OkStatus();
  }

  absl::Status write(const spdy::Frame& f) {
    std::lock_guard<std::mutex> lock(write_mu_);  // one header compressor for every stream
    return write_all(fd_.get(), codec_out_.encode(f));
  }

  UniqueFd fd_;
  const std::string protocol_;
  std::mutex write_mu_;
  spdy::Codec codec_out_;  // guarded by write_mu_
  spdy::Codec codec_in_;   // next()'s thread only
  uint32_t next_id_ = 1;
  std::map<StreamChannel, uint32_t> ids_;
  std::map<uint32_t, StreamChannel> channels_;
  std::deque<StreamOutput> ready_;
  bool ended_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StreamConnection>> dial_spdy(const StreamUrl& url, const SessionStreams& streams) {
  ASSIGN_OR_RETURN(UniqueFd fd, tcp_dial(url.host, url.port));
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n", url.target, url.host, url.port);
  for (std::string_view p : kProtocols) request += fmt::format("X-Stream-Protocol-Version: {}\r\n", p);
  request += "Content-Length: 0\r\n\r\n";
  RETURN_IF_ERROR(write_all(fd.get(), request));
  ASSIGN_OR_RETURN(UpgradeAnswer answer, read_upgrade_answer(fd.get()));
  if (answer.status != 101)
    return absl::FailedPreconditionError(
        fmt::format("the streaming server answered {}: {}", answer.status, answer.body));
  const std::string protocol = answer.header("x-stream-protocol-version");
  auto c = std::make_unique<SpdyConnection>(std::move(fd), protocol);
  RETURN_IF_ERROR(c->open_streams(streams, std::move(answer.rest)));
  return std::unique_ptr<StreamConnection>(std::move(c));
}

}  // namespace berth::cli
