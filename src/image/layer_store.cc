#include "image/layer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include <absl/cleanup/cleanup.h>
#include <fmt/format.h>

#include "base/cleanup_stack.h"
#include "base/ids.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "sys/fs.h"

namespace berth::image {
namespace fs = std::filesystem;

LayerStore::LayerStore(fs::path dir, UnpackOptions opts) : dir_(std::move(dir)), opts_(opts) {}

absl::Status LayerStore::init() { return sys::make_dirs(dir_, 0700); }

fs::path LayerStore::path(const oci::Digest& diff_id) const { return dir_ / std::string(diff_id.hex()); }

bool LayerStore::contains(const oci::Digest& diff_id) const {
  struct stat st{};
  return ::lstat(path(diff_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string LayerStore::claim(std::string_view kind, const oci::Digest& diff_id) {
  absl::MutexLock l(&mu_);
  for (;;) {
    std::string name = fmt::format(".{}-{}-{}", kind, diff_id.hex().substr(0, 12), random_hex_id().substr(0, 8));
    if (active_.insert(name).second) return name;
  }
}

void LayerStore::unclaim(const std::string& name) {
  absl::MutexLock l(&mu_);
  active_.erase(name);
}

absl::Status LayerStore::unpack(const fs::path& blob, const oci::Digest& diff_id) {
  const std::string name = claim("tmp", diff_id);
  absl::Cleanup release = [&] { unclaim(name); };  // after the undo below has run
  const fs::path tmp = dir_ / name;
  if (::mkdir(tmp.c_str(), 0755) != 0) return errno_error("mkdir {}", tmp.string());
  CleanupStack undo;
  undo.push("remove " + tmp.string(), [tmp] { return sys::remove_tree(tmp); });
  // mkdir honours the umask; the root of a layer is the container's "/" unless the tar says.
  if (::chmod(tmp.c_str(), 0755) != 0) return errno_error("chmod {}", tmp.string());

  ASSIGN_OR_RETURN(UnpackResult r, unpack_layer(blob, tmp, opts_));
  if (r.diff_id != diff_id)
    return absl::InvalidArgumentError(fmt::format(
        "uncompressed content is {}, but the image config says {}: the layer is corrupt", r.diff_id.str(), diff_id.str()));
  {
    // One flush of the filesystem instead of an fsync per file: the layer must be on disk
    // before the rename makes it visible.
    UniqueFd fd{::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!fd || ::syncfs(fd.get()) != 0) return errno_error("sync {}", tmp.string());
  }
  const fs::path dst = path(diff_id);
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    // Another import unpacked the same layer meanwhile: keep theirs.
    if ((errno == EEXIST || errno == ENOTEMPTY) && contains(diff_id)) return absl::OkStatus();
    return errno_error("rename {} to {}", tmp.string(), dst.string());
  }
  undo.commit();
  UniqueFd d{::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!d || ::fsync(d.get()) != 0) return errno_error("fsync {}", dir_.string());
  return absl::OkStatus();
}

absl::StatusOr<fs::path> LayerStore::retire(const oci::Digest& diff_id) {
  const fs::path from = path(diff_id);
  const std::string name = claim("gc", diff_id);
  const fs::path to = dir_ / name;
  if (::rename(from.c_str(), to.c_str()) != 0) {
    const int err = errno;
    unclaim(name);
    if (err == ENOENT) return fs::path();
    return errno_to_status(err, fmt::format("rename {} to {}", from.string(), to.string()));
  }
  return to;
}

absl::Status LayerStore::purge(const fs::path& retired) {
  absl::Status s = sys::remove_tree(retired);
  if (s.ok()) unclaim(retired.filename().string());  // else sweep() may try again
  return s;
}

std::vector<oci::Digest> LayerStore::list() const {
  std::vector<oci::Digest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    absl::StatusOr<oci::Digest> d = oci::Digest::parse("sha256:" + e.path().filename().string());
    if (d.ok()) out.push_back(*std::move(d));
  }
  return out;
}

absl::StatusOr<size_t> LayerStore::sweep() {
  std::error_code ec;
  std::vector<fs::path> stale;
  {
    absl::MutexLock l(&mu_);
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(".") && !active_.contains(name)) stale.push_back(e.path());
    }
  }
  if (ec) return absl::InternalError(fmt::format("list {}: {}", dir_.string(), ec.message()));
  for (const fs::path& p : stale) RETURN_IF_ERROR(sys::remove_tree(p));
  return stale.size();
}

}  // namespace berth::image
