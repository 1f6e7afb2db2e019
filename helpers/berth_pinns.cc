// berth-pinns: creates a pod's network, IPC and UTS namespaces and pins each one with a bind
// mount of /proc/self/ns/<kind> on DIR/<kind>, so the namespaces outlive this process and
// berthd can hand their paths to CNI and to the OCI runtime.
//
//   berth-pinns --dir DIR [--net] [--ipc] [--uts] [--hostname NAME]
//               [--uid-map "CONTAINER HOST LENGTH"]... [--gid-map "CONTAINER HOST LENGTH"]...
//
// With --uid-map/--gid-map it first creates a user namespace with those mappings, pinned on
// DIR/user, and creates the other namespaces inside it (so the container's root owns them).
// That needs a child: the child unshares CLONE_NEWUSER, this process (privileged in the
// parent namespace) writes its uid_map and gid_map, the child unshares the rest, and this
// process pins /proc/<child>/ns/* before the child exits. Pinning from inside the new user
// namespace would fail: the host's mount namespace is not owned by it.
//
// It stays single-threaded (unshare(CLONE_NEWNET...) acts on the calling thread only) and it
// never unshares the mount namespace: the pins must be visible on the host. On any failure
// it removes what it pinned and exits non-zero with the failed step on stderr.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Kind {
  const char* name;  // file name under DIR and under /proc/self/ns
  int flag;          // CLONE_NEW*
};

struct Args {
  std::string dir;
  bool net = false, ipc = false, uts = false;
  bool has_hostname = false;
  std::string hostname;
  std::string uid_map, gid_map;  // uid_map/gid_map file contents: "C H L\n" lines
  bool user() const { return !uid_map.empty(); }
};

void usage() {
  std::fprintf(stderr,
               "usage: berth-pinns --dir DIR [--net] [--ipc] [--uts] [--hostname NAME]\n"
               "                   [--uid-map \"CONTAINER HOST LENGTH\"]... [--gid-map \"CONTAINER HOST LENGTH\"]...\n");
}

// "C H L": three decimal numbers, the length not zero; appended to `out` as a map line.
bool add_map_line(const char* flag, const char* text, std::string& out) {
  unsigned long v[3];
  int used = 0;
  if (std::sscanf(text, "%lu %lu %lu%n", &v[0], &v[1], &v[2], &used) != 3 || text[used] != '\0' || v[2] == 0 ||
      v[0] > UINT32_MAX || v[1] > UINT32_MAX || v[2] > UINT32_MAX) {
    std::fprintf(stderr, "berth-pinns: %s \"%s\" is not \"CONTAINER HOST LENGTH\"\n", flag, text);
    return false;
  }
  out += std::to_string(v[0]) + " " + std::to_string(v[1]) + " " + std::to_string(v[2]) + "\n";
  return true;
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--net") {
      a.net = true;
    } else if (arg == "--ipc") {
      a.ipc = true;
    } else if (arg == "--uts") {
      a.uts = true;
    } else if ((arg == "--uid-map" || arg == "--gid-map") && i + 1 < argc) {
      if (!add_map_line(argv[i], argv[i + 1], arg == "--uid-map" ? a.uid_map : a.gid_map)) return false;
      ++i;
    } else if ((arg == "--dir" || arg == "--hostname") && i + 1 < argc) {
      (arg == "--dir" ? a.dir : a.hostname) = argv[++i];
      if (arg == "--hostname") a.has_hostname = true;
    } else {
      std::fprintf(stderr, "berth-pinns: unknown or incomplete argument \"%s\"\n", argv[i]);
      return false;
    }
  }
  if (a.dir.empty()) {
    std::fprintf(stderr, "berth-pinns: --dir is required\n");
    return false;
  }
  if (!a.net && !a.ipc && !a.uts) {
    std::fprintf(stderr, "berth-pinns: nothing to pin: give at least one of --net --ipc --uts\n");
    return false;
  }
  if (a.uid_map.empty() != a.gid_map.empty()) {
    std::fprintf(stderr, "berth-pinns: a user namespace needs both --uid-map and --gid-map\n");
    return false;
  }
  if (a.has_hostname && !a.uts) {
    std::fprintf(stderr, "berth-pinns: --hostname needs --uts\n");
    return false;
  }
  if (a.has_hostname && (a.hostname.empty() || a.hostname.size() > HOST_NAME_MAX)) {
    std::fprintf(stderr, "berth-pinns: --hostname must be 1 to %d bytes\n", HOST_NAME_MAX);
    return false;
  }
  return true;
}

// Files we created and mounts we made, undone in reverse on failure.
class Pins {
 public:
  ~Pins() {
    if (committed_) return;
    for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) ::unlink(it->c_str());
  }
  void created(std::string p) { created_.push_back(std::move(p)); }
  void mounted(std::string p) { mounted_.push_back(std::move(p)); }
  void commit() { committed_ = true; }

 private:
  std::vector<std::string> created_, mounted_;
  bool committed_ = false;
};

int fail(const char* step, const std::string& what) {
  const int err = errno;
  std::fprintf(stderr, "berth-pinns: %s %s: %s\n", step, what.c_str(), std::strerror(err));
  return 1;
}

// Brings the new network namespace's loopback up; ping 127.0.0.1 needs it.
int loopback_up() {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail("socket", "AF_INET for lo");
  struct ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = 0;
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    rc = fail("SIOCGIFFLAGS", "lo");
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) rc = fail("SIOCSIFFLAGS (set up)", "lo");
  }
  ::close(s);
  return rc;
}

// Unshares `flags` and does what the new namespaces need from inside: the hostname, lo up.
int enter_new(const Args& a, int flags) {
  if (::unshare(flags) != 0) return fail("unshare", "namespaces");
  if (a.has_hostname && ::sethostname(a.hostname.data(), a.hostname.size()) != 0)
    return fail("sethostname", a.hostname);
  if (a.net && loopback_up() != 0) return 1;
  return 0;
}

// Bind mounts <proc_ns>/<kind> on DIR/<kind> for every kind.
int pin_all(const Args& a, const std::vector<Kind>& kinds, const std::string& proc_ns, Pins& pins) {
  for (const Kind& k : kinds) {
    const std::string source = proc_ns + "/" + k.name;
    const std::string target = a.dir + "/" + k.name;
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return fail("bind mount", source + " on " + target);
    pins.mounted(target);
  }
  return 0;
}

int write_map(pid_t pid, const char* file, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", path);
  // The kernel takes the whole map in one write, and only once.
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  errno = err;
  if (n != static_cast<ssize_t>(text.size())) return fail("write", path);
  return 0;
}

// The child of the user-namespace handshake over `sock` (see the top of the file).
[[noreturn]] void userns_child(const Args& a, int flags, int sock) {
  char b = 0;
  if (::unshare(CLONE_NEWUSER) != 0) {
    fail("unshare", "user namespace");
    ::_exit(1);
  }
  if (::write(sock, "u", 1) != 1 || ::read(sock, &b, 1) != 1) ::_exit(1);  // wait for the maps
  if (enter_new(a, flags) != 0) ::_exit(1);
  if (::write(sock, "n", 1) != 1) ::_exit(1);
  while (::read(sock, &b, 1) > 0) {
  }  // EOF: the parent has pinned our namespaces
  ::_exit(0);
}

int run_in_user_namespace(const Args& a, const std::vector<Kind>& kinds, int flags, Pins& pins) {
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return fail("socketpair", "for the child");
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return fail("fork", "user namespace child");
  if (pid == 0) {
    ::close(sp[0]);
    userns_child(a, flags, sp[1]);
  }
  ::close(sp[1]);
  int sock = sp[0];
  // Ends the child on every path: EOF lets it exit; a failed handshake kills it.
  auto reap = [&](bool kill) {
    if (kill) ::kill(pid, SIGKILL);
    if (sock >= 0) ::close(sock);
    sock = -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  };
  char b = 0;
  if (::read(sock, &b, 1) != 1) {
    reap(true);
    std::fprintf(stderr, "berth-pinns: the user namespace child failed before unsharing\n");
    return 1;
  }
  if (write_map(pid, "uid_map", a.uid_map) != 0 || write_map(pid, "gid_map", a.gid_map) != 0 ||
      ::write(sock, "m", 1) != 1) {
    reap(true);
    return 1;
  }
  if (::read(sock, &b, 1) != 1) {
    reap(true);
    std::fprintf(stderr, "berth-pinns: the user namespace child failed to create the namespaces\n");
    return 1;
  }
  if (pin_all(a, kinds, "/proc/" + std::to_string(pid) + "/ns", pins) != 0) {
    reap(true);
    return 1;
  }
  if (!reap(false)) {
    std::fprintf(stderr, "berth-pinns: the user namespace child did not exit cleanly\n");
    return 1;
  }
  return 0;
}

int run(const Args& a) {
  std::vector<Kind> kinds;
  if (a.user()) kinds.push_back({"user", CLONE_NEWUSER});
  if (a.net) kinds.push_back({"net", CLONE_NEWNET});
  if (a.ipc) kinds.push_back({"ipc", CLONE_NEWIPC});
  if (a.uts) kinds.push_back({"uts", CLONE_NEWUTS});

  Pins pins;
  int flags = 0;  // all but the user namespace
  for (const Kind& k : kinds) {
    const std::string target = a.dir + "/" + k.name;
    // O_EXCL: an existing file may already be a pin; stacking a second one would leak it.
    const int fd = ::open(target.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return fail("create pin file", target);
    ::close(fd);
    pins.created(target);
    if (k.flag != CLONE_NEWUSER) flags |= k.flag;
  }

  if (a.user()) {
    if (run_in_user_namespace(a, kinds, flags, pins) != 0) return 1;
  } else {
    if (enter_new(a, flags) != 0) return 1;
    if (pin_all(a, kinds, "/proc/self/ns", pins) != 0) return 1;
  }
  pins.commit();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, a)) {
    usage();
    return 2;
  }
  return run(a);
}
