#pragma once
// A pod with every namespace pinned and one container running `sh -c "echo ok"`: each test
// changes only the fields its rule reads.
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec::testing {

inline SpecInput pod_container_input() {
  SpecInput in;
  in.container = {.id = "c1", .name = "app", .command = {"sh", "-c", "echo ok"}};
  in.pod = {.id = "p1",
            .hostname = "web",
            .net_ns = "/run/pods/p1/ns/net",
            .ipc_ns = "/run/pods/p1/ns/ipc",
            .uts_ns = "/run/pods/p1/ns/uts",
            .resolv_conf = "/run/pods/p1/resolv.conf",
            .hosts = "/run/pods/p1/hosts",
            .hostname_file = "/run/pods/p1/hostname",
            .shm = "/run/pods/p1/shm",
            .cgroups_path = "/berth/pod-p1/c1"};
  in.rootfs = "/run/containers/c1/rootfs";
  return in;
}

inline const nlohmann::json* find_mount(const nlohmann::json& mounts, const std::string& dest) {
  for (const nlohmann::json& m : mounts)
    if (m["destination"] == dest) return &m;
  return nullptr;
}

// The generated spec; a test failure (and an empty object) when generation fails.
inline nlohmann::json spec_of(const SpecInput& in) {
  absl::StatusOr<nlohmann::json> s = generate_spec(in);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : nlohmann::json::object();
}

inline nlohmann::json names(std::span<const std::string_view> list) {
  nlohmann::json out = nlohmann::json::array();
  for (std::string_view s : list) out.push_back(s);
  return out;
}

}  // namespace berth::spec::testing
