// ContainerConfig.mounts over CRI, observed from inside real busybox containers: read-only
// and recursive read-only binds, symlinked and missing host paths, a termination-log style
// file bind, HOST_TO_CONTAINER and BIDIRECTIONAL propagation against real shared mounts,
// image mounts (KEP 4639) and image VOLUMEs.
//
// The host-side mounts a test makes (tmpfs, shared or private) live in its own directory
// host_, outside the daemon's root, and TearDown unmounts them whatever happened.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <absl/strings/match.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "e2e/berthd_fixture.h"
#include "sys/fs.h"
#include "sys/mounts.h"

namespace berth::e2e {
namespace {
namespace fs = std::filesystem;

class Mounts : public BerthdTest {
 protected:
  void SetUp() override {
    BerthdTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string tmpl = "/tmp/bt-mnt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    host_ = tmpl;
  }
  void TearDown() override {
    BerthdTest::TearDown();  // removes the pods (and so the containers) first
    if (host_.empty()) return;
    EXPECT_TRUE(sys::unmount_all_under(host_).ok());
    EXPECT_TRUE(sys::remove_tree(host_).ok());
  }

  // A tmpfs at `path` (created), with propagation `flag` (MS_SHARED, MS_PRIVATE).
  void mount_tmpfs(const fs::path& path, unsigned long flag = MS_PRIVATE) {
    ASSERT_TRUE(sys::make_dirs(path).ok());
    ASSERT_EQ(::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=4m"), 0) << path << ": " << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, path.c_str(), nullptr, flag, nullptr), 0) << path << ": " << std::strerror(errno);
  }

  static v1::Mount* add_mount(v1::ContainerConfig& cfg, const std::string& container_path, const std::string& host_path,
                              bool readonly = false, v1::MountPropagation p = v1::PROPAGATION_PRIVATE) {
    v1::Mount* m = cfg.add_mounts();
    m->set_container_path(container_path);
    m->set_host_path(host_path);
    m->set_readonly(readonly);
    m->set_propagation(p);
    return m;
  }
  static v1::Mount* add_image_mount(v1::ContainerConfig& cfg, const std::string& container_path, const std::string& image,
                                    const std::string& sub_path = "") {
    v1::Mount* m = cfg.add_mounts();
    m->set_container_path(container_path);
    m->mutable_image()->set_image(image);
    m->set_image_sub_path(sub_path);
    return m;
  }
  v1::ContainerConfig sleeper(const std::string& name) const {
    return container_config({.name = name, .command = {"sleep", "1000"}});
  }
  int sh(const std::string& id, const std::string& script, std::string* out = nullptr) {
    return exec_exit(id, {"sh", "-c", script}, out);
  }
  // The bind mount of the container's OCI spec at `dest` (from verbose ContainerStatus).
  nlohmann::json spec_mount(const std::string& id, const std::string& dest) {
    const nlohmann::json info = container_info(id);  // held: the loop must not outlive it
    for (const auto& m : info["runtimeSpec"]["mounts"])
      if (m["destination"] == dest) return m;
    return nlohmann::json();
  }
  std::string image_id(const std::string& ref) {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(ref);
    v1::ImageStatusResponse resp;
    EXPECT_TRUE(img_->ImageStatus(ctx().get(), req, &resp).ok());
    return resp.image().id();
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  void check_recursive_readonly_volume(const std::string& handler, bool runtime_does_it);

  fs::path host_;  // this test's host-side files and mounts
};

TEST_F(Mounts, ReadOnlyBindRefusesWritesReadWriteReachesTheHost) {
  ASSERT_TRUE(sys::make_dirs(host_ / "ro").ok() && sys::make_dirs(host_ / "rw").ok());
  write(host_ / "ro" / "f", "kept\n");
  const std::string pod = run_pod({.name = "rw"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/ro", (host_ / "ro").string(), /*readonly=*/true);
  add_mount(cfg, "/rw", (host_ / "rw").string());
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  std::string out;
  EXPECT_EQ(sh(c, "cat /ro/f", &out), 0);
  EXPECT_EQ(out, "kept\n");
  EXPECT_NE(sh(c, "echo x > /ro/f"), 0) << "a read-only bind must refuse writes";
  EXPECT_NE(sh(c, "touch /ro/new"), 0);
  EXPECT_EQ(slurp(host_ / "ro" / "f"), "kept\n");
  EXPECT_EQ(sh(c, "echo from-inside > /rw/f"), 0);
  EXPECT_EQ(slurp(host_ / "rw" / "f"), "from-inside\n");
}

TEST_F(Mounts, RecursiveReadOnlyCoversSubmountsPlainReadOnlyDoesNot) {
  mount_tmpfs(host_ / "tree" / "sub");
  const std::string pod = run_pod({.name = "rro"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/plain", (host_ / "tree").string(), /*readonly=*/true);
  add_mount(cfg, "/rro", (host_ / "tree").string(), /*readonly=*/true)->set_recursive_read_only(true);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_NE(sh(c, "touch /plain/x"), 0);
  EXPECT_NE(sh(c, "touch /rro/x"), 0);
  // runc 1.1 remounts only the top of a bind read-only: the submount stays writable...
  EXPECT_EQ(sh(c, "touch /plain/sub/x"), 0) << "plain readonly leaves submounts writable on runc 1.1";
  // ...unless the mount is recursive read-only.
  EXPECT_NE(sh(c, "touch /rro/sub/y"), 0) << "recursive read-only must cover the submount";
  EXPECT_TRUE(fs::exists(host_ / "tree" / "sub" / "x"));
  EXPECT_FALSE(fs::exists(host_ / "tree" / "sub" / "y"));
  v1::ContainerStatus st = container_status(c);
  ASSERT_EQ(st.mounts_size(), 2);
  EXPECT_TRUE(st.mounts(1).recursive_read_only());
  EXPECT_EQ(st.mounts(1).host_path(), (host_ / "tree").string());
}

// A hostPath holding a tmpfs, mounted recursive read-only into a running container `c` of
// pod handler `handler`; what the container and the host can then do with it.
void Mounts::check_recursive_readonly_volume(const std::string& handler, bool runtime_does_it) {
  const fs::path vol = host_ / "vol";
  mount_tmpfs(vol / "tmpfs");
  write(vol / "top", "top\n");
  write(vol / "tmpfs" / "inner", "inner\n");
  const std::string pod = run_pod({.name = "rro-" + handler, .runtime_handler = handler});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/data", vol.string(), /*readonly=*/true)->set_recursive_read_only(true);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());

  const nlohmann::json m = spec_mount(c, "/data");
  const std::vector<std::string> options = m.value("options", std::vector<std::string>{});
  const bool rro = std::find(options.begin(), options.end(), "rro") != options.end();
  EXPECT_EQ(rro, runtime_does_it) << m.dump();
  if (runtime_does_it) {
    EXPECT_EQ(m["source"], vol.string()) << "the runtime binds the host path itself";
  }
  // Either way the host's mount namespace holds no copy of the volume while the container runs.
  for (const std::string& p : mounts_under_root())
    EXPECT_FALSE(absl::StrContains(p, "/mounts/")) << "a clone stays on the host: " << p;

  std::string out;
  EXPECT_EQ(sh(c, "cat /data/top /data/tmpfs/inner", &out), 0);
  EXPECT_EQ(out, "top\ninner\n");
  EXPECT_NE(sh(c, "touch /data/x"), 0) << "the top of the volume must be read-only";
  EXPECT_NE(sh(c, "touch /data/tmpfs/x"), 0) << "the tmpfs inside it must be read-only too";

  // The client cleans up its hostPath while the container still runs.
  ASSERT_EQ(::umount2((vol / "tmpfs").c_str(), 0), 0) << std::strerror(errno);
  std::error_code ec;
  fs::remove_all(vol, ec);
  EXPECT_FALSE(ec) << "rm -r of the hostPath: " << ec.message();
  EXPECT_FALSE(fs::exists(vol));
  EXPECT_EQ(sh(c, "true"), 0) << "the container keeps running";
}

TEST_F(Mounts, RecursiveReadOnlyIsTheRuntimesWhenItTakesRro) {
  check_recursive_readonly_volume("runc", /*runtime_does_it=*/true);
}

// A runtime without "rro": berthd's own read-only clone, detached once the container has its
// copy.
class MountsWithoutRro : public Mounts {
 protected:
  std::string extra_config() const override {
    return fmt::format("[runtime.handlers.norro]\nbinary = \"{}\"\nroot = \"{}\"\n",
                       (source_dir() / "tests" / "e2e" / "runc-without-rro").string(), (state_dir_ / "runc").string());
  }
};

TEST_F(MountsWithoutRro, RecursiveReadOnlyCloneLeavesTheHostOnceTheContainerHasItsCopy) {
  check_recursive_readonly_volume("norro", /*runtime_does_it=*/false);
}

TEST_F(Mounts, RecursiveReadOnlyNeedsReadOnlyAndPrivate) {
  ASSERT_TRUE(sys::make_dirs(host_ / "d").ok());
  const std::string pod = run_pod({.name = "rrobad"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/d", (host_ / "d").string())->set_recursive_read_only(true);
  grpc::Status s = create_config(pod, cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "\"/d\"")) << s.error_message();
}

TEST_F(Mounts, SymlinkHostPathIsBoundToItsTarget) {
  ASSERT_TRUE(sys::make_dirs(host_ / "target").ok());
  write(host_ / "target" / "here", "target\n");
  fs::create_directory_symlink(host_ / "target", host_ / "link");
  const std::string pod = run_pod({.name = "sym"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/l", (host_ / "link").string());
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  std::string out;
  EXPECT_EQ(sh(c, "cat /l/here", &out), 0);
  EXPECT_EQ(out, "target\n");
  EXPECT_EQ(spec_mount(c, "/l")["source"], (host_ / "target").string()) << "the spec binds the resolved path";
  // Swapping the link afterwards does not change what the container has.
  ASSERT_TRUE(sys::make_dirs(host_ / "other").ok());
  fs::remove(host_ / "link");
  fs::create_directory_symlink(host_ / "other", host_ / "link");
  EXPECT_EQ(sh(c, "cat /l/here", &out), 0);
}

TEST_F(Mounts, MissingHostPathIsCreatedAsADirectory) {
  const fs::path missing = host_ / "made" / "by" / "berth";
  const std::string pod = run_pod({.name = "missing"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/m", missing.string());
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  struct stat st{};
  ASSERT_EQ(::stat(missing.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((host_ / "made").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << "parents too";
  EXPECT_EQ(sh(c, "echo hi > /m/f"), 0);
  EXPECT_EQ(slurp(missing / "f"), "hi\n");
}

TEST_F(Mounts, FileBindLikeTheTerminationLogIsWritableAndTheHostSeesIt) {
  const fs::path log = host_ / "termination-log";
  write(log, "");
  ASSERT_EQ(::chmod(log.c_str(), 0666), 0);
  const std::string pod = run_pod({.name = "termlog"});
  v1::ContainerConfig cfg = container_config({.name = "c", .command = {"sh", "-c", "echo goodbye > /dev/termination-log"}});
  add_mount(cfg, "/dev/termination-log", log.string());
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  v1::ContainerStatus st = wait_exited(c);
  EXPECT_EQ(st.exit_code(), 0);
  EXPECT_EQ(slurp(log), "goodbye\n");
  EXPECT_TRUE(fs::is_regular_file(log));
}

TEST_F(Mounts, HostToContainerSeesMountsMadeOnTheHostLater) {
  mount_tmpfs(host_ / "shared", MS_SHARED);
  const std::string pod = run_pod({.name = "h2c"});
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/shared", (host_ / "shared").string(), false, v1::PROPAGATION_HOST_TO_CONTAINER);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_NE(sh(c, "cat /shared/late/marker"), 0);
  // After the container started: a new mount below the shared one on the host.
  mount_tmpfs(host_ / "shared" / "late");
  write(host_ / "shared" / "late" / "marker", "late\n");
  std::string out;
  EXPECT_TRUE(eventually([&] { return sh(c, "cat /shared/late/marker", &out) == 0; }, std::chrono::seconds(5)));
  EXPECT_EQ(out, "late\n");
}

TEST_F(Mounts, BidirectionalMountMadeInsideAppearsOnTheHost) {
  mount_tmpfs(host_ / "shared", MS_SHARED);
  const std::string pod = run_pod({.name = "bidi", .privileged = true});
  v1::ContainerConfig cfg = sleeper("c");
  cfg.mutable_linux()->mutable_security_context()->set_privileged(true);
  add_mount(cfg, "/shared", (host_ / "shared").string(), false, v1::PROPAGATION_BIDIRECTIONAL);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  ASSERT_EQ(sh(c, "mkdir -p /shared/inner && mount -t tmpfs -o size=1m tmpfs /shared/inner && "
                  "echo inside > /shared/inner/marker"), 0);
  EXPECT_TRUE(eventually([&] { return slurp(host_ / "shared" / "inner" / "marker") == "inside\n"; },
                         std::chrono::seconds(5)))
      << "a mount made in the container must reach the host";
  EXPECT_EQ(sys::unmount(host_ / "shared" / "inner").ok(), true);
  EXPECT_FALSE(fs::exists(host_ / "shared" / "inner" / "marker"));
}

TEST_F(Mounts, BidirectionalOnAPrivateHostPathFailsAndLeavesNothing) {
  mount_tmpfs(host_ / "private", MS_PRIVATE);
  const fs::path wanted = host_ / "private" / "new" / "dir";
  const std::string pod = run_pod({.name = "priv"});
  const std::vector<std::string> mounts_before = mounts_under_root();
  v1::ContainerConfig cfg = sleeper("c");
  add_mount(cfg, "/shared", wanted.string(), false, v1::PROPAGATION_BIDIRECTIONAL);
  grpc::Status s = create_config(pod, cfg);
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
              s.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_code() << ": " << s.error_message();
  for (const std::string& part : {std::string("\"/shared\""), wanted.string(), (host_ / "private").string(),
                                  std::string("private")})
    EXPECT_TRUE(absl::StrContains(s.error_message(), part)) << part << " not in: " << s.error_message();
  EXPECT_EQ(containers_in(pod), 0u);
  EXPECT_EQ(mounts_under_root(), mounts_before);
  EXPECT_FALSE(fs::exists(host_ / "private" / "new")) << "the directories made for the mount are removed again";
  // HOST_TO_CONTAINER needs a shared or slave mount too.
  cfg.mutable_mounts(0)->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  s = create_config(pod, cfg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  // Nothing reserved: the same name works once the mount is private.
  cfg.mutable_mounts(0)->set_propagation(v1::PROPAGATION_PRIVATE);
  std::string id;
  s = create_config(pod, cfg, &id);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(fs::is_directory(wanted));
}

TEST_F(Mounts, ImageMountIsTheImagesFilesReadOnly) {
  const std::string busybox = image_id("docker.io/library/busybox:latest");
  const std::string pod = run_pod({.name = "imgmnt"});
  v1::ContainerConfig cfg = sleeper("c");
  add_image_mount(cfg, "/img", busybox);
  add_image_mount(cfg, "/imgbin", busybox, "bin");
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(sh(c, "test -x /img/bin/busybox && /img/bin/busybox true"), 0);
  EXPECT_EQ(sh(c, "test -x /imgbin/busybox"), 0);
  EXPECT_NE(sh(c, "touch /img/x"), 0) << "an image mount is read-only";
  EXPECT_NE(sh(c, "touch /imgbin/x"), 0);
  v1::ContainerStatus st = container_status(c);
  ASSERT_EQ(st.mounts_size(), 2);
  EXPECT_EQ(st.mounts(0).image().image(), busybox);
  EXPECT_EQ(st.mounts(1).image_sub_path(), "bin");
}

TEST_F(Mounts, ImageMountOfALayeredImageKeepsItFromRemoval) {
  // Two layers: the mount is a read-only overlay. The container itself runs busybox.
  const fs::path extra = host_ / "layer";
  ASSERT_TRUE(sys::make_dirs(extra / "data").ok());
  write(extra / "data" / "seed", "seed\n");
  import_test_image("docker.io/library/layered:1", {"--extra-layer", extra.string()});
  const std::string layered = image_id("docker.io/library/layered:1");
  const std::string pod = run_pod({.name = "layered"});
  v1::ContainerConfig cfg = sleeper("c");
  add_image_mount(cfg, "/img", layered);
  const std::string c = run_config(pod, cfg);
  ASSERT_FALSE(c.empty());
  std::string out;
  EXPECT_EQ(sh(c, "cat /img/data/seed", &out), 0);
  EXPECT_EQ(out, "seed\n");
  EXPECT_EQ(sh(c, "test -x /img/bin/busybox"), 0) << "the lower layer shows through";
  EXPECT_NE(sh(c, "touch /img/data/x"), 0);

  v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image(layered);
  v1::RemoveImageResponse rm_resp;
  grpc::Status s = img_->RemoveImage(ctx().get(), rm, &rm_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "removed while mounted: " << s.error_message();
  v1::RemoveContainerRequest rc;
  rc.set_container_id(c);
  v1::RemoveContainerResponse rc_resp;
  ASSERT_TRUE(rt_->RemoveContainer(ctx().get(), rc, &rc_resp).ok());
  s = img_->RemoveImage(ctx().get(), rm, &rm_resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(Mounts, BadImageMountsNameWhatIsWrongAndLeaveNothing) {
  const std::string busybox = image_id("docker.io/library/busybox:latest");
  const std::string pod = run_pod({.name = "badimg"});
  const std::vector<std::string> mounts_before = mounts_under_root();
  struct Case {
    std::string image, sub_path;
    grpc::StatusCode code;
    std::string named;
  };
  for (const Case& k : {Case{"docker.io/library/absent:1", "", grpc::StatusCode::NOT_FOUND, "absent"},
                        Case{busybox, "no/such/dir", grpc::StatusCode::INVALID_ARGUMENT, "no/such/dir"},
                        Case{busybox, "../etc", grpc::StatusCode::INVALID_ARGUMENT, "../etc"}}) {
    v1::ContainerConfig cfg = sleeper("c");
    add_image_mount(cfg, "/img", k.image, k.sub_path);
    grpc::Status s = create_config(pod, cfg);
    EXPECT_EQ(s.error_code(), k.code) << k.image << " " << k.sub_path << ": " << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), k.named)) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "/img")) << s.error_message();
  }
  v1::ContainerConfig both = sleeper("c");
  add_image_mount(both, "/img", busybox)->set_host_path((host_).string());
  EXPECT_EQ(create_config(pod, both).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(containers_in(pod), 0u);
  EXPECT_EQ(mounts_under_root(), mounts_before);
}

TEST_F(Mounts, ImageVolumeIsAWritableDirectoryOfTheContainersOwn) {
  const fs::path extra = host_ / "layer";
  ASSERT_TRUE(sys::make_dirs(extra / "data").ok());
  write(extra / "data" / "seed", "seed\n");
  ASSERT_EQ(::chmod((extra / "data" / "seed").c_str(), 0640), 0);
  ASSERT_EQ(::chmod((extra / "data").c_str(), 0750), 0);
  import_test_image("docker.io/library/volumes:1",
                    {"--extra-layer", extra.string(), "--volume", "/data", "--volume", "/empty"});
  const std::string pod = run_pod({.name = "vol"});
  v1::ContainerConfig cfg = container_config({.name = "a", .command = {"sleep", "1000"}, .image = "docker.io/library/volumes:1"});
  cfg.mutable_linux()->mutable_security_context()->set_readonly_rootfs(true);
  const std::string a = run_config(pod, cfg);
  ASSERT_FALSE(a.empty());
  std::string out;
  EXPECT_EQ(sh(a, "cat /data/seed", &out), 0);
  EXPECT_EQ(out, "seed\n") << "seeded with the image's content";
  EXPECT_EQ(sh(a, "stat -c %a /data /data/seed", &out), 0);
  EXPECT_EQ(out, "750\n640\n") << "with the image's modes";
  EXPECT_NE(sh(a, "touch /rootfs-is-read-only"), 0);
  EXPECT_EQ(sh(a, "echo a > /data/new && touch /empty/x"), 0) << "VOLUMEs are writable on a read-only rootfs";
  EXPECT_EQ(sh(a, "grep -c ' /data ' /proc/self/mounts", &out), 0) << "a mount of its own";

  cfg.mutable_metadata()->set_name("b");
  cfg.set_log_path("b.log");
  const std::string b = run_config(pod, cfg);
  ASSERT_FALSE(b.empty());
  EXPECT_NE(sh(b, "test -e /data/new"), 0) << "each container has its own";
  EXPECT_EQ(sh(b, "cat /data/seed", &out), 0);

  // A config mount at the VOLUME's path replaces it.
  ASSERT_TRUE(sys::make_dirs(host_ / "mine").ok());
  write(host_ / "mine" / "host-file", "");
  v1::ContainerConfig own = cfg;
  own.mutable_metadata()->set_name("own");
  own.set_log_path("own.log");
  add_mount(own, "/data", (host_ / "mine").string());
  const std::string o = run_config(pod, own);
  ASSERT_FALSE(o.empty());
  EXPECT_EQ(sh(o, "test -e /data/host-file && ! test -e /data/seed"), 0);
}

}  // namespace
}  // namespace berth::e2e
