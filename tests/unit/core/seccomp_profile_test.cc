#include "core/seccomp_profile.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "sys/fs.h"

namespace berth::core {
namespace {

namespace fs = std::filesystem;

class SeccompProfileFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-seccomp-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      EXPECT_TRUE(sys::remove_tree(dir_).ok());
    }
  }
  fs::path write(const char* name, std::string_view text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(SeccompProfileFile, LoadsAValidProfile) {
  fs::path p = write("ok.json", R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]})");
  absl::StatusOr<nlohmann::json> profile = load_seccomp_profile(p);
  ASSERT_TRUE(profile.ok()) << profile.status();
  EXPECT_EQ((*profile)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*profile)["syscalls"][0]["names"][1], "write");
}

TEST_F(SeccompProfileFile, ErrorsAreInvalidArgumentNamingTheFile) {
  const fs::path missing = dir_ / "missing.json";
  absl::Status s = load_seccomp_profile(missing).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("seccomp profile \"" + missing.string() + "\": cannot be read: ", 0), 0u)
      << s;

  const fs::path bad = write("bad.json", "{\"defaultAction\": ");
  s = load_seccomp_profile(bad).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()).rfind("seccomp profile \"" + bad.string() + "\": is not valid JSON", 0), 0u) << s;

  const fs::path no_default = write("nodefault.json", R"({"syscalls": []})");
  s = load_seccomp_profile(no_default).status();
  EXPECT_EQ(s.message(), "seccomp profile \"" + no_default.string() + "\": has no defaultAction");

  const fs::path not_array = write("notarray.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": "read"})");
  s = load_seccomp_profile(not_array).status();
  EXPECT_EQ(s.message(), "seccomp profile \"" + not_array.string() + "\": syscalls is not an array");

  s = load_seccomp_profile(dir_).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "a directory cannot be read as a profile";

  s = load_seccomp_profile("profiles/x.json").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "seccomp profile \"profiles/x.json\": not an absolute path");
}

}  // namespace
}  // namespace berth::core
