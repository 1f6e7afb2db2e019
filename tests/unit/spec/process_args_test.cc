#include "spec/process_args.h"

#include <gtest/gtest.h>

namespace berth::spec {
namespace {

using V = std::vector<std::string>;

oci::ImageConfig image(V entrypoint, V cmd) {
  oci::ImageConfig i;
  i.entrypoint = std::move(entrypoint);
  i.cmd = std::move(cmd);
  return i;
}

TEST(ProcessArgs, NothingGivenRunsEntrypointPlusCmd) {
  ContainerInput c{.name = "app"};
  EXPECT_EQ(*process_args(c, image({"/ep", "-v"}, {"serve", "--port=1"})), (V{"/ep", "-v", "serve", "--port=1"}));
  EXPECT_EQ(*process_args(c, image({}, {"/bin/sh"})), (V{"/bin/sh"}));
  EXPECT_EQ(*process_args(c, image({"/ep"}, {})), (V{"/ep"}));
}

TEST(ProcessArgs, ArgsReplaceCmdAndKeepEntrypoint) {
  ContainerInput c{.name = "app", .args = {"x", "y"}};
  EXPECT_EQ(*process_args(c, image({"/ep"}, {"default"})), (V{"/ep", "x", "y"}));
  EXPECT_EQ(*process_args(c, image({}, {"default"})), (V{"x", "y"})) << "no ENTRYPOINT: args alone";
}

TEST(ProcessArgs, CommandReplacesEntrypointAndDropsCmd) {
  ContainerInput c{.name = "app", .command = {"/cmd"}};
  EXPECT_EQ(*process_args(c, image({"/ep"}, {"default"})), (V{"/cmd"})) << "the image CMD must not be appended";
  c.args = {"a"};
  EXPECT_EQ(*process_args(c, image({"/ep"}, {"default"})), (V{"/cmd", "a"}));
  EXPECT_EQ(*process_args(c, image({}, {})), (V{"/cmd", "a"}));
}

TEST(ProcessArgs, NothingToRunIsInvalidArgumentNamingTheContainer) {
  ContainerInput c{.name = "app"};
  auto r = process_args(c, image({}, {}));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "container \"app\": no command: neither ContainerConfig.command nor the image's ENTRYPOINT/CMD is set");
}

TEST(ProcessArgs, EmptyFirstWordIsInvalidArgument) {
  ContainerInput c{.name = "app", .command = {""}, .args = {"x"}};
  auto r = process_args(c, image({}, {}));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("container \"app\": the command to run is empty"), std::string_view::npos)
      << r.status();
}

}  // namespace
}  // namespace berth::spec
