#include "stream/spdy_headers.h"

#include <zlib.h>

#include <array>
#include <set>

#include <fmt/format.h>

namespace berth::stream::spdy {
namespace {

// The dictionary as the draft builds it: these words, each after its 32-bit length, then
// the status lines, dates and media types it ends with.
constexpr std::array<std::string_view, 65> kDictionaryWords = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin"};
constexpr std::string_view kDictionaryTail =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

void put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

absl::Status bad(std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("SPDY header block: {}", why));
}

}  // namespace

std::string_view header_dictionary() {
  static const std::string dict = [] {
    std::string d;
    for (std::string_view w : kDictionaryWords) {
      put32(d, static_cast<uint32_t>(w.size()));
      d.append(w);
    }
    d.append(kDictionaryTail);
    return d;
  }();
  return dict;
}

std::string header_value(const HeaderBlock& h, std::string_view name) {
  for (const auto& [n, v] : h)
    if (n == name) return v;
  return "";
}

std::string serialize_block(const HeaderBlock& h) {
  std::string out;
  put32(out, static_cast<uint32_t>(h.size()));
  for (const auto& [name, value] : h) {
    put32(out, static_cast<uint32_t>(name.size()));
    out.append(name);
    put32(out, static_cast<uint32_t>(value.size()));
    out.append(value);
  }
  return out;
}

absl::StatusOr<HeaderBlock> parse_block(std::string_view raw) {
  size_t at = 0;
  auto get32 = [&](uint32_t& v) {
    if (raw.size() - at < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(raw[at + static_cast<size_t>(i)]);
    at += 4;
    return true;
  };
  auto get_string = [&](std::string& s) {
    uint32_t n = 0;
    if (!get32(n) || raw.size() - at < n) return false;
    s.assign(raw.substr(at, n));
    at += n;
    return true;
  };
  uint32_t count = 0;
  if (!get32(count)) return bad("no pair count");
  // Each pair takes at least 8 bytes: a count beyond that is a lie, not a reason to reserve.
  if (count > (raw.size() - at) / 8) return bad(fmt::format("{} pairs do not fit in {} bytes", count, raw.size()));
  HeaderBlock out;
  std::set<std::string, std::less<>> seen;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, value;
    if (!get_string(name) || !get_string(value)) return bad(fmt::format("pair {} is cut short", i));
    if (name.empty()) return bad(fmt::format("pair {} has an empty name", i));
    for (char c : name)
      if (c >= 'A' && c <= 'Z') return bad(fmt::format("name \"{}\" is not lower case", name));
    if (!seen.insert(name).second) return bad(fmt::format("name \"{}\" appears twice", name));
    out.emplace_back(std::move(name), std::move(value));
  }
  if (at != raw.size()) return bad(fmt::format("{} bytes after the last pair", raw.size() - at));
  return out;
}

struct HeaderCompressor::State {
  z_stream z{};
};

HeaderCompressor::HeaderCompressor() : z_(std::make_unique<State>()) {
  deflateInit(&z_->z, Z_DEFAULT_COMPRESSION);
  const std::string_view dict = header_dictionary();
  deflateSetDictionary(&z_->z, reinterpret_cast<const Bytef*>(dict.data()), static_cast<uInt>(dict.size()));
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&z_->z); }

std::string HeaderCompressor::compress(const HeaderBlock& h) {
  std::string in = serialize_block(h);
  std::string out;
  z_->z.next_in = reinterpret_cast<Bytef*>(in.data());
  z_->z.avail_in = static_cast<uInt>(in.size());
  char buf[4096];
  do {
    z_->z.next_out = reinterpret_cast<Bytef*>(buf);
    z_->z.avail_out = sizeof buf;
    deflate(&z_->z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z_->z.avail_out);
  } while (z_->z.avail_out == 0);
  return out;
}

struct HeaderDecompressor::State {
  z_stream z{};
};

HeaderDecompressor::HeaderDecompressor(size_t max_bytes) : z_(std::make_unique<State>()), max_bytes_(max_bytes) {
  inflateInit(&z_->z);
}

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&z_->z); }

absl::StatusOr<HeaderBlock> HeaderDecompressor::decompress(std::string_view compressed) {
  std::string out;
  z_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z_->z.avail_in = static_cast<uInt>(compressed.size());
  char buf[4096];
  for (;;) {
    z_->z.next_out = reinterpret_cast<Bytef*>(buf);
    z_->z.avail_out = sizeof buf;
    const int rc = inflate(&z_->z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      const std::string_view dict = header_dictionary();
      if (inflateSetDictionary(&z_->z, reinterpret_cast<const Bytef*>(dict.data()), static_cast<uInt>(dict.size())) != Z_OK)
        return bad("the peer's zlib stream wants another dictionary");
      continue;
    }
    if (rc == Z_STREAM_END) return bad("the peer ended its zlib stream, which lasts as long as the session");
    if (rc != Z_OK && rc != Z_BUF_ERROR) return bad(fmt::format("zlib: {}", z_->z.msg ? z_->z.msg : "corrupt data"));
    const size_t produced = sizeof buf - z_->z.avail_out;
    out.append(buf, produced);
    if (out.size() > max_bytes_) return bad(fmt::format("inflates to more than {} bytes", max_bytes_));
    if (z_->z.avail_out != 0 && z_->z.avail_in == 0) break;  // all consumed, all flushed
    if (rc == Z_BUF_ERROR && produced == 0) break;           // no progress possible
  }
  return parse_block(out);
}

}  // namespace berth::stream::spdy
