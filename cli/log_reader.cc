#include "cli/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/status.h"

namespace berth::cli {

absl::Status LogFileReader::open() {
  UniqueFd fd{::open(path_.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return errno_error("open log file {}", path_.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error("stat log file {}", path_.string());
  fd_ = std::move(fd);
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  offset_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::string> LogFileReader::read_available(size_t max_bytes) {
  std::string data(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    const ssize_t n = ::pread(fd_.get(), data.data() + got, max_bytes - got, offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read log file {}", path_.string());
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
    offset_ += n;
  }
  data.resize(got);
  return data;
}

absl::StatusOr<LogFileReader::Chunk> LogFileReader::read_more(size_t max_bytes) {
  if (!fd_) RETURN_IF_ERROR(open());
  Chunk chunk;
  ASSIGN_OR_RETURN(chunk.data, read_available(max_bytes));
  if (!chunk.data.empty()) return chunk;

  // Drained. Has the file been truncated in place, or replaced at its path?
  struct stat cur {};
  if (::fstat(fd_.get(), &cur) == 0 && cur.st_size < offset_) {
    offset_ = 0;
    chunk.reopened = true;
    return chunk;
  }
  struct stat at_path {};
  if (::stat(path_.c_str(), &at_path) != 0) return chunk;  // mid-rotation: keep the old file
  if (at_path.st_dev == dev_ && at_path.st_ino == ino_) return chunk;
  // Replaced. The writer may have appended to the old file just before moving it away.
  ASSIGN_OR_RETURN(chunk.data, read_available(max_bytes));
  if (!chunk.data.empty()) return chunk;
  if (open().ok()) chunk.reopened = true;
  return chunk;
}

}  // namespace berth::cli
