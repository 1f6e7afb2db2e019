#include "cri/convert/label_selector.h"

#include <gtest/gtest.h>

namespace berth::cri {
namespace {

TEST(LabelSelector, AcceptsKubernetesLabels) {
  EXPECT_TRUE(validate_label_selector({{"app", "web"}, {"io.kubernetes.pod/name", "x-1"}, {"tier", ""}}, "f").ok());
}

TEST(LabelSelector, RejectsMalformedNamingKeyAndValue) {
  absl::Status s = validate_label_selector({{"bad key", "v"}}, "PodSandboxFilter.label_selector");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"bad key\""), std::string_view::npos);
  EXPECT_NE(s.message().find("PodSandboxFilter.label_selector"), std::string_view::npos);
  s = validate_label_selector({{"app", "-web"}}, "f");
  EXPECT_NE(s.message().find("\"-web\""), std::string_view::npos);
  EXPECT_FALSE(validate_label_selector({{"Bad_Prefix/app", "v"}}, "f").ok());
  EXPECT_FALSE(validate_label_selector({{std::string(64, 'a'), "v"}}, "f").ok());
  EXPECT_FALSE(validate_label_selector({{"", "v"}}, "f").ok());
}

}  // namespace
}  // namespace berth::cri
