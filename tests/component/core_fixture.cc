#include "component/core_fixture.h"

#include <system_error>

#include "base/status.h"
#include "sys/fs.h"
#include "unit/image/test_tar.h"

namespace berth::component {
namespace fs = std::filesystem;
using namespace berth::image::testing;  // NOLINT

namespace {

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  return out;
}

std::vector<std::string> ids_of(const store::MetadataStore& s, store::Kind kind) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<store::Document>> docs = s.list(kind);
  EXPECT_TRUE(docs.ok()) << docs.status();
  if (docs.ok())
    for (const store::Document& d : *docs) out.push_back(d.id);
  return out;
}

// A one-layer image with what containers read from their rootfs (/etc/passwd, /etc/group).
void write_test_layout(const fs::path& layout) {
  BuiltImage img = add_image(layout, {{.entries = {dir("bin"), file("bin/sh", "#!/bin/sh\n", 0755), dir("etc"),
                                                   file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                                                   file("etc/group", "root:x:0:\n")}}});
  write_index(layout, {{.image = img,
                        .annotations = {{"io.containerd.image.name", kImage},
                                        {"org.opencontainers.image.ref.name", "latest"}}}});
}

}  // namespace

void CoreTest::SetUp() {
  std::string tmpl = (fs::temp_directory_path() / "berth-component-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
  ASSERT_TRUE(sys::make_dirs(dir_ / "root").ok());  // as berthd's main makes it
  absl::StatusOr<std::unique_ptr<store::MetadataStore>> st = store::MetadataStore::open(dir_ / "root" / "metadata.db");
  ASSERT_TRUE(st.ok()) << st.status();
  store_ = *std::move(st);
  absl::StatusOr<std::unique_ptr<image::ImageStore>> im = image::ImageStore::open({.root = dir_ / "root" / "images"});
  ASSERT_TRUE(im.ok()) << im.status();
  images_ = *std::move(im);
  write_test_layout(dir_ / "layout");
  absl::StatusOr<std::vector<image::ImageRecord>> imported = images_->import(dir_ / "layout");
  ASSERT_TRUE(imported.ok()) << imported.status();
  restart();
}

void CoreTest::restart() { ASSERT_TRUE(try_restart().ok()); }

absl::Status CoreTest::try_restart() {
  monitors_.forget_watches();  // they die with berthd
  stats_.reset();
  pods_.reset();
  containers_.reset();
  state_.reset();
  core::Settings s{.root = dir_ / "root", .state_dir = dir_ / "state", .cgroup_parent = "/berth-component",
                   .monitor_binary = "/fake/berth-monitor"};
  s.runtimes["runc"] = {.binary = "/fake/runc", .root = dir_ / "state" / "runc"};
  adjust_settings(s);
  state_ = std::make_unique<core::State>(std::move(s), *store_);
  containers_ = std::make_unique<core::ContainerService>(*state_, *images_, host_);
  pods_ = std::make_unique<core::SandboxService>(*state_, *containers_, host_);
  stats_ = std::make_unique<core::StatsService>(*state_, *pods_, *containers_, host_, clock_);
  RETURN_IF_ERROR(pods_->recover());
  RETURN_IF_ERROR(containers_->recover());
  return pods_->reconcile_monitors();
}

void CoreTest::TearDown() {
  monitors_.forget_watches();
  stats_.reset();
  pods_.reset();
  containers_.reset();
  state_.reset();
  images_.reset();
  store_.reset();
  if (!dir_.empty()) (void)sys::remove_tree(dir_);
}

core::PodSpec CoreTest::pod_spec(const std::string& name) const {
  core::PodSpec s;
  s.metadata = {.name = name, .uid = "uid-" + name, .ns = "component"};
  s.hostname = name;
  s.log_directory = (dir_ / "logs" / name).string();
  return s;
}

core::ContainerCreateRequest CoreTest::container_request(const std::string& pod, const std::string& name) const {
  core::ContainerCreateRequest r;
  r.pod_ref = pod;
  r.container.name = name;
  r.container.command = {"sleep", "1000"};
  r.image = kImage;
  r.log_path = name + ".log";
  return r;
}

std::string CoreTest::run_pod(const std::string& name) {
  absl::StatusOr<PodId> id = pods_->run(op(), pod_spec(name));
  EXPECT_TRUE(id.ok()) << id.status();
  return id.ok() ? id->str() : "";
}

std::string CoreTest::run_container(const std::string& pod, const std::string& name) {
  absl::StatusOr<ContainerId> id = containers_->create(op(), container_request(pod, name));
  EXPECT_TRUE(id.ok()) << id.status();
  if (!id.ok()) return "";
  absl::Status s = containers_->start(op(), id->str());
  EXPECT_TRUE(s.ok()) << s;
  return id->str();
}

CoreTest::Leftovers CoreTest::leftovers() const {
  Leftovers l;
  l.pod_records = ids_of(*store_, store::Kind::Pod);
  l.container_records = ids_of(*store_, store::Kind::Container);
  for (const core::PodEntryPtr& e : state_->pods.all()) l.pod_records.push_back("index:" + e->snapshot().id.str());
  for (const core::ContainerEntryPtr& e : state_->containers.all())
    l.container_records.push_back("index:" + e->snapshot().id.str());
  l.pod_dirs = entries(state_->settings.pods_dir());
  l.bundle_dirs = entries(state_->settings.bundles_dir());
  l.layer_dirs = entries(state_->settings.layers_dir());
  l.exit_files = entries(state_->settings.exits_dir());
  l.mounts = mounts_.mounted();
  l.pins = pinner_.pinned();
  l.live_monitors = monitors_.live();
  l.cgroups = cgroups_.groups();
  l.watches = monitors_.watched();
  l.attachments = network_.attached();
  return l;
}

void CoreTest::expect_nothing_left() const {
  const Leftovers l = leftovers();
  EXPECT_EQ(l.pod_records, std::vector<std::string>{});
  EXPECT_EQ(l.container_records, std::vector<std::string>{});
  EXPECT_EQ(l.pod_dirs, std::vector<std::string>{});
  EXPECT_EQ(l.bundle_dirs, std::vector<std::string>{});
  EXPECT_EQ(l.layer_dirs, std::vector<std::string>{});
  EXPECT_EQ(l.exit_files, std::vector<std::string>{});
  EXPECT_EQ(l.mounts, std::vector<fs::path>{});
  EXPECT_EQ(l.pins, std::vector<fs::path>{});
  EXPECT_EQ(l.live_monitors, std::vector<fs::path>{});
  EXPECT_EQ(l.cgroups, std::vector<std::string>{});
  EXPECT_EQ(l.watches, std::vector<std::string>{});
  EXPECT_EQ(l.attachments, std::vector<std::string>{});
}

}  // namespace berth::component
