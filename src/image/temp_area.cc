#include "image/temp_area.h"

#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/status.h"
#include "sys/fs.h"

namespace berth::image {
namespace fs = std::filesystem;

TempArea::Lease::Lease(Lease&& o) noexcept : area_(std::exchange(o.area_, nullptr)), path_(std::move(o.path_)) {
  o.path_.clear();
}

TempArea::Lease& TempArea::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    end();
    area_ = std::exchange(o.area_, nullptr);
    path_ = std::move(o.path_);
    o.path_.clear();
  }
  return *this;
}

void TempArea::Lease::end() {
  if (area_ == nullptr) return;
  // Removed before the name is given back, so a sweep never races with this removal.
  if (absl::Status s = sys::remove_tree(path_); !s.ok()) BERTH_LOG(warn, "image store: {}", s.ToString());
  area_->release(path_.filename().string());
  area_ = nullptr;
  path_.clear();
}

absl::Status TempArea::init() { return sys::make_dirs(dir_, 0700); }

TempArea::Lease TempArea::lease(std::string_view prefix) {
  absl::MutexLock l(&mu_);
  for (;;) {
    std::string name = fmt::format("{}-{}", prefix, random_hex_id().substr(0, 16));
    if (leased_.insert(name).second) return Lease(this, dir_ / name);
  }
}

void TempArea::release(const std::string& name) {
  absl::MutexLock l(&mu_);
  leased_.erase(name);
}

size_t TempArea::leases() const {
  absl::MutexLock l(&mu_);
  return leased_.size();
}

absl::StatusOr<size_t> TempArea::sweep() {
  std::vector<fs::path> stale;
  {
    // Listed under the lock: a name leased after this point is not in the list.
    absl::MutexLock l(&mu_);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec))
      if (!leased_.contains(e.path().filename().string())) stale.push_back(e.path());
    if (ec && ec != std::errc::no_such_file_or_directory)
      return absl::InternalError(fmt::format("list {}: {}", dir_.string(), ec.message()));
  }
  // Names are random and never leased twice, so nothing new can appear at these paths.
  for (const fs::path& p : stale) RETURN_IF_ERROR(sys::remove_tree(p));
  return stale.size();
}

}  // namespace berth::image
