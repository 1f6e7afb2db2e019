#include "oci/digest.h"

#include <openssl/evp.h>

#include "base/check.h"

namespace berth::oci {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : st_(std::make_unique<State>()) {
  st_->ctx = EVP_MD_CTX_new();
  BERTH_CHECK(st_->ctx != nullptr && EVP_DigestInit_ex(st_->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(st_->ctx);
}

void Sha256::update(std::string_view data) { EVP_DigestUpdate(st_->ctx, data.data(), data.size()); }

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(st_->ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    s.push_back(kHex[md[i] >> 4]);
    s.push_back(kHex[md[i] & 0xf]);
  }
  return *Digest::parse(s);
}

absl::StatusOr<Digest> Digest::parse(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("digest \"{}\": {}", s, why));
  };
  if (s.substr(0, 7) != "sha256:") return bad("only sha256 digests are supported");
  std::string_view hex = s.substr(7);
  if (hex.size() != 64) return bad("want 64 hex digits");
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad("want lowercase hex digits");
  return Digest(std::string(s));
}

Digest Digest::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

}  // namespace berth::oci
