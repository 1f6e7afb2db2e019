#pragma once
// Component-test fixture: the real SandboxService and ContainerService of src/core/ on a real
// metadata store and image store in a temporary directory, with every host seam a fake
// (tests/fakes). No root, no runc, no kernel mounts: seconds for the whole suite.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/container_service.h"
#include "core/host_services.h"
#include "core/sandbox_service.h"
#include "core/stats_service.h"
#include "base/clock.h"
#include "fakes/fake_host.h"
#include "fakes/fake_monitors.h"
#include "fakes/fake_mounter.h"
#include "image/image_store.h"
#include "store/metadata_store.h"

namespace berth::component {

inline constexpr const char* kImage = "docker.io/library/busybox:latest";

class CoreTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A fixture's changes to the settings every (re)start uses.
  virtual void adjust_settings(core::Settings&) {}

  // A fresh State and services over the same store and host, as after a berthd restart;
  // runs recovery.
  void restart();
  // The same, returning what failed instead of asserting.
  absl::Status try_restart();

  core::PodSpec pod_spec(const std::string& name) const;
  core::ContainerCreateRequest container_request(const std::string& pod, const std::string& name) const;
  std::string run_pod(const std::string& name);  // ASSERTs success
  std::string run_container(const std::string& pod, const std::string& name);  // create + start

  // What exists of pods and containers anywhere: records in the store and the index, name
  // reservations (the names in use), directories, mounts, cgroups, pins, live monitors and
  // the containers they hold, watches of monitors. Empty lists mean nothing was left behind.
  struct Leftovers {
    std::vector<std::string> pod_records, container_records, pod_dirs, bundle_dirs, layer_dirs, exit_files;
    std::vector<std::filesystem::path> mounts, pins, live_monitors;
    std::vector<std::string> cgroups;
    std::vector<std::string> watches;  // pods whose monitor is watched
    std::vector<std::string> attachments;  // pods attached to the network
  };
  Leftovers leftovers() const;
  void expect_nothing_left() const;

  core::OpContext op() const { return core::OpContext{.deadline = absl::Now() + absl::Seconds(30)}; }

 public:  // the fakes, for tests that pick a seam to fail by parameter
  fakes::FakeMonitors monitors_;
  fakes::FakeRuntimeCli runtime_cli_;
  fakes::FakeCgroups cgroups_;
  fakes::FakePinner pinner_;
  fakes::FakeMounter mounts_;
  fakes::FakeNetwork network_;

 protected:
  std::filesystem::path dir_;
  const core::HostServices host_{.monitors = monitors_,
                                 .runtime_cli = runtime_cli_,
                                 .cgroups = cgroups_,
                                 .pinner = pinner_,
                                 .mounts = mounts_,
                                 .network = network_};
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<image::ImageStore> images_;
  std::unique_ptr<core::State> state_;
  std::unique_ptr<core::ContainerService> containers_;
  std::unique_ptr<core::SandboxService> pods_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<core::StatsService> stats_;
};

}  // namespace berth::component
