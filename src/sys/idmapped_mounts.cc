#include "sys/idmapped_mounts.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "base/status.h"

namespace berth::sys {
namespace fs = std::filesystem;

absl::Status mount_idmapped(const fs::path& source, const fs::path& target, int userns_fd) {
  UniqueFd tree{::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)};
  if (!tree) return errno_error("clone the mount tree at {}", source.string());
  struct mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    const int err = errno;
    if (err == EINVAL || err == ENOSYS || err == EPERM || err == EOPNOTSUPP)
      return absl::FailedPreconditionError(
          fmt::format("{}: idmapped mounts are unsupported there (mount_setattr MOUNT_ATTR_IDMAP: {}); a user "
                      "namespace of mode POD needs a kernel and filesystem that support them",
                      source.string(), std::strerror(err)));
    errno = err;
    return errno_error("idmap the mount of {}", source.string());
  }
  if (::move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return errno_error("attach the idmapped mount of {} on {}", source.string(), target.string());
  return absl::OkStatus();
}

namespace {

absl::Status write_map(pid_t pid, const char* file, const std::string& text) {
  const std::string path = fmt::format("/proc/{}/{}", pid, file);
  UniqueFd fd{::open(path.c_str(), O_WRONLY | O_CLOEXEC)};
  if (!fd) return errno_error("open {}", path);
  // The kernel takes the whole map in one write.
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) return errno_error("write {}", path);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UniqueFd> create_user_namespace(const std::string& uid_map, const std::string& gid_map) {
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return errno_error("socketpair for a user namespace");
  UniqueFd ours{sp[0]}, theirs{sp[1]};
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork for a user namespace");
  if (pid == 0) {  // async-signal-safe calls only: the parent is threaded
    char b = 0;
    if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
    if (::write(sp[1], "u", 1) != 1) ::_exit(1);
    while (::read(sp[1], &b, 1) > 0) {
    }  // EOF: the parent holds the namespace
    ::_exit(0);
  }
  theirs.reset();
  auto reap = [pid] {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  };
  char b = 0;
  if (::read(ours.get(), &b, 1) != 1) {
    reap();
    return absl::InternalError("create a user namespace: the child failed to unshare CLONE_NEWUSER");
  }
  absl::Status s = write_map(pid, "uid_map", uid_map);
  if (s.ok()) s = write_map(pid, "gid_map", gid_map);
  UniqueFd ns;
  if (s.ok()) {
    ns = UniqueFd{::open(fmt::format("/proc/{}/ns/user", pid).c_str(), O_RDONLY | O_CLOEXEC)};
    if (!ns) s = errno_error("open the user namespace of child {}", pid);
  }
  reap();
  if (!s.ok()) return annotate(s, "create a user namespace");
  return ns;
}

}  // namespace berth::sys
