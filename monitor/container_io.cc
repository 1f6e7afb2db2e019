#include "monitor/container_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/status.h"

namespace berth::monitor {
namespace {

constexpr size_t kCaptureTail = 4096;
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

absl::Status CriLogFile::open() {
  UniqueFd fd{::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640)};
  if (!fd) return errno_error("open log file {}", path_.string());
  fd_ = std::move(fd);
  write_failed_ = false;
  return absl::OkStatus();
}

absl::Status CriLogFile::reopen() {
  fd_.reset();
  return open();
}

void CriLogFile::write(std::string_view records) {
  if (!fd_) return;
  while (!records.empty()) {
    ssize_t n = ::write(fd_.get(), records.data(), records.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!write_failed_) BERTH_LOG(warn, "log file {}: write failed: {}", path_.string(), std::strerror(errno));
      write_failed_ = true;
      return;
    }
    records.remove_prefix(static_cast<size_t>(n));
  }
}

ContainerIo::ContainerIo(sys::EventLoop& loop, std::string id, std::filesystem::path log_path, const Clock& clock)
    : loop_(loop), id_(std::move(id)), log_(std::move(log_path)), clock_(clock) {}

ContainerIo::~ContainerIo() {
  for (auto& s : sources_) loop_.remove_fd(s->fd.get());
}

absl::Status ContainerIo::add_source(UniqueFd fd, Stream stream) {
  if (::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) return errno_error("fcntl O_NONBLOCK");
  auto src = std::make_unique<Source>(Source{std::move(fd), stream, CriLineFramer()});
  Source* raw = src.get();
  RETURN_IF_ERROR(loop_.add_fd(raw->fd.get(), EPOLLIN, [this, raw](uint32_t) {
    if (!read_source(*raw)) end_source(*raw);
  }));
  sources_.push_back(std::move(src));
  return absl::OkStatus();
}

bool ContainerIo::read_source(Source& s) {
  char buf[kReadChunk];
  for (;;) {
    ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n > 0) {
      on_output(s, std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF; EIO once a pty's last slave closed
  }
}

void ContainerIo::on_output(Source& s, std::string_view data) {
  if (capture_on_) {
    capture_.append(data);
    if (capture_.size() > 2 * kCaptureTail) capture_.erase(0, capture_.size() - kCaptureTail);
    return;
  }
  if (listener_) listener_(s.stream, data);
  if (!log_.enabled()) return;
  const std::string ts = format_cri_timestamp(clock_.now());
  std::string records;
  s.framer.feed(data, [&](bool partial, std::string_view content) {
    append_cri_record(records, ts, s.stream, partial, content);
  });
  log_.write(records);
}

void ContainerIo::end_source(Source& s) {
  if (!capture_on_ && log_.enabled()) {
    std::string records;
    const std::string ts = format_cri_timestamp(clock_.now());
    s.framer.flush([&](bool partial, std::string_view content) {
      append_cri_record(records, ts, s.stream, partial, content);
    });
    log_.write(records);
  }
  loop_.remove_fd(s.fd.get());
  auto it = std::find_if(sources_.begin(), sources_.end(), [&](const auto& p) { return p.get() == &s; });
  if (it != sources_.end()) sources_.erase(it);  // destroys s
}

void ContainerIo::drain() {
  // end_source() erases from sources_, so walk a snapshot of the pointers.
  std::vector<Source*> now;
  for (auto& s : sources_) now.push_back(s.get());
  for (Source* s : now)
    if (!read_source(*s)) end_source(*s);
}

void ContainerIo::close() {
  drain();
  while (!sources_.empty()) end_source(*sources_.back());
}

}  // namespace berth::monitor
