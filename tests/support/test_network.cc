#include "support/test_network.h"

#include <unistd.h>

#include <system_error>

#include <absl/strings/match.h>
#include <absl/strings/str_split.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::test_support {
namespace fs = std::filesystem;

TestNetwork::TestNetwork(const fs::path& dir)
    : conf_dir(dir / "net.d"), ipam_dir(dir / "ipam"), bin_dir(dir / "cni-bin") {
  // Two processes alive at once never share a pid: the pid picks the bridge and the subnet.
  const unsigned pid = static_cast<unsigned>(::getpid());
  name = fmt::format("berth-test-{}", pid);
  bridge = fmt::format("bt{:x}", pid);
  const std::string prefix = fmt::format("10.{}.{}", 100 + (pid >> 8) % 128, pid & 0xff);
  subnet = prefix + ".0/24";
  gateway = prefix + ".1";
  write_config();
}

TestNetwork::~TestNetwork() {
  (void)sys::run({.argv = {"/usr/sbin/ip", "link", "del", bridge}});
}

void TestNetwork::write_config(const std::vector<std::string>& first, const std::vector<std::string>& last) const {
  nlohmann::json plugins = nlohmann::json::array();
  for (const std::string& t : first) plugins.push_back({{"type", t}});
  const nlohmann::json usual = {{{"type", "loopback"}},
        {{"type", "bridge"},
         {"bridge", bridge},
         {"isGateway", true},
         {"ipMasq", false},
         {"hairpinMode", true},
         {"ipam", {{"type", "host-local"}, {"ranges", {{{{"subnet", subnet}}}}}, {"dataDir", ipam_dir.string()}}}},
        {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
        {{"type", "bandwidth"}, {"capabilities", {{"bandwidth", true}}}}};
  for (const nlohmann::json& p : usual) plugins.push_back(p);
  for (const std::string& t : last) plugins.push_back({{"type", t}});
  const nlohmann::json conf = {{"cniVersion", "1.0.0"}, {"name", name}, {"plugins", plugins}};
  (void)sys::make_dirs(conf_dir, 0755);
  (void)sys::atomic_write_file(config_file(), conf.dump(2));
}

void TestNetwork::add_plugin(const std::string& type, const std::string& script) const {
  (void)sys::make_dirs(bin_dir, 0755);
  (void)sys::atomic_write_file(bin_dir / type, "#!/bin/sh\n" + script, 0755);
}

std::string TestNetwork::config_toml() const {
  return fmt::format("[network]\nconf_dir = \"{}\"\nbin_dirs = [\"/usr/lib/cni\", \"{}\"]\n", conf_dir.string(),
                     bin_dir.string());
}

std::vector<std::string> TestNetwork::allocated_ips() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ipam_dir / name, ec)) {
    const std::string f = e.path().filename().string();
    if (f != "lock" && !f.starts_with("last_reserved_ip")) out.push_back(f);
  }
  return out;
}

std::vector<std::string> TestNetwork::bridge_ports() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path("/sys/class/net") / bridge / "brif", ec))
    out.push_back(e.path().filename().string());
  return out;
}

std::vector<std::string> TestNetwork::nat_rules() const {
  std::vector<std::string> out;
  auto r = sys::run({.argv = {"/usr/sbin/iptables-save", "-t", "nat"}});
  if (!r.ok()) return {"iptables-save: " + r.status().ToString()};
  const std::string prefix = subnet.substr(0, subnet.size() - 4);  // "10.X.Y."
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(r->out, '\n')))
    if (absl::StrContains(line, prefix) || absl::StrContains(line, name)) out.push_back(line);
  return out;
}

}  // namespace berth::test_support
