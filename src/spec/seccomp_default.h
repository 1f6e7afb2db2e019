#pragma once
// The built-in RuntimeDefault seccomp profile (OCI linux.seccomp). Every syscall not listed
// fails with EPERM. Listed: the syscalls ordinary programs use, and those that a capability
// the container holds already makes safe (CAP_SYS_ADMIN: mount, unshare, setns, sethostname,
// clone with namespace flags; CAP_SYS_PTRACE: ptrace, process_vm_*; CAP_SYS_TIME: setting
// clocks; CAP_SYS_MODULE: modules; CAP_SYS_BOOT: reboot; CAP_SYSLOG: syslog; ...). Never
// listed, whatever the capabilities: the keyring (keyctl, add_key, request_key), kexec,
// swapon/swapoff, io_uring, and obsolete syscalls (uselib, _sysctl, vm86, ...).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::spec {

inline constexpr int kSeccompEperm = 1;    // EPERM
inline constexpr int kSeccompEnosys = 38;  // ENOSYS: "not here, use the older call" (clone3)

// The profile for a container whose effective capability set is `capabilities` ("CAP_*").
nlohmann::json default_seccomp_profile(const std::vector<std::string>& capabilities);

// linux.seccomp.architectures for the architecture berth is built for: the native one and
// the ones its kernel also runs (x86_64: X86_64, X86, X32; aarch64: AARCH64, ARM).
std::vector<std::string> seccomp_architectures();

}  // namespace berth::spec
