#include "spec/container_spec.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "spec/defaults.h"
#include "unit/spec/spec_test_input.h"

namespace berth::spec {
namespace {

using nlohmann::json;
using testing::find_mount;
using testing::names;
using testing::pod_container_input;
using testing::spec_of;

TEST(GenerateSpec, TopLevelFields) {
  SpecInput in = pod_container_input();
  in.container.annotations = {{"io.kubernetes.x", "1"}, {"b", "2"}};
  json s = spec_of(in);
  EXPECT_EQ(s["ociVersion"], "1.0.2");
  EXPECT_EQ(s["root"], json::parse(R"({"path": "/run/containers/c1/rootfs", "readonly": false})"));
  EXPECT_EQ(s["hostname"], "web");
  EXPECT_EQ(s["annotations"], json::parse(R"({"io.kubernetes.x": "1", "b": "2"})"));
  in.container.readonly_rootfs = true;
  in.container.annotations.clear();
  s = spec_of(in);
  EXPECT_EQ(s["root"]["readonly"], true);
  EXPECT_FALSE(s.contains("annotations"));
}

TEST(GenerateSpec, HostnameOnlyWithTheContainersOwnUts) {
  SpecInput in = pod_container_input();
  in.pod.uts_ns.reset();
  EXPECT_FALSE(spec_of(in).contains("hostname")) << "host UTS: the node's hostname stays";
  in = pod_container_input();
  in.pod.hostname.clear();
  EXPECT_FALSE(spec_of(in).contains("hostname"));
}

TEST(GenerateSpec, RelativeRootfsIsInvalidArgument) {
  SpecInput in = pod_container_input();
  in.rootfs = "rootfs";
  EXPECT_EQ(generate_spec(in).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GenerateSpec, ProcessBasics) {
  SpecInput in = pod_container_input();
  in.image.env = {"PATH=/bin", "LANG=C"};
  in.container.envs = {{"LANG", "en"}};
  in.container.tty = true;
  json p = spec_of(in)["process"];
  EXPECT_EQ(p["terminal"], true);
  EXPECT_EQ(p["args"], json({"sh", "-c", "echo ok"}));
  EXPECT_EQ(p["env"], json({"PATH=/bin", "LANG=en", "HOSTNAME=web"}));
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["user"], json::parse(R"({"uid": 0, "gid": 0, "additionalGids": [0]})"));
  EXPECT_EQ(p["noNewPrivileges"], false);
  EXPECT_EQ(p["rlimits"], json::parse(R"([{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}])"));
  EXPECT_FALSE(p.contains("oomScoreAdj"));
  in.max_nofile_limit = 20000;
  EXPECT_EQ(spec_of(in)["process"]["rlimits"],
            json::parse(R"([{"type": "RLIMIT_NOFILE", "hard": 20000, "soft": 20000}])"))
      << "lowered to what the node can give";
  in.max_nofile_limit = 0;
  EXPECT_FALSE(spec_of(in)["process"].contains("rlimits"));
  in.max_nofile_limit = 1 << 30;
  EXPECT_EQ(spec_of(in)["process"]["rlimits"][0]["hard"], 1048576) << "never raised above the default";
  in.container.tty = false;
  EXPECT_EQ(spec_of(in)["process"]["terminal"], false);
}

TEST(GenerateSpec, NoCommandErrorNamesTheContainer) {
  SpecInput in = pod_container_input();
  in.container.command.clear();
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "container \"app\": no command: neither ContainerConfig.command nor the image's ENTRYPOINT/CMD is set");
  in.image.cmd = {"/bin/sh"};
  EXPECT_EQ(spec_of(in)["process"]["args"], json({"/bin/sh"}));
}

TEST(GenerateSpec, WorkingDirConfigThenImageThenRoot) {
  SpecInput in = pod_container_input();
  in.image.working_dir = "/srv";
  EXPECT_EQ(spec_of(in)["process"]["cwd"], "/srv");
  in.container.working_dir = "/app";
  EXPECT_EQ(spec_of(in)["process"]["cwd"], "/app");
  in.container.working_dir = "relative";
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": working_dir \"relative\" is not an absolute path");
}

TEST(GenerateSpec, UserWithAdditionalGids) {
  SpecInput in = pod_container_input();
  in.users.passwd = {{"berth", {1000, 1000}}};
  in.users.group_members = {{2000, {"berth"}}};
  in.image.user = "berth";
  in.container.supplemental_groups = {5};
  EXPECT_EQ(spec_of(in)["process"]["user"], json::parse(R"({"uid": 1000, "gid": 1000, "additionalGids": [1000, 5, 2000]})"));
  in.container.run_as_username = "nobody";
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("run_as_username \"nobody\""), std::string_view::npos) << s;
}

TEST(GenerateSpec, DefaultCapabilitiesNotInheritableNorAmbient) {
  json caps = spec_of(pod_container_input())["process"]["capabilities"];
  const json expected = json::parse(R"(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
      "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"])");
  EXPECT_EQ(caps, json({{"bounding", expected}, {"effective", expected}, {"permitted", expected}}));
}

TEST(GenerateSpec, PrivilegedGetsAllCapabilitiesDevicesAndNoMasks) {
  SpecInput in = pod_container_input();
  in.container.privileged = true;
  json s = spec_of(in);
  const json& bounding = s["process"]["capabilities"]["bounding"];
  EXPECT_EQ(bounding, names(all_capabilities()));
  EXPECT_EQ(bounding.size(), 41u);
  EXPECT_NE(std::find(bounding.begin(), bounding.end(), "CAP_SYS_ADMIN"), bounding.end());
  EXPECT_EQ(s["process"]["capabilities"]["effective"], bounding);
  EXPECT_EQ(s["process"]["capabilities"]["permitted"], bounding);
  EXPECT_FALSE(s["process"]["capabilities"].contains("inheritable"));
  EXPECT_FALSE(s["linux"].contains("maskedPaths"));
  EXPECT_FALSE(s["linux"].contains("readonlyPaths"));
  EXPECT_EQ(s["linux"]["resources"]["devices"], json::parse(R"([{"allow": true, "access": "rwm"}])"));
}

TEST(GenerateSpec, CapabilitiesNeverExceedWhatTheNodeHolds) {
  SpecInput in = pod_container_input();
  in.node_capabilities = std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"};
  EXPECT_EQ(spec_of(in)["process"]["capabilities"]["effective"], json({"CAP_CHOWN", "CAP_KILL"}))
      << "the default set cut down to the node's";
  in.container.privileged = true;
  json caps = spec_of(in)["process"]["capabilities"];
  EXPECT_EQ(caps["bounding"], json({"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"})) << "privileged: exactly the node's";
  EXPECT_EQ(caps["permitted"], caps["bounding"]);
}

TEST(CapabilityNames, DecodesAMaskByCapabilityNumber) {
  EXPECT_EQ(capability_names(0), std::vector<std::string>{});
  EXPECT_EQ(capability_names(0b1), std::vector<std::string>{"CAP_CHOWN"});
  EXPECT_EQ(capability_names(uint64_t{1} << 21), std::vector<std::string>{"CAP_SYS_ADMIN"});
  EXPECT_EQ(capability_names(uint64_t{1} << 40), std::vector<std::string>{"CAP_CHECKPOINT_RESTORE"});
  EXPECT_EQ(capability_names((uint64_t{1} << 24) | (uint64_t{1} << 63)), std::vector<std::string>{"CAP_SYS_RESOURCE"})
      << "unknown bits are ignored";
  // A full mask is every capability, in number order.
  std::vector<std::string> all = capability_names(~uint64_t{0});
  ASSERT_EQ(all.size(), all_capabilities().size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], all_capabilities()[i]);
  EXPECT_EQ(capability_names(0x000001fffeffffff).size(), 40u) << "this machine's CapBnd: all but CAP_SYS_RESOURCE";
}

TEST(GenerateSpec, OomScoreAdjWhenSetRaisedToTheNodeMinimum) {
  SpecInput in = pod_container_input();
  in.container.resources.oom_score_adj = 500;
  EXPECT_EQ(spec_of(in)["process"]["oomScoreAdj"], 500);
  in.container.resources.oom_score_adj = -998;
  EXPECT_EQ(spec_of(in)["process"]["oomScoreAdj"], -998);
  in.min_oom_score_adj = 0;
  EXPECT_EQ(spec_of(in)["process"]["oomScoreAdj"], 0) << "raised to what the node allows";
  in.container.resources.oom_score_adj = 1001;
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("oom_score_adj 1001"), std::string_view::npos) << s;
}

TEST(GenerateSpec, LinuxNamespacesCgroupAndSysctls) {
  SpecInput in = pod_container_input();
  in.pod.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0"}};
  json l = spec_of(in)["linux"];
  EXPECT_EQ(l["namespaces"].size(), 5u);
  EXPECT_EQ(l["namespaces"][1]["path"], "/run/pods/p1/ns/net");
  EXPECT_EQ(l["cgroupsPath"], "/berth/pod-p1/c1");
  EXPECT_EQ(l["sysctl"], json::parse(R"({"net.ipv4.ip_unprivileged_port_start": "0"})"));
  EXPECT_FALSE(l.contains("rootfsPropagation"));
  in.pod.sysctls = {{"kernel.panic", "1"}};
  EXPECT_EQ(generate_spec(in).status().code(), absl::StatusCode::kInvalidArgument);
  in.pod.sysctls.clear();
  EXPECT_FALSE(spec_of(in)["linux"].contains("sysctl"));
}

TEST(GenerateSpec, ResourcesAndDefaultDeviceRules) {
  SpecInput in = pod_container_input();
  in.container.resources = {.cpu_period = 100000, .cpu_quota = 50000, .cpu_shares = 512,
                            .memory_limit_in_bytes = 64 << 20, .cpuset_cpus = "0"};
  json r = spec_of(in)["linux"]["resources"];
  EXPECT_EQ(r["cpu"], json::parse(R"({"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"})"));
  EXPECT_EQ(r["memory"], json::parse(R"({"limit": 67108864})"));
  EXPECT_EQ(r["devices"], json::parse(R"([
    {"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
    {"allow": true, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
    {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
    {"allow": true, "type": "c", "major": 136, "access": "rwm"}])"));
  in.container.resources = {};
  r = spec_of(in)["linux"]["resources"];
  EXPECT_FALSE(r.contains("cpu"));
  EXPECT_FALSE(r.contains("memory"));
  in.container.resources.memory_limit_in_bytes = -5;
  absl::Status s = generate_spec(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "container \"app\": LinuxContainerResources.memory_limit_in_bytes -5 is negative");
}

TEST(GenerateSpec, MaskedAndReadonlyPaths) {
  json l = spec_of(pod_container_input())["linux"];
  EXPECT_EQ(l["maskedPaths"], json::parse(R"(["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware", "/sys/devices/virtual/powercap"])"));
  EXPECT_EQ(l["readonlyPaths"],
            json::parse(R"(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])"));
}

TEST(GenerateSpec, MountsAndRootfsPropagation) {
  SpecInput in = pod_container_input();
  in.container.mounts = {{.container_path = "/data", .host_path = "/srv/data", .readonly = true,
                          .propagation = MountPropagation::HostToContainer}};
  json s = spec_of(in);
  EXPECT_EQ((*find_mount(s["mounts"], "/data"))["options"], json({"rbind", "ro", "rslave"}));
  EXPECT_EQ((*find_mount(s["mounts"], "/etc/hosts"))["source"], "/run/pods/p1/hosts");
  EXPECT_EQ(s["linux"]["rootfsPropagation"], "rslave");
  in.container.mounts[0].container_path = "data";
  absl::Status st = generate_spec(in).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("\"data\""), std::string_view::npos);
}

}  // namespace
}  // namespace berth::spec
