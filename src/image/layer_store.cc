#include "image/layer_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

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

absl::Status LayerStore::unpack(const fs::path& blob, const oci::Digest& diff_id) {
  if (contains(diff_id)) return absl::OkStatus();
  const fs::path tmp = dir_ / fmt::format(".tmp-{}-{}", diff_id.hex().substr(0, 12), random_hex_id().substr(0, 8));
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
  const fs::path to = dir_ / fmt::format(".gc-{}-{}", diff_id.hex().substr(0, 12), random_hex_id().substr(0, 8));
  if (::rename(from.c_str(), to.c_str()) != 0) {
    if (errno == ENOENT) return fs::path();
    return errno_error("rename {} to {}", from.string(), to.string());
  }
  return to;
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

absl::Status LayerStore::sweep() {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().filename().string().starts_with(".")) stale.push_back(e.path());
  if (ec) return absl::InternalError(fmt::format("list {}: {}", dir_.string(), ec.message()));
  for (const fs::path& p : stale) RETURN_IF_ERROR(sys::remove_tree(p));
  return absl::OkStatus();
}

}  // namespace berth::image
