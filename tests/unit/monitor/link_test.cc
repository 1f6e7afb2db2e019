// berth-monitor must stay small and fork-safe: it links no gRPC and no protobuf.
#include <filesystem>

#include <gtest/gtest.h>

#include "sys/subprocess.h"

namespace berth::monitor {
namespace {

TEST(MonitorBinary, LinksNoGrpcOrProtobuf) {
  const std::filesystem::path bin = BERTH_MONITOR_PATH;  // set by monitor/CMakeLists.txt
  ASSERT_TRUE(std::filesystem::exists(bin)) << bin;
  auto r = sys::run({.argv = {"/usr/bin/ldd", bin.string()}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->out.find("libc.so"), std::string::npos) << r->out;  // ldd did list the libraries
  EXPECT_EQ(r->out.find("grpc"), std::string::npos) << r->out;
  EXPECT_EQ(r->out.find("protobuf"), std::string::npos) << r->out;
}

}  // namespace
}  // namespace berth::monitor
