// The lists below are grouped by what the syscalls are for. A name the running kernel or
// libseccomp does not know (a 32-bit-only call, a newer one) is skipped by runc, so one list
// serves every architecture of seccomp_architectures().
#include "spec/seccomp_default.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace berth::spec {
namespace {

using nlohmann::json;
using Names = std::span<const std::string_view>;

constexpr std::string_view kFiles[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
    "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "_llseek", "dup", "dup2", "dup3",
    "pipe", "pipe2", "fcntl", "fcntl64", "ioctl", "flock", "fsync", "fdatasync", "sync", "syncfs",
    "sync_file_range", "fallocate", "ftruncate", "ftruncate64", "truncate", "truncate64", "fadvise64",
    "fadvise64_64", "readahead", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
    "memfd_create", "memfd_secret"};

constexpr std::string_view kFileMetadata[] = {
    "stat", "stat64", "fstat", "fstat64", "lstat", "lstat64", "newfstatat", "fstatat64", "statx", "statfs",
    "statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
    "getdents", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat",
    "renameat2", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "mknod", "mknodat", "chmod",
    "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "chown32", "fchown32",
    "lchown32", "umask", "utime", "utimes", "utimensat", "utimensat_time64", "futimesat", "getxattr",
    "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr", "llistxattr", "flistxattr",
    "removexattr", "lremovexattr", "fremovexattr", "inotify_init", "inotify_init1", "inotify_add_watch",
    "inotify_rm_watch", "fanotify_mark"};

constexpr std::string_view kMemory[] = {
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "pkey_mprotect", "pkey_alloc", "pkey_free",
    "madvise", "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync", "remap_file_pages",
    "membarrier"};

constexpr std::string_view kProcesses[] = {
    "execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid", "waitpid", "kill", "tkill",
    "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal", "getpid", "getppid",
    "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "set_tid_address", "set_robust_list",
    "get_robust_list", "futex", "futex_time64", "futex_waitv", "rseq", "restart_syscall", "arch_prctl",
    "set_thread_area", "get_thread_area", "prctl", "capget", "capset", "seccomp", "landlock_create_ruleset",
    "landlock_add_rule", "landlock_restrict_self", "uname", "sysinfo", "getrandom", "getcpu", "nice",
    "getpriority", "setpriority", "ioprio_get", "ioprio_set", "getrlimit", "setrlimit", "ugetrlimit",
    "prlimit64", "getrusage", "times", "sched_yield", "sched_getaffinity", "sched_setaffinity",
    "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
    "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_getattr",
    "sched_setattr"};

// Changing ids is what the kernel checks with CAP_SETUID/CAP_SETGID; seccomp need not.
constexpr std::string_view kCredentials[] = {
    "getuid", "geteuid", "getgid", "getegid", "getuid32", "geteuid32", "getgid32", "getegid32", "setuid",
    "setgid", "setuid32", "setgid32", "setreuid", "setregid", "setreuid32", "setregid32", "setresuid",
    "setresgid", "setresuid32", "setresgid32", "getresuid", "getresgid", "getresuid32", "getresgid32",
    "setfsuid", "setfsgid", "setfsuid32", "setfsgid32", "getgroups", "setgroups", "getgroups32",
    "setgroups32"};

constexpr std::string_view kSignalsAndTime[] = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "sigaltstack", "signal", "sigaction", "sigprocmask", "sigpending", "sigsuspend",
    "sigreturn", "signalfd", "signalfd4", "pause", "alarm", "getitimer", "setitimer", "nanosleep",
    "clock_nanosleep", "clock_nanosleep_time64", "clock_gettime", "clock_gettime64", "clock_getres",
    "clock_getres_time64", "gettimeofday", "time", "adjtimex", "timer_create", "timer_delete", "timer_settime",
    "timer_settime64", "timer_gettime", "timer_gettime64", "timer_getoverrun", "timerfd_create",
    "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64"};

constexpr std::string_view kEventsAndIpc[] = {
    "eventfd", "eventfd2", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
    "epoll_pwait2", "poll", "ppoll", "ppoll_time64", "select", "_newselect",
    "pselect6", "pselect6_time64", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop",
    "semtimedop", "semtimedop_time64", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl", "ipc", "mq_open",
    "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_notify", "mq_getsetattr"};

// socket() itself is allowed by a rule of its own (no AF_VSOCK).
constexpr std::string_view kNetwork[] = {
    "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname", "getpeername", "sendto",
    "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64", "shutdown", "setsockopt",
    "getsockopt", "socketcall", "send", "recv"};

// 32-bit ARM calls, on an arm64 node.
constexpr std::string_view kArm[] = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                     "breakpoint", "cacheflush", "set_tls"};

// Allowed when the container holds the capability: the kernel then lets it do the same
// thing anyway, or the capability is the owner's explicit choice.
constexpr std::string_view kSysAdmin[] = {
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns", "sethostname", "setdomainname",
    "mount_setattr", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "fanotify_init",
    "quotactl", "quotactl_fd", "lookup_dcookie", "bpf", "perf_event_open", "clone", "clone3"};
constexpr std::string_view kSysPtrace[] = {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                                           "pidfd_getfd", "process_madvise", "userfaultfd"};
constexpr std::string_view kSysTime[] = {"settimeofday", "stime", "clock_settime", "clock_settime64",
                                         "clock_adjtime", "clock_adjtime64"};
constexpr std::string_view kSysModule[] = {"init_module", "finit_module", "delete_module"};
constexpr std::string_view kSysBoot[] = {"reboot"};
constexpr std::string_view kSyslog[] = {"syslog"};
constexpr std::string_view kSysPacct[] = {"acct"};
constexpr std::string_view kSysChroot[] = {"chroot"};
constexpr std::string_view kSysRawio[] = {"iopl", "ioperm"};
constexpr std::string_view kSysTtyConfig[] = {"vhangup"};
constexpr std::string_view kSysNice[] = {"get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind",
                                         "migrate_pages", "move_pages"};
constexpr std::string_view kDacReadSearch[] = {"open_by_handle_at", "name_to_handle_at"};
constexpr std::string_view kBpf[] = {"bpf"};
constexpr std::string_view kPerfmon[] = {"perf_event_open"};

struct CapabilityGrant {
  std::string_view capability;
  Names names;
};

constexpr CapabilityGrant kGrants[] = {
    {"CAP_SYS_ADMIN", kSysAdmin},     {"CAP_SYS_PTRACE", kSysPtrace},   {"CAP_SYS_TIME", kSysTime},
    {"CAP_SYS_MODULE", kSysModule},   {"CAP_SYS_BOOT", kSysBoot},       {"CAP_SYSLOG", kSyslog},
    {"CAP_SYS_PACCT", kSysPacct},     {"CAP_SYS_CHROOT", kSysChroot},   {"CAP_SYS_RAWIO", kSysRawio},
    {"CAP_SYS_TTY_CONFIG", kSysTtyConfig}, {"CAP_SYS_NICE", kSysNice}, {"CAP_DAC_READ_SEARCH", kDacReadSearch},
    {"CAP_BPF", kBpf},                {"CAP_PERFMON", kPerfmon}};

// The flags that make clone() create namespaces: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
// NEWPID, NEWNET.
constexpr uint64_t kCloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 |
                                          0x20000000 | 0x40000000;
constexpr uint64_t kAfVsock = 40;
// personality(2) values that only change what uname reports or the 32-bit mode:
// PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, and the query 0xffffffff.
constexpr uint64_t kSafePersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

constexpr bool kArmNode =
#if defined(__aarch64__)
    true;
#else
    false;
#endif

void append(json& names, Names list) {
  for (std::string_view n : list)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
}

json arg(unsigned index, uint64_t value, const char* op, std::optional<uint64_t> value_two = std::nullopt) {
  json a{{"index", index}, {"value", value}, {"op", op}};
  if (value_two) a["valueTwo"] = *value_two;
  return a;
}

// `args` is a vector, not a json: a braced list of one json element would initialise a json
// parameter differently under g++ (an array) and clang (a copy of the element, an object).
json allow_if(std::string_view name, std::vector<json> args) {
  json rule = json::object();
  rule["names"] = json::array({name});
  rule["action"] = "SCMP_ACT_ALLOW";
  rule["args"] = json::array();
  for (json& a : args) rule["args"].push_back(std::move(a));
  return rule;
}

}  // namespace

std::vector<std::string> seccomp_architectures() {
#if defined(__x86_64__)
  return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#elif defined(__aarch64__)
  return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#else
  return {};  // the native architecture only
#endif
}

json default_seccomp_profile(const std::vector<std::string>& capabilities) {
  auto holds = [&](std::string_view cap) {
    return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
  };
  json allowed = json::array();
  for (Names list : {Names(kFiles), Names(kFileMetadata), Names(kMemory), Names(kProcesses), Names(kCredentials),
                     Names(kSignalsAndTime), Names(kEventsAndIpc), Names(kNetwork)})
    append(allowed, list);
  if (kArmNode) append(allowed, kArm);
  for (const CapabilityGrant& g : kGrants)
    if (holds(g.capability)) append(allowed, g.names);

  json syscalls = json::array({{{"names", std::move(allowed)}, {"action", "SCMP_ACT_ALLOW"}}});
  for (uint64_t p : kSafePersonalities) syscalls.push_back(allow_if("personality", {arg(0, p, "SCMP_CMP_EQ")}));
  syscalls.push_back(allow_if("socket", {arg(0, kAfVsock, "SCMP_CMP_NE")}));
  if (!holds("CAP_SYS_ADMIN")) {
    // clone() without namespace flags (fork, threads). clone3 passes its flags in memory that
    // seccomp cannot read: ENOSYS makes the C library fall back to clone().
    syscalls.push_back(allow_if("clone", {arg(0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ", 0)}));
    syscalls.push_back({{"names", json::array({"clone3"})}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", kSeccompEnosys}});
  }
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", kSeccompEperm},
          {"architectures", seccomp_architectures()},
          {"syscalls", std::move(syscalls)}};
}

}  // namespace berth::spec
