#pragma once
// A CNI network of a test's own: a conflist (loopback, bridge, portmap, bandwidth) for
// Debian's plugins on a bridge and a /24 that no other test process uses at the same time,
// with masquerading off and no default route, so pods reach only each other and the host.
// What it leaves on the host (the bridge) goes with it; what pods leave is for the test to
// check: addresses in host-local's directory, ports on the bridge, NAT rules.
#include <filesystem>
#include <string>
#include <vector>

namespace berth::test_support {

class TestNetwork {
 public:
  // Files go below `dir`: dir/net.d (the config directory), dir/ipam (host-local's) and
  // dir/cni-bin (the test's own plugins).
  explicit TestNetwork(const std::filesystem::path& dir);
  ~TestNetwork();  // deletes the bridge
  TestNetwork(const TestNetwork&) = delete;
  TestNetwork& operator=(const TestNetwork&) = delete;

  // The config file in the config directory (written by the constructor).
  std::filesystem::path config_file() const { return conf_dir / "10-berth-test.conflist"; }
  // `first` and `last` are types of more plugins to chain before and after the usual four
  // (script plugins written by add_plugin()).
  void write_config(const std::vector<std::string>& first = {}, const std::vector<std::string>& last = {}) const;
  // An executable `type` in the test's own plugin directory, running the shell `script`.
  void add_plugin(const std::string& type, const std::string& script) const;
  // berth.toml's [network] table for it.
  std::string config_toml() const;

  // Addresses host-local holds, ports attached to the bridge, NAT rules naming the subnet.
  std::vector<std::string> allocated_ips() const;
  std::vector<std::string> bridge_ports() const;
  std::vector<std::string> nat_rules() const;

  std::string name;           // the network's name
  std::string bridge;         // at most 15 bytes
  std::string subnet;         // "10.X.Y.0/24"
  std::string gateway;        // the bridge's address: "10.X.Y.1"
  std::filesystem::path conf_dir, ipam_dir;
  std::filesystem::path bin_dir;  // searched after /usr/lib/cni
};

}  // namespace berth::test_support
