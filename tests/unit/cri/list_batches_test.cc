// Streaming lists in batches: every entry once, in order, each batch under the limit whatever
// the entries' sizes; unary lists over the client's limit are refused naming the stream RPC.
#include "cri/list_batches.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cri/cri_api.h"

namespace berth::cri {
namespace {

namespace v1 = ::runtime::v1;

struct RecordingWriter {
  bool Write(const v1::StreamContainersResponse& r) {
    if (fail_after >= 0 && static_cast<int>(batches.size()) >= fail_after) return false;
    batches.push_back(r);
    return true;
  }
  std::vector<v1::StreamContainersResponse> batches;
  int fail_after = -1;
};

std::vector<std::string> ids(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("c" + std::to_string(i));
  return out;
}

absl::Status stream(RecordingWriter& w, const std::vector<std::string>& items, size_t entry_bytes, size_t limit) {
  return write_in_batches<v1::StreamContainersResponse, v1::Container>(
      &w, items, [](auto& r) { return r.mutable_containers(); },
      [&](const std::string& id, v1::Container* c) {
        c->set_id(id);
        (*c->mutable_annotations())["pad"] = std::string(entry_bytes, 'x');
      },
      limit);
}

void expect_each_once_in_order(const RecordingWriter& w, int n) {
  int next = 0;
  for (const auto& b : w.batches)
    for (const auto& c : b.containers()) EXPECT_EQ(c.id(), "c" + std::to_string(next++));
  EXPECT_EQ(next, n);
}

TEST(WriteInBatches, TenThousandSmallEntriesFillBatchesUnderTheLimit) {
  RecordingWriter w;
  ASSERT_TRUE(stream(w, ids(10'000), 200, 64 << 10).ok());
  EXPECT_GT(w.batches.size(), 10u);
  for (const auto& b : w.batches) EXPECT_LE(b.ByteSizeLong(), size_t{64} << 10);
  expect_each_once_in_order(w, 10'000);
}

TEST(WriteInBatches, TheDefaultLimitKeepsEveryMessageUnderFourMiB) {
  RecordingWriter w;
  ASSERT_TRUE(stream(w, ids(300), 100 << 10, kStreamBatchBytes).ok());
  for (const auto& b : w.batches) EXPECT_LT(b.ByteSizeLong(), size_t{4} << 20);
  expect_each_once_in_order(w, 300);
}

TEST(WriteInBatches, AnEntryLargerThanABatchGoesAlone) {
  RecordingWriter w;
  ASSERT_TRUE(stream(w, ids(3), 10 << 10, 4 << 10).ok());
  ASSERT_EQ(w.batches.size(), 3u);
  expect_each_once_in_order(w, 3);
}

TEST(WriteInBatches, NothingToListWritesNothing) {
  RecordingWriter w;
  ASSERT_TRUE(stream(w, {}, 10, 1024).ok());
  EXPECT_TRUE(w.batches.empty());
}

TEST(WriteInBatches, AClientThatGoesAwayEndsTheStreamCancelled) {
  RecordingWriter w{.fail_after = 1};
  absl::Status s = stream(w, ids(100), 1000, 8 << 10);
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_EQ(w.batches.size(), 1u);
}

TEST(CheckUnaryListSize, OverSixteenMiBIsResourceExhaustedNamingTheStreamRpc) {
  v1::ListContainersResponse r;
  for (int i = 0; i < 20; ++i) (*r.add_containers()->mutable_annotations())["pad"] = std::string(1 << 20, 'x');
  absl::Status s = check_unary_list_size(r, "ListContainers", "StreamContainers");
  ASSERT_TRUE(absl::IsResourceExhausted(s)) << s;
  EXPECT_NE(s.message().find("StreamContainers"), std::string::npos) << s;
  r.mutable_containers()->DeleteSubrange(0, 10);
  EXPECT_TRUE(check_unary_list_size(r, "ListContainers", "StreamContainers").ok());
}

}  // namespace
}  // namespace berth::cri
