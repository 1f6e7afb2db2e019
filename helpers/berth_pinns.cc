// berth-pinns: creates a pod's network, IPC and UTS namespaces and pins each one with a bind
// mount of /proc/self/ns/<kind> on DIR/<kind>, so the namespaces outlive this process and
// berthd can hand their paths to CNI and to the OCI runtime.
//
//   berth-pinns --dir DIR [--net] [--ipc] [--uts] [--hostname NAME]
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
#include <unistd.h>

#include <cerrno>
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
};

void usage() {
  std::fprintf(stderr, "usage: berth-pinns --dir DIR [--net] [--ipc] [--uts] [--hostname NAME]\n");
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

int run(const Args& a) {
  std::vector<Kind> kinds;
  if (a.net) kinds.push_back({"net", CLONE_NEWNET});
  if (a.ipc) kinds.push_back({"ipc", CLONE_NEWIPC});
  if (a.uts) kinds.push_back({"uts", CLONE_NEWUTS});

  Pins pins;
  int flags = 0;
  for (const Kind& k : kinds) {
    const std::string target = a.dir + "/" + k.name;
    // O_EXCL: an existing file may already be a pin; stacking a second one would leak it.
    const int fd = ::open(target.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) return fail("create pin file", target);
    ::close(fd);
    pins.created(target);
    flags |= k.flag;
  }

  if (::unshare(flags) != 0) return fail("unshare", "namespaces");
  if (a.has_hostname && ::sethostname(a.hostname.data(), a.hostname.size()) != 0)
    return fail("sethostname", a.hostname);
  if (a.net && loopback_up() != 0) return 1;

  for (const Kind& k : kinds) {
    const std::string source = std::string("/proc/self/ns/") + k.name;
    const std::string target = a.dir + "/" + k.name;
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return fail("bind mount", source + " on " + target);
    pins.mounted(target);
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
