#include "cgroup/cgroupfs_manager.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <thread>

#include <absl/strings/ascii.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "cgroup/cgroup_path.h"
#include "sys/fs.h"

namespace berth::cgroup {
namespace fs = std::filesystem;

namespace {

// A task that has just exited can keep its cgroup busy for a moment after it leaves
// cgroup.procs; rmdir is retried for about a second before giving up.
constexpr int kBusyRetries = 100;
constexpr std::chrono::milliseconds kBusyDelay{10};

// cgroupfs files are written in place with one write(2); rename() does not work there.
absl::Status write_cgroup_file(const fs::path& path, std::string_view value) {
  UniqueFd fd{::open(path.c_str(), O_WRONLY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", path.string());
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno_error("write \"{}\" to {}", value, path.string());
  return absl::OkStatus();
}

absl::StatusOr<std::string> read_trimmed(const fs::path& path) {
  ASSIGN_OR_RETURN(std::string s, sys::read_file(path));
  return std::string(absl::StripAsciiWhitespace(s));
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view w : absl::StrSplit(s, absl::ByAnyChar(" \n"), absl::SkipEmpty())) out.emplace_back(w);
  return out;
}

// A new v1 cpuset group starts with empty cpus/mems and refuses tasks until they are set.
absl::Status inherit_cpuset(const fs::path& dir) {
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    ASSIGN_OR_RETURN(std::string own, read_trimmed(dir / file));
    if (!own.empty()) continue;
    ASSIGN_OR_RETURN(std::string parent, read_trimmed(dir.parent_path() / file));
    RETURN_IF_ERROR(write_cgroup_file(dir / file, parent));
  }
  return absl::OkStatus();
}

// v2: children of `dir` get every controller `dir` has.
absl::Status enable_subtree_controllers(const fs::path& dir) {
  ASSIGN_OR_RETURN(std::string available, sys::read_file(dir / "cgroup.controllers"));
  ASSIGN_OR_RETURN(std::string enabled_text, sys::read_file(dir / "cgroup.subtree_control"));
  const std::vector<std::string> enabled = words(enabled_text);
  for (const std::string& c : words(available)) {
    if (std::find(enabled.begin(), enabled.end(), c) != enabled.end()) continue;
    RETURN_IF_ERROR(write_cgroup_file(dir / "cgroup.subtree_control", "+" + c));
  }
  return absl::OkStatus();
}

// Every directory at or below `dir`, children before their parent.
absl::Status collect_deepest_first(const fs::path& dir, std::vector<fs::path>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_symlink(ec) && it->is_directory(ec)) RETURN_IF_ERROR(collect_deepest_first(it->path(), out));
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return absl::InternalError(fmt::format("list {}: {}", dir.string(), ec.message()));
  out.push_back(dir);
  return absl::OkStatus();
}

absl::Status refuse_if_populated(const fs::path& dir) {
  absl::StatusOr<std::string> procs = read_trimmed(dir / "cgroup.procs");
  if (!procs.ok()) return absl::IsNotFound(procs.status()) ? absl::OkStatus() : procs.status();
  if (procs->empty()) return absl::OkStatus();
  std::vector<std::string> pids = words(*procs);
  if (pids.size() > 5) pids.resize(5);
  return absl::FailedPreconditionError(
      fmt::format("cgroup {} still has processes (pids {})", dir.string(), fmt::join(pids, " ")));
}

absl::Status remove_cgroup_dir(const fs::path& dir) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY || attempt == kBusyRetries) return errno_error("remove cgroup {}", dir.string());
    RETURN_IF_ERROR(refuse_if_populated(dir));
    std::this_thread::sleep_for(kBusyDelay);
  }
}

// "/berth/pod1" -> "berth/pod1", to append to a hierarchy's mount point.
std::string strip_root(const std::string& relative) {
  const size_t start = relative.find_first_not_of('/');
  return start == std::string::npos ? std::string() : relative.substr(start);
}

}  // namespace

absl::StatusOr<CgroupLayout> discover_cgroup_layout(const fs::path& root) {
  ASSIGN_OR_RETURN(CgroupMode mode, detect_cgroup_mode(root));
  CgroupLayout layout{.root = root, .mode = mode};
  if (mode == CgroupMode::V2) {
    layout.hierarchies.push_back({.dir = root, .unified = true});
    return layout;
  }
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_directory(ec)) continue;
    struct statfs st{};
    if (::statfs(it->path().c_str(), &st) != 0) continue;
    if (st.f_type == CGROUP_SUPER_MAGIC) {
      layout.hierarchies.push_back({.dir = it->path(), .cpuset = fs::exists(it->path() / "cpuset.cpus", ec)});
    } else if (st.f_type == CGROUP2_SUPER_MAGIC) {
      layout.hierarchies.push_back({.dir = it->path(), .unified = true});
    }
  }
  if (ec) return absl::InternalError(fmt::format("list {}: {}", root.string(), ec.message()));
  std::sort(layout.hierarchies.begin(), layout.hierarchies.end(),
            [](const CgroupHierarchy& a, const CgroupHierarchy& b) { return a.dir < b.dir; });
  return layout;
}

absl::StatusOr<CgroupfsManager> CgroupfsManager::create(fs::path root) {
  ASSIGN_OR_RETURN(CgroupLayout layout, discover_cgroup_layout(root));
  return CgroupfsManager(std::move(layout));
}

absl::Status CgroupfsManager::create_group(const std::string& relative) const {
  RETURN_IF_ERROR(validate_cgroup_path(relative));
  std::vector<std::string> parts = absl::StrSplit(strip_root(relative), '/');

  std::vector<fs::path> created;  // undone, newest first, if a later step fails
  // A hybrid host's unified mount only tracks processes; its controllers are not ours to set.
  const bool delegate = layout_.mode == CgroupMode::V2;
  auto create_in = [&](const CgroupHierarchy& h) -> absl::Status {
    fs::path cur = h.dir;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (h.unified && delegate) RETURN_IF_ERROR(enable_subtree_controllers(cur));
      cur /= parts[i];
      if (::mkdir(cur.c_str(), 0755) == 0) {
        created.push_back(cur);
      } else if (errno != EEXIST) {
        return errno_error("create cgroup {}", cur.string());
      }
      if (h.cpuset) RETURN_IF_ERROR(inherit_cpuset(cur));
    }
    return absl::OkStatus();
  };
  for (const CgroupHierarchy& h : layout_.hierarchies) {
    absl::Status s = create_in(h);
    if (!s.ok()) {
      for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
      return annotate(s, "create cgroup {}", relative);
    }
  }
  return absl::OkStatus();
}

absl::Status CgroupfsManager::remove_group(const std::string& relative) const {
  RETURN_IF_ERROR(validate_cgroup_path(relative));
  std::vector<fs::path> dirs;
  for (const fs::path& base : group_dirs(relative)) {
    std::error_code ec;
    if (fs::exists(base, ec)) RETURN_IF_ERROR(collect_deepest_first(base, dirs));
  }
  // Refuse before touching anything, so a busy pod keeps all of its groups.
  for (const fs::path& d : dirs) RETURN_IF_ERROR(annotate(refuse_if_populated(d), "remove cgroup {}", relative));
  for (const fs::path& d : dirs) RETURN_IF_ERROR(annotate(remove_cgroup_dir(d), "remove cgroup {}", relative));
  return absl::OkStatus();
}

absl::Status CgroupfsManager::add_process(const std::string& relative, pid_t pid) const {
  RETURN_IF_ERROR(validate_cgroup_path(relative));
  for (const fs::path& dir : group_dirs(relative))
    RETURN_IF_ERROR(write_cgroup_file(dir / "cgroup.procs", std::to_string(pid)));
  return absl::OkStatus();
}

std::vector<fs::path> CgroupfsManager::group_dirs(const std::string& relative) const {
  std::vector<fs::path> out;
  for (const CgroupHierarchy& h : layout_.hierarchies) out.push_back(h.dir / strip_root(relative));
  return out;
}

fs::path CgroupfsManager::memory_dir(const std::string& relative) const {
  const fs::path base = layout_.mode == CgroupMode::V2 ? layout_.root : layout_.root / "memory";
  return base / strip_root(relative);
}

absl::StatusOr<CgroupStats> CgroupfsManager::read_stats(const std::string& relative) const {
  const std::string rel = strip_root(relative);
  if (layout_.mode == CgroupMode::V2) return read_v2_stats(layout_.root / rel);
  // A v1 hierarchy is named after its controllers ("cpu,cpuacct"); its root lacks some of
  // their files (pids.max), so the name is what tells them apart.
  V1GroupDirs dirs;
  for (const CgroupHierarchy& h : layout_.hierarchies) {
    if (h.unified) continue;
    for (absl::string_view controller : absl::StrSplit(h.dir.filename().string(), ',')) {
      if (controller == "cpuacct") dirs.cpuacct = h.dir / rel;
      if (controller == "memory") dirs.memory = h.dir / rel;
      if (controller == "pids") dirs.pids = h.dir / rel;
    }
  }
  return read_v1_stats(dirs);
}

int64_t cpu_shares_to_weight(int64_t shares) {
  if (shares <= 0) return 0;
  shares = std::clamp<int64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

namespace {

// Writes the files of one group in order; `dir_of(file)` says where a controller's file lives.
class LimitWriter {
 public:
  LimitWriter(const CgroupLayout& layout, const std::string& relative) : layout_(layout), rel_(strip_root(relative)) {}

  // The group's directory in the hierarchy that has `file` (v2: the one tree), or
  // FailedPrecondition naming the controller.
  absl::StatusOr<fs::path> dir_of(std::string_view file) const {
    if (layout_.mode == CgroupMode::V2) return layout_.root / rel_;
    std::error_code ec;
    for (const CgroupHierarchy& h : layout_.hierarchies)
      if (!h.unified && fs::exists(h.dir / rel_ / file, ec)) return h.dir / rel_;
    const std::string_view controller = file.substr(0, file.find('.'));
    return absl::FailedPreconditionError(fmt::format(
        "no v1 hierarchy has {} for the group (is the {} controller mounted?)", file, controller));
  }

  absl::Status write(std::string_view file, std::string_view value) const {
    ASSIGN_OR_RETURN(fs::path dir, dir_of(file));
    return write_cgroup_file(dir / file, value);
  }

  // Two files that constrain each other (v1 memory <= memsw): the order that the kernel takes.
  absl::Status write_pair(std::string_view first, std::string_view a, std::string_view second,
                          std::string_view b) const {
    absl::Status s = write(first, a);
    if (s.ok()) return write(second, b);
    if (!absl::IsInvalidArgument(s)) return s;
    RETURN_IF_ERROR(write(second, b));
    return write(first, a);
  }

 private:
  const CgroupLayout& layout_;
  std::string rel_;
};

absl::Status set_v1(const LimitWriter& w, const GroupLimits& l) {
  const std::string memory = std::to_string(l.memory), swap = std::to_string(l.memory_swap);
  if (l.memory > 0 && l.memory_swap != 0) {
    RETURN_IF_ERROR(w.write_pair("memory.limit_in_bytes", memory, "memory.memsw.limit_in_bytes", swap));
  } else if (l.memory > 0) {
    RETURN_IF_ERROR(w.write("memory.limit_in_bytes", memory));
  } else if (l.memory_swap != 0) {
    RETURN_IF_ERROR(w.write("memory.memsw.limit_in_bytes", swap));
  }
  if (l.cpu_shares > 0) RETURN_IF_ERROR(w.write("cpu.shares", std::to_string(l.cpu_shares)));
  if (l.cpu_period > 0) RETURN_IF_ERROR(w.write("cpu.cfs_period_us", std::to_string(l.cpu_period)));
  if (l.cpu_quota != 0) RETURN_IF_ERROR(w.write("cpu.cfs_quota_us", std::to_string(l.cpu_quota)));
  if (!l.cpuset_cpus.empty()) RETURN_IF_ERROR(w.write("cpuset.cpus", l.cpuset_cpus));
  if (!l.cpuset_mems.empty()) RETURN_IF_ERROR(w.write("cpuset.mems", l.cpuset_mems));
  if (l.pids != 0) RETURN_IF_ERROR(w.write("pids.max", l.pids > 0 ? std::to_string(l.pids) : "max"));
  for (const auto& [size, bytes] : l.hugepages)
    RETURN_IF_ERROR(w.write(fmt::format("hugetlb.{}.limit_in_bytes", size), std::to_string(bytes)));
  if (!l.unified.empty())
    return absl::FailedPreconditionError(
        fmt::format("unified key \"{}\" needs a cgroup v2 node; this node runs cgroup v1", l.unified.begin()->first));
  return absl::OkStatus();
}

absl::Status set_v2(const LimitWriter& w, const GroupLimits& l) {
  if (l.memory > 0) RETURN_IF_ERROR(w.write("memory.max", std::to_string(l.memory)));
  if (l.memory_swap == -1) {
    RETURN_IF_ERROR(w.write("memory.swap.max", "max"));
  } else if (l.memory_swap > 0) {
    if (l.memory <= 0 || l.memory_swap < l.memory)
      return absl::InvalidArgumentError(fmt::format("memory+swap {} needs a memory limit at most that", l.memory_swap));
    RETURN_IF_ERROR(w.write("memory.swap.max", std::to_string(l.memory_swap - l.memory)));
  }
  if (l.cpu_shares > 0) RETURN_IF_ERROR(w.write("cpu.weight", std::to_string(cpu_shares_to_weight(l.cpu_shares))));
  if (l.cpu_quota != 0 || l.cpu_period > 0) {
    std::string max = l.cpu_quota > 0 ? std::to_string(l.cpu_quota) : "max";
    if (l.cpu_period > 0) max += " " + std::to_string(l.cpu_period);
    RETURN_IF_ERROR(w.write("cpu.max", max));
  }
  if (!l.cpuset_cpus.empty()) RETURN_IF_ERROR(w.write("cpuset.cpus", l.cpuset_cpus));
  if (!l.cpuset_mems.empty()) RETURN_IF_ERROR(w.write("cpuset.mems", l.cpuset_mems));
  if (l.pids != 0) RETURN_IF_ERROR(w.write("pids.max", l.pids > 0 ? std::to_string(l.pids) : "max"));
  for (const auto& [size, bytes] : l.hugepages)
    RETURN_IF_ERROR(w.write(fmt::format("hugetlb.{}.max", size), std::to_string(bytes)));
  for (const auto& [key, value] : l.unified) {
    if (key.find('/') != std::string::npos || key.find("..") != std::string::npos)
      return absl::InvalidArgumentError(fmt::format("unified key \"{}\" is not a file name", key));
    RETURN_IF_ERROR(w.write(key, value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CgroupfsManager::set_limits(const std::string& relative, const GroupLimits& limits) const {
  RETURN_IF_ERROR(validate_cgroup_path(relative));
  const LimitWriter w(layout_, relative);
  return annotate(layout_.mode == CgroupMode::V2 ? set_v2(w, limits) : set_v1(w, limits), "cgroup {}", relative);
}

bool CgroupfsManager::has_swap_accounting(const std::string& relative) const {
  std::error_code ec;
  if (layout_.mode == CgroupMode::V2) return fs::exists(layout_.root / strip_root(relative) / "memory.swap.max", ec);
  return fs::exists(layout_.root / "memory" / "memory.memsw.limit_in_bytes", ec);
}

}  // namespace berth::cgroup
