#include "ipc/status_json.h"

#include <gtest/gtest.h>

namespace berth::ipc {
namespace {

TEST(StatusJson, RoundTripsEveryCode) {
  for (int c = 1; c <= 16; ++c) {
    const absl::Status s(static_cast<absl::StatusCode>(c), "container \"c1\": boom");
    const nlohmann::json j = status_to_json(s);
    EXPECT_EQ(j["code"], c);
    EXPECT_EQ(status_from_json(j), s);
  }
}

TEST(StatusJson, OkIsCodeZero) {
  EXPECT_EQ(status_to_json(absl::OkStatus()), (nlohmann::json{{"code", 0}}));
  EXPECT_TRUE(status_from_json({{"code", 0}, {"pid", 12}}).ok());
}

TEST(StatusJson, MalformedResponsesAreInternal) {
  EXPECT_EQ(status_from_json(nlohmann::json::object()).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status_from_json({{"code", "5"}}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status_from_json({{"code", 99}}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status_from_json({{"code", -1}}).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status_from_json({{"code", 5}}).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::ipc
