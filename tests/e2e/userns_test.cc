// Pod user namespaces (NamespaceOption.userns_options mode POD) over CRI, observed in real
// containers and on the host: the mapping, root inside and 100000 outside, the idmapped
// rootfs and volumes; and bad mappings refused before anything is created.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <filesystem>
#include <cstring>
#include <fstream>

#include <absl/strings/match.h>
#include <absl/strings/str_split.h>
#include <nlohmann/json.hpp>

#include "base/unique_fd.h"
#include "e2e/berthd_fixture.h"

namespace berth::e2e {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kHostBase = 100000;

void add_mapping(google::protobuf::RepeatedPtrField<v1::IDMapping>* list, uint32_t container, uint32_t host,
                 uint32_t length) {
  v1::IDMapping* m = list->Add();
  m->set_container_id(container);
  m->set_host_id(host);
  m->set_length(length);
}

// mode POD, container 0..65535 -> host 100000..165535 for uids and gids.
v1::UserNamespace pod_userns() {
  v1::UserNamespace u;
  u.set_mode(v1::POD);
  add_mapping(u.mutable_uids(), 0, kHostBase, 65536);
  add_mapping(u.mutable_gids(), 0, kHostBase, 65536);
  return u;
}

std::vector<std::string> words(const std::string& s) {
  return absl::StrSplit(s, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

class UserNs : public BerthdTest {
 protected:
  void SetUp() override {
    BerthdTest::SetUp();
    // runc reaches the rootfs from inside the user namespace: the test root (mkdtemp, 0700)
    // must be searchable, as a node's state directory is.
    if (!dir_.empty()) fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }

  v1::PodSandboxConfig userns_pod_config(const std::string& name, const v1::UserNamespace& u) const {
    v1::PodSandboxConfig c = pod_config({.name = name});
    *c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->mutable_userns_options() = u;
    return c;
  }
  grpc::Status run_pod_config(const v1::PodSandboxConfig& c, std::string* id) {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = c;
    v1::RunPodSandboxResponse resp;
    grpc::Status s = rt_->RunPodSandbox(ctx().get(), req, &resp);
    if (id != nullptr) *id = resp.pod_sandbox_id();
    return s;
  }
  v1::ContainerConfig userns_container(const std::string& name, const v1::UserNamespace& u) const {
    v1::ContainerConfig c = container_config({.name = name, .command = {"sleep", "1000"}});
    auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
    ns->set_pid(v1::CONTAINER);
    *ns->mutable_userns_options() = u;
    return c;
  }
  std::string exec_out(const std::string& id, const std::vector<std::string>& cmd) {
    v1::ExecSyncResponse out;
    grpc::Status s = exec_sync(id, cmd, 10, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.exit_code(), 0) << out.stderr();
    return out.stdout();
  }
  pid_t container_pid(const std::string& id) { return container_info(id).value("pid", 0); }
  // The real uid on the host ("Uid:" of /proc/<pid>/status).
  std::string host_uid(pid_t pid) {
    const std::vector<std::string> lines =
        absl::StrSplit(slurp(fs::path("/proc") / std::to_string(pid) / "status"), '\n');
    for (const std::string& line : lines)
      if (absl::StartsWith(line, "Uid:")) return words(line).at(1);
    return "";
  }
  size_t pod_count() {
    v1::ListPodSandboxRequest req;
    v1::ListPodSandboxResponse resp;
    EXPECT_TRUE(rt_->ListPodSandbox(ctx().get(), req, &resp).ok());
    return static_cast<size_t>(resp.items_size());
  }
};

TEST_F(UserNs, ContainerRootIsMappedToTheHostRange) {
  std::string pod;
  ASSERT_TRUE(run_pod_config(userns_pod_config("uns", pod_userns()), &pod).ok());

  // A volume: a host directory and file owned by the host's root.
  const fs::path vol = dir_ / "vol";
  fs::create_directories(vol);
  std::ofstream(vol / "hostfile") << "from the host\n";
  v1::ContainerConfig cfg = userns_container("c", pod_userns());
  v1::Mount* m = cfg.add_mounts();
  m->set_container_path("/vol");
  m->set_host_path(vol.string());
  grpc::Status err;
  const std::string c = run_config(pod, cfg, &err);
  ASSERT_TRUE(err.ok()) << err.error_message();

  EXPECT_EQ(words(exec_out(c, {"cat", "/proc/self/uid_map"})),
            (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(words(exec_out(c, {"cat", "/proc/self/gid_map"})),
            (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(exec_out(c, {"id", "-u"}), "0\n");
  // The idmapped rootfs: the image's files are root's inside, not nobody's.
  EXPECT_EQ(exec_out(c, {"stat", "-c", "%u:%g", "/bin/busybox"}), "0:0\n");
  // The rootfs is writable by the container's root (the upper directory is its own).
  EXPECT_EQ(exec_out(c, {"sh", "-c", "touch /made && stat -c %u /made"}), "0\n");
  // The pod's files and namespaces belong to the container's root: /etc/hosts is root's,
  // sysfs could be mounted (the network namespace is owned by the user namespace).
  EXPECT_EQ(exec_out(c, {"stat", "-c", "%u", "/etc/hosts"}), "0\n");
  EXPECT_TRUE(absl::StrContains(exec_out(c, {"ls", "/sys/class/net"}), "lo"));
  EXPECT_EQ(exec_out(c, {"hostname"}), "uns\n");

  // On the host the container's process is 100000.
  const pid_t pid = container_pid(c);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(host_uid(pid), "100000");

  // The idmapped volume: the host's root-owned file is root's inside, and a file the
  // container's root creates is stored with the id it has inside (0), not as 100000.
  EXPECT_EQ(exec_out(c, {"stat", "-c", "%u", "/vol/hostfile"}), "0\n");
  EXPECT_EQ(exec_out(c, {"sh", "-c", "echo hi > /vol/made && stat -c %u /vol/made"}), "0\n");
  struct stat st{};
  ASSERT_EQ(::stat((vol / "made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);

  // The pod's status names its pinned user namespace.
  v1::PodSandboxStatusRequest sreq;
  sreq.set_pod_sandbox_id(pod);
  sreq.set_verbose(true);
  v1::PodSandboxStatusResponse sresp;
  ASSERT_TRUE(rt_->PodSandboxStatus(ctx().get(), sreq, &sresp).ok());
  EXPECT_TRUE(absl::StrContains(sresp.info().at("info"), "/ns/user"));

  // Removing the pod unpins everything.
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse rmr;
  ASSERT_TRUE(rt_->RemovePodSandbox(ctx().get(), rm, &rmr).ok());
  EXPECT_TRUE(mounts_under_root().empty()) << mounts_under_root().front();
}

// hostUsers: false with shareProcessNamespace: true. The pod's PID namespace belongs to its
// user namespace, so its containers can join it and mount its /proc.
TEST_F(UserNs, SharedPodPidNamespaceIsOwnedByThePodsUserNamespace) {
  v1::PodSandboxConfig pc = userns_pod_config("unspid", pod_userns());
  pc.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
  std::string pod;
  grpc::Status s = run_pod_config(pc, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto pod_pid_container = [&](const std::string& name, const std::string& seconds) {
    v1::ContainerConfig c = userns_container(name, pod_userns());
    c.clear_command();
    c.add_command("sleep");
    c.add_command(seconds);
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::POD);
    grpc::Status err;
    const std::string id = run_config(pod, c, &err);
    EXPECT_TRUE(err.ok()) << err.error_message();
    return id;
  };
  const std::string a = pod_pid_container("a", "1001"), b = pod_pid_container("b", "1002");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());

  // Inside: root mapped to 100000, and one PID namespace for both, whose PID 1 is the pod's init.
  EXPECT_EQ(words(exec_out(a, {"cat", "/proc/self/uid_map"})), (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(exec_out(a, {"id", "-u"}), "0\n");
  EXPECT_EQ(exec_out(b, {"cat", "/proc/1/comm"}), "berth-pod-init\n");
  EXPECT_TRUE(absl::StrContains(exec_out(b, {"ps", "-o", "args"}), "sleep 1001")) << "b sees a's process";
  EXPECT_TRUE(absl::StrContains(exec_out(a, {"ps", "-o", "args"}), "sleep 1002")) << "a sees b's process";

  // Outside: the processes run as 100000, share one PID namespace, and that namespace's
  // owner is the containers' user namespace (not the host's).
  const pid_t pa = container_pid(a), pb = container_pid(b);
  ASSERT_GT(pa, 0);
  ASSERT_GT(pb, 0);
  EXPECT_EQ(host_uid(pa), "100000");
  auto ns_ino = [](const fs::path& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  };
  const fs::path proc_a = fs::path("/proc") / std::to_string(pa);
  EXPECT_EQ(ns_ino(proc_a / "ns" / "pid"), ns_ino(fs::path("/proc") / std::to_string(pb) / "ns" / "pid"));
  EXPECT_NE(ns_ino(proc_a / "ns" / "user"), ns_ino("/proc/self/ns/user"));
  UniqueFd pidns{::open((proc_a / "ns" / "pid").c_str(), O_RDONLY | O_CLOEXEC)};
  ASSERT_TRUE(pidns);
  UniqueFd owner{::ioctl(pidns.get(), NS_GET_USERNS)};
  ASSERT_TRUE(owner) << std::strerror(errno);
  struct stat owner_st{};
  ASSERT_EQ(::fstat(owner.get(), &owner_st), 0);
  EXPECT_EQ(owner_st.st_ino, ns_ino(proc_a / "ns" / "user")) << "the pod's user namespace owns its PID namespace";
}

TEST_F(UserNs, BadMappingsAreInvalidArgumentAndLeaveNothing) {
  v1::UserNamespace overlap = pod_userns();
  add_mapping(overlap.mutable_uids(), 100, 300000, 10);  // container 100.. is inside 0..65535
  std::string id;
  grpc::Status s = run_pod_config(userns_pod_config("bad", overlap), &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "userns_options.uids")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "overlap")) << s.error_message();

  v1::UserNamespace no_gids = pod_userns();
  no_gids.clear_gids();
  s = run_pod_config(userns_pod_config("bad", no_gids), &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "userns_options.gids")) << s.error_message();

  v1::UserNamespace container_mode = pod_userns();
  container_mode.set_mode(v1::CONTAINER);
  s = run_pod_config(userns_pod_config("bad", container_mode), &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "userns_options.mode")) << s.error_message();

  EXPECT_EQ(pod_count(), 0u);
  EXPECT_TRUE(mounts_under_root().empty());
  // Nothing reserved: the same pod runs once the mapping is right.
  EXPECT_TRUE(run_pod_config(userns_pod_config("bad", pod_userns()), &id).ok());
}

TEST_F(UserNs, ContainerMustRepeatThePodsUserNamespace) {
  std::string pod;
  ASSERT_TRUE(run_pod_config(userns_pod_config("uns2", pod_userns()), &pod).ok());
  v1::UserNamespace other = pod_userns();
  other.mutable_uids(0)->set_host_id(200000);
  grpc::Status err;
  EXPECT_TRUE(run_config(pod, userns_container("c", other), &err).empty());
  EXPECT_EQ(err.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << err.error_message();
  EXPECT_TRUE(absl::StrContains(err.error_message(), "userns_options")) << err.error_message();
  // The pod's own mapping works.
  EXPECT_FALSE(run_config(pod, userns_container("c", pod_userns()), &err).empty()) << err.error_message();
}

// A failure half way through CreateContainer in a user-namespace pod (here: the state
// directory is not searchable, so runc could not reach the rootfs) is refused with a clear
// error and rolled back: no idmapped or overlay mount stays (the fixture checks too).
TEST_F(UserNs, UnsearchableStateDirIsFailedPreconditionAndLeavesNoMount) {
  std::string pod;
  ASSERT_TRUE(run_pod_config(userns_pod_config("uns3", pod_userns()), &pod).ok());
  const std::vector<std::string> pod_mounts = mounts_under_root();
  fs::permissions(dir_, fs::perms::owner_all);  // 0700, as mkdtemp made it
  grpc::Status err;
  EXPECT_TRUE(run_config(pod, userns_container("c", pod_userns()), &err).empty());
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  EXPECT_EQ(err.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << err.error_message();
  EXPECT_TRUE(absl::StrContains(err.error_message(), dir_.string())) << err.error_message();
  EXPECT_EQ(mounts_under_root(), pod_mounts);
  // The same container is created once the directory is searchable.
  EXPECT_FALSE(run_config(pod, userns_container("c", pod_userns()), &err).empty()) << err.error_message();
}

// CRI Mount.uidMappings on one mount of an ordinary pod: ids on disk are seen through them.
TEST_F(UserNs, MountWithItsOwnMappingsIsIdmapped) {
  const std::string pod = run_pod({.name = "plain"});
  const fs::path vol = dir_ / "vol";
  fs::create_directories(vol);
  std::ofstream(vol / "hostfile") << "x\n";
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sleep", "1000"}});
  v1::Mount* m = cfg.add_mounts();
  m->set_container_path("/vol");
  m->set_host_path(vol.string());
  m->set_readonly(true);
  add_mapping(m->mutable_uidmappings(), 0, kHostBase, 65536);
  add_mapping(m->mutable_gidmappings(), 0, kHostBase, 65536);
  grpc::Status err;
  const std::string c = run_config(pod, cfg, &err);
  if (err.error_code() == grpc::StatusCode::UNIMPLEMENTED && absl::StrContains(err.error_message(), "idmapped"))
    GTEST_SKIP() << "spec::check_mounts still refuses Mount.uidMappings: " << err.error_message();
  ASSERT_TRUE(err.ok()) << err.error_message();
  EXPECT_EQ(exec_out(c, {"stat", "-c", "%u:%g", "/vol/hostfile"}), "100000:100000\n");
}

}  // namespace
}  // namespace berth::e2e
