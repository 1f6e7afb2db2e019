#pragma once
// The image store's scratch directory (<root>/tmp), on the same filesystem as the blobs and
// layers, so that finished files are renamed into place, never copied. Every temporary file
// or directory in it is held by a Lease while something uses it; the lease removes it when
// it ends. sweep() removes whatever no lease holds: what a crash, a killed thread or a lost
// cleanup left behind. Thread-safe.
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

namespace berth::image {

class TempArea {
 public:
  explicit TempArea(std::filesystem::path dir) : dir_(std::move(dir)) {}
  TempArea(const TempArea&) = delete;
  TempArea& operator=(const TempArea&) = delete;

  [[nodiscard]] absl::Status init();  // creates the directory
  const std::filesystem::path& dir() const { return dir_; }

  // A name in the area held for the lease's lifetime. Nothing is created: the holder
  // creates a file or a directory at path(). When the lease ends, whatever is at path() is
  // removed (a file, or a directory with everything in it); a file renamed away meanwhile
  // leaves nothing to remove.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept;
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { end(); }
    const std::filesystem::path& path() const { return path_; }
    // Removes what is at path() now and gives the name back.
    void end();

   private:
    friend class TempArea;
    Lease(TempArea* area, std::filesystem::path p) : area_(area), path_(std::move(p)) {}
    TempArea* area_ = nullptr;
    std::filesystem::path path_;
  };

  // A fresh, unique name "<prefix>-<random>".
  Lease lease(std::string_view prefix) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes every entry of the directory that no lease holds; returns how many.
  absl::StatusOr<size_t> sweep() ABSL_LOCKS_EXCLUDED(mu_);
  size_t leases() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void release(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);

  const std::filesystem::path dir_;
  mutable absl::Mutex mu_;
  std::set<std::string> leased_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::image
