#include "spec/seccomp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "spec/defaults.h"
#include "spec/seccomp_default.h"
#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::spec_of;
using testing::pod_container_input;
using Caps = std::vector<std::string>;

Caps defaults() { return {default_capabilities().begin(), default_capabilities().end()}; }
Caps with(std::string cap) {
  Caps c = defaults();
  c.push_back(std::move(cap));
  return c;
}

// The names of the profile's unconditional SCMP_ACT_ALLOW rules.
std::set<std::string> allowed(const json& profile) {
  std::set<std::string> out;
  for (const json& rule : profile["syscalls"])
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args"))
      for (const json& n : rule["names"]) out.insert(n.get<std::string>());
  return out;
}

// Every rule that names `name`.
std::vector<json> rules_for(const json& profile, std::string_view name) {
  std::vector<json> out;
  for (const json& rule : profile["syscalls"])
    if (std::find(rule["names"].begin(), rule["names"].end(), name) != rule["names"].end()) out.push_back(rule);
  return out;
}

// runc unmarshals "args" into a list: an object there fails every RuntimeDefault container
// at `runc create`. The shape must be the same whichever compiler built the profile.
TEST(DefaultSeccomp, EveryRuleHasTheShapeRuncReads) {
  for (const Caps& caps : {Caps{}, defaults(), with("CAP_SYS_ADMIN"), Caps{all_capabilities().begin(), all_capabilities().end()}}) {
    const json p = default_seccomp_profile(caps);
    ASSERT_TRUE(p["syscalls"].is_array());
    size_t conditional = 0;
    for (const json& rule : p["syscalls"]) {
      ASSERT_TRUE(rule.is_object()) << rule.dump();
      EXPECT_TRUE(rule["names"].is_array() && !rule["names"].empty()) << rule.dump();
      EXPECT_TRUE(rule["action"].is_string()) << rule.dump();
      if (!rule.contains("args")) continue;
      ++conditional;
      ASSERT_TRUE(rule["args"].is_array()) << "args must be an array: " << rule.dump();
      EXPECT_FALSE(rule["args"].empty()) << rule.dump();
      for (const json& a : rule["args"]) {
        ASSERT_TRUE(a.is_object()) << rule.dump();
        EXPECT_TRUE(a["index"].is_number_unsigned() && a["value"].is_number_unsigned() && a["op"].is_string())
            << rule.dump();
      }
    }
    EXPECT_GE(conditional, 2u) << "personality and socket are allowed on conditions";
    EXPECT_TRUE(check_seccomp_profile(p, "default").ok());
  }
}

TEST(DefaultSeccomp, DeniesWithEpermOnThisNodesArchitectures) {
  json p = default_seccomp_profile(defaults());
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], 1);
#if defined(__x86_64__)
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#elif defined(__aarch64__)
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
#endif
  EXPECT_TRUE(check_seccomp_profile(p, "builtin").ok()) << check_seccomp_profile(p, "builtin");
}

TEST(DefaultSeccomp, AllowsOrdinarySyscalls) {
  std::set<std::string> a = allowed(default_seccomp_profile(defaults()));
  for (const char* name : {"read", "write", "openat", "close", "mmap", "execve", "exit_group", "futex", "fork",
                           "wait4", "socketpair", "connect", "epoll_wait", "rt_sigaction", "setuid", "capset",
                           "prctl", "getrandom", "chroot", "mknod", "statx", "ioctl"})
    EXPECT_TRUE(a.contains(name)) << name;
}

TEST(DefaultSeccomp, BlocksDangerousSyscallsWithDefaultCapabilities) {
  json p = default_seccomp_profile(defaults());
  for (const char* name :
       {"mount", "umount2", "unshare", "setns", "sethostname", "setdomainname", "keyctl", "add_key", "request_key",
        "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev",
        "reboot", "swapon", "swapoff", "init_module", "finit_module", "delete_module", "acct", "settimeofday",
        "clock_settime", "open_by_handle_at", "userfaultfd", "syslog", "pivot_root", "io_uring_setup", "uselib",
        "vm86", "_sysctl", "fsopen", "move_mount", "iopl", "vhangup"})
    EXPECT_TRUE(rules_for(p, name).empty()) << name << " must fall to the default EPERM";
}

TEST(DefaultSeccomp, CloneOnlyWithoutNamespaceFlagsAndClone3GetsEnosys) {
  json p = default_seccomp_profile(defaults());
  std::vector<json> clone = rules_for(p, "clone");
  ASSERT_EQ(clone.size(), 1u);
  EXPECT_EQ(clone[0]["action"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(clone[0]["args"],
            json::parse(R"([{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}])"))
      << "0x7E020000: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET all clear";
  std::vector<json> clone3 = rules_for(p, "clone3");
  ASSERT_EQ(clone3.size(), 1u);
  EXPECT_EQ(clone3[0], json::parse(R"({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38})"));
}

TEST(DefaultSeccomp, PersonalityOnlyForSafeValuesAndSocketWithoutVsock) {
  json p = default_seccomp_profile(defaults());
  std::vector<uint64_t> values;
  for (const json& rule : rules_for(p, "personality")) {
    ASSERT_EQ(rule["args"].size(), 1u);
    EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_EQ");
    values.push_back(rule["args"][0]["value"]);
  }
  EXPECT_EQ(values, (std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff}));
  std::vector<json> socket = rules_for(p, "socket");
  ASSERT_EQ(socket.size(), 1u);
  EXPECT_EQ(socket[0]["args"], json::parse(R"([{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}])"));
}

TEST(DefaultSeccomp, CapabilitiesUnlockTheirSyscalls) {
  std::set<std::string> admin = allowed(default_seccomp_profile(with("CAP_SYS_ADMIN")));
  for (const char* name : {"mount", "umount2", "unshare", "setns", "sethostname", "setdomainname", "clone", "clone3",
                           "pivot_root", "bpf", "perf_event_open"})
    EXPECT_TRUE(admin.contains(name)) << name;
  EXPECT_TRUE(rules_for(default_seccomp_profile(with("CAP_SYS_ADMIN")), "clone").size() == 1u)
      << "no conditional clone rule beside the unconditional one";
  EXPECT_TRUE(rules_for(default_seccomp_profile(with("CAP_SYS_ADMIN")), "clone3")[0]["action"] == "SCMP_ACT_ALLOW");

  const std::pair<const char*, std::vector<const char*>> unlocks[] = {
      {"CAP_SYS_PTRACE", {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp"}},
      {"CAP_SYS_TIME", {"settimeofday", "clock_settime", "clock_adjtime"}},
      {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
  };
  for (const auto& [cap, syscalls] : unlocks) {
    std::set<std::string> a = allowed(default_seccomp_profile(with(cap)));
    for (const char* name : syscalls) EXPECT_TRUE(a.contains(name)) << cap << " should allow " << name;
    EXPECT_FALSE(a.contains("mount")) << cap;
  }
  Caps no_chroot = defaults();
  std::erase(no_chroot, "CAP_SYS_CHROOT");
  EXPECT_FALSE(allowed(default_seccomp_profile(no_chroot)).contains("chroot"));
}

TEST(DefaultSeccomp, SomeSyscallsStayBlockedWhateverTheCapabilities) {
  json p = default_seccomp_profile({all_capabilities().begin(), all_capabilities().end()});
  for (const char* name : {"keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "swapon", "swapoff",
                           "io_uring_setup", "uselib", "_sysctl", "vm86", "nfsservctl"})
    EXPECT_TRUE(rules_for(p, name).empty()) << name;
  std::set<std::string> seen;
  for (const json& n : p["syscalls"][0]["names"]) EXPECT_TRUE(seen.insert(n.get<std::string>()).second) << n;
}

TEST(LinuxSeccomp, UnconfinedByDefaultRuntimeDefaultFollowsTheCapabilities) {
  SpecInput in = pod_container_input();
  EXPECT_FALSE(spec_of(in)["linux"].contains("seccomp")) << "CRI's default is unconfined";
  in.container.seccomp.kind = ProfileKind::RuntimeDefault;
  json seccomp = spec_of(in)["linux"]["seccomp"];
  EXPECT_EQ(seccomp, default_seccomp_profile(defaults()));
  in.container.capabilities.add = {"SYS_ADMIN"};
  EXPECT_TRUE(allowed(spec_of(in)["linux"]["seccomp"]).contains("mount"));
  in.container.capabilities = {.drop = {"ALL"}};
  EXPECT_EQ(spec_of(in)["linux"]["seccomp"], default_seccomp_profile({})) << "the effective set decides";
}

TEST(LinuxSeccomp, PrivilegedGetsNone) {
  SpecInput in = pod_container_input();
  in.container.privileged = true;
  in.container.seccomp.kind = ProfileKind::RuntimeDefault;
  EXPECT_FALSE(spec_of(in)["linux"].contains("seccomp"));
  in.container.seccomp = {.kind = ProfileKind::Localhost, .localhost_path = "/etc/seccomp/x.json"};
  EXPECT_FALSE(spec_of(in)["linux"].contains("seccomp")) << "not even a profile that was not loaded";
}

TEST(LinuxSeccomp, LocalhostNeedsTheLoadedProfile) {
  SpecInput in = pod_container_input();
  in.container.seccomp = {.kind = ProfileKind::Localhost, .localhost_path = "/etc/seccomp/x.json"};
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": seccomp profile \"/etc/seccomp/x.json\" was not loaded");
  in.localhost_seccomp_profile = json::parse(R"({"defaultAction": "SCMP_ACT_BOGUS"})");
  s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"/etc/seccomp/x.json\": defaultAction \"SCMP_ACT_BOGUS\""), std::string_view::npos)
      << s;
  in.localhost_seccomp_profile = json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]})");
  EXPECT_EQ(spec_of(in)["linux"]["seccomp"], *in.localhost_seccomp_profile) << "an OCI profile passes as it is";
}

TEST(SeccompFromProfile, ConvertsDockersFormat) {
  const json docker = json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": "", "includes": {}, "excludes": {}},
      {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}]})");
  ASSERT_TRUE(check_seccomp_profile(docker, "docker.json").ok()) << check_seccomp_profile(docker, "docker.json");
  json plain = seccomp_from_profile(docker, {"CAP_CHOWN"});
  json admin = seccomp_from_profile(docker, {"CAP_SYS_ADMIN"});
  EXPECT_EQ(plain["defaultErrnoRet"], 1);
  EXPECT_FALSE(plain.contains("archMap"));
#if defined(__x86_64__)
  EXPECT_EQ(plain["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  const char* native_only = "arch_prctl";
#else
  const char* native_only = "set_tls";
#endif
  EXPECT_EQ(plain["syscalls"][0], json::parse(R"({"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"})"))
      << "comment, includes, excludes and empty args dropped";
  EXPECT_TRUE(rules_for(plain, "mount").empty());
  EXPECT_EQ(rules_for(admin, "mount").at(0), json::parse(R"({"names": ["mount"], "action": "SCMP_ACT_ALLOW"})"));
  EXPECT_EQ(rules_for(plain, "clone").size(), 1u);
  EXPECT_TRUE(rules_for(admin, "clone").empty());
  EXPECT_EQ(rules_for(plain, native_only).size(), 1u);
  EXPECT_EQ(rules_for(plain, "set_tls").size() + rules_for(plain, "arch_prctl").size(), 1u) << "the other arch's out";
  EXPECT_EQ(rules_for(plain, "ptrace").size(), 1u) << "minKernel is assumed met";
}

TEST(ParseSeccompProfile, AcceptsAValidProfile) {
  absl::StatusOr<json> p = parse_seccomp_profile(
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
          "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_EQ"}]}]})",
      "/p.json");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)["syscalls"][0]["names"][0], "read");
  EXPECT_TRUE(parse_seccomp_profile(R"({"defaultAction": "SCMP_ACT_LOG"})", "/p.json").ok()) << "syscalls optional";
}

TEST(ParseSeccompProfile, ErrorsNameTheFileAndTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", "seccomp profile \"/p.json\": is not valid JSON: "},
      {"[]", "seccomp profile \"/p.json\": is not a JSON object"},
      {"{}", "seccomp profile \"/p.json\": has no defaultAction"},
      {R"({"defaultAction": "ALLOW"})", "seccomp profile \"/p.json\": defaultAction \"ALLOW\" is not a seccomp action"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})", "seccomp profile \"/p.json\": syscalls is not an array"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]})",
       "seccomp profile \"/p.json\": syscalls[0] has no names"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO"},
          {"names": ["b"]}]})",
       "seccomp profile \"/p.json\": syscalls[1].action (missing) is not a seccomp action"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO",
          "args": [{"index": 0, "value": 1, "op": "EQ"}]}]})",
       "seccomp profile \"/p.json\": syscalls[0].args[0].op is not one of SCMP_CMP_*"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ERRNO",
          "args": [{"index": -1, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "seccomp profile \"/p.json\": syscalls[0].args[0] needs unsigned index and value (and valueTwo)"},
  };
  for (const auto& [text, message] : cases) {
    absl::Status s = parse_seccomp_profile(text, "/p.json").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(std::string(s.message()).substr(0, std::string_view(message).size()), message) << text;
  }
}

}  // namespace
}  // namespace berth::spec
