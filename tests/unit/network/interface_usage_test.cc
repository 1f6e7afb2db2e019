// /proc/net/dev rows -> interface counters, and reading them inside a real namespace.
#include "network/interface_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace berth::network {
namespace {

constexpr const char* kTable =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo:    3267      29    0    0    0     0          0         0     3267      29    0    0    0     0       0          0\n"
    "  eth0: 123456     100    3    0    0     0          0         0    65432      90    4    0    0     0       0          0\n"
    "  net1:       1       1    0    0    0     0          0         0        2       1    0    0    0     0       0          0\n";

TEST(ParseProcNetDev, RowsInOrderWithoutLoopback) {
  std::vector<InterfaceUsage> rows = parse_proc_net_dev(kTable);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "eth0");
  EXPECT_EQ(rows[0].rx_bytes, 123456u);
  EXPECT_EQ(rows[0].rx_errors, 3u);
  EXPECT_EQ(rows[0].tx_bytes, 65432u);
  EXPECT_EQ(rows[0].tx_errors, 4u);
  EXPECT_EQ(rows[1].name, "net1");
  EXPECT_EQ(rows[1].tx_bytes, 2u);
}

TEST(ParseProcNetDev, SkipsRowsThatDoNotParse) {
  EXPECT_TRUE(parse_proc_net_dev("eth0: 1 2 3\n").empty()) << "too few columns";
  EXPECT_TRUE(parse_proc_net_dev("eth0: x 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n").empty());
  EXPECT_TRUE(parse_proc_net_dev(": 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n").empty()) << "no name";
  EXPECT_TRUE(parse_proc_net_dev("").empty());
}

TEST(ReadInterfaceUsage, ANamespaceThatCannotBeOpenedIsNamed) {
  absl::StatusOr<std::vector<InterfaceUsage>> u = read_interface_usage("/nonexistent/ns/net");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("/nonexistent/ns/net"), std::string::npos) << u.status();
}

TEST(ReadInterfaceUsage, TheHostsOwnNamespaceReadsItsTable) {
  if (::geteuid() != 0) GTEST_SKIP() << "setns needs root";
  absl::StatusOr<std::vector<InterfaceUsage>> u = read_interface_usage("/proc/self/ns/net");
  ASSERT_TRUE(u.ok()) << u.status();
  for (const InterfaceUsage& i : *u) EXPECT_NE(i.name, "lo");
}

}  // namespace
}  // namespace berth::network
