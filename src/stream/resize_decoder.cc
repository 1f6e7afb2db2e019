#include "stream/resize_decoder.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/status.h"

namespace berth::stream {
namespace {

constexpr size_t kMaxObject = 1024;  // a size object is ~30 bytes

absl::StatusOr<uint16_t> dimension(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return uint16_t{0};  // Go's encoder omits nothing, but a missing field is zero there too
  if (!it->is_number_unsigned() || it->get<uint64_t>() > 0xffff)
    return absl::InvalidArgumentError(fmt::format("resize: {} must be an integer from 0 to 65535", key));
  return it->get<uint16_t>();
}

absl::StatusOr<TerminalSize> parse_size(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError(fmt::format("resize: not a JSON object: {:.64}", text));
  ASSIGN_OR_RETURN(uint16_t w, dimension(j, "Width"));
  ASSIGN_OR_RETURN(uint16_t h, dimension(j, "Height"));
  return TerminalSize{.width = w, .height = h};
}

// Where the first top-level JSON object in `s` ends (one past its '}'), or npos.
size_t object_end(std::string_view s) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

absl::Status ResizeDecoder::feed(std::string_view bytes, std::vector<TerminalSize>& out) {
  pending_.append(bytes);
  for (;;) {
    const size_t start = pending_.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) {
      pending_.clear();
      return absl::OkStatus();
    }
    if (pending_[start] != '{')
      return absl::InvalidArgumentError(fmt::format("resize: expected a JSON object, got '{}'", pending_[start]));
    const size_t end = object_end(std::string_view(pending_).substr(start));
    if (end == std::string_view::npos) {
      if (pending_.size() - start > kMaxObject)
        return absl::InvalidArgumentError(fmt::format("resize: an object longer than {} bytes", kMaxObject));
      pending_.erase(0, start);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(TerminalSize size, parse_size(std::string_view(pending_).substr(start, end)));
    out.push_back(size);
    pending_.erase(0, start + end);
  }
}

}  // namespace berth::stream
