#pragma once
// Reads a container log file as it grows, the way `tail -F` does: the writer may rotate
// it (rename + new file at the same path) or truncate it, and the reader follows.
#include <sys/types.h>

#include <filesystem>
#include <string>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::cli {

class LogFileReader {
 public:
  explicit LogFileReader(std::filesystem::path path) : path_(std::move(path)) {}

  // Opens the file at its start. NotFound when it does not exist (yet).
  absl::Status open();

  struct Chunk {
    std::string data;       // bytes appended since the last read
    bool reopened = false;  // the old file is done; later data comes from a new file
  };
  // Returns what was appended since the last call (at most max_bytes). Once the open file
  // is drained: when the path now names another file, switches to it (reopened = true,
  // no data); when the file shrank, starts over from its beginning (reopened = true).
  absl::StatusOr<Chunk> read_more(size_t max_bytes = 64 * 1024);

  const std::filesystem::path& path() const { return path_; }

 private:
  absl::StatusOr<std::string> read_available(size_t max_bytes);

  std::filesystem::path path_;
  UniqueFd fd_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t offset_ = 0;
};

}  // namespace berth::cli
