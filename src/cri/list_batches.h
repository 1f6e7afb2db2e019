#pragma once
// How list answers are sized. A unary list must fit a CRI client's receive limit (kubelet's is
// 16 MiB): one that would not fails with RESOURCE_EXHAUSTED naming the streaming variant
// instead of being cut or sent to be refused. A streaming list sends its entries in batches
// of at most kStreamBatchBytes each, every entry once, in order.
#include <cstddef>
#include <string_view>
#include <vector>

#include <absl/status/status.h>
#include <fmt/format.h>
#include <google/protobuf/message.h>

namespace berth::cri {

inline constexpr size_t kUnaryListLimit = size_t{16} << 20;
// Under gRPC's default 4 MiB receive limit, with room for the response's own framing.
inline constexpr size_t kStreamBatchBytes = (size_t{4} << 20) - (size_t{64} << 10);

inline absl::Status check_unary_list_size(const google::protobuf::Message& resp, std::string_view rpc,
                                          std::string_view stream_rpc) {
  const size_t bytes = resp.ByteSizeLong();
  if (bytes <= kUnaryListLimit) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      fmt::format("{}: the answer is {} bytes, over the {} MiB a CRI client accepts; use {} for lists this long", rpc,
                  bytes, kUnaryListLimit >> 20, stream_rpc));
}

// Converts each of `items` with `convert(item, Entry*)` and writes them in batches through
// `writer` (a grpc::ServerWriter<Resp>, or anything with bool Write(const Resp&)), each batch a Resp whose repeated field `field(Resp&)` holds the entries. An entry
// larger than a batch on its own goes alone. Cancelled when the client went away.
template <class Resp, class Entry, class Writer, class Item, class Field, class Convert>
absl::Status write_in_batches(Writer* writer, const std::vector<Item>& items, Field field,
                              Convert convert, size_t batch_bytes = kStreamBatchBytes) {
  Resp batch;
  size_t batch_size = 0;
  auto flush = [&]() -> absl::Status {
    if (!writer->Write(batch)) return absl::CancelledError("the client stopped reading the stream");
    batch.Clear();
    batch_size = 0;
    return absl::OkStatus();
  };
  for (const Item& item : items) {
    Entry entry;
    convert(item, &entry);
    // The entry's bytes plus its tag and length prefix in the batch.
    const size_t entry_size = entry.ByteSizeLong() + 16;
    if (batch_size > 0 && batch_size + entry_size > batch_bytes)
      if (absl::Status s = flush(); !s.ok()) return s;
    *field(batch)->Add() = std::move(entry);
    batch_size += entry_size;
  }
  if (batch_size > 0) return flush();
  return absl::OkStatus();
}

}  // namespace berth::cri
