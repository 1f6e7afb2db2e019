#pragma once
// WWW-Authenticate challenges (RFC 7235 section 4.1), as registries send them:
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:app:pull"
//   Basic realm="registry"
// Pure: no I/O.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::registry {

enum class AuthScheme { kBasic, kBearer, kOther };

struct Challenge {
  AuthScheme scheme = AuthScheme::kOther;
  std::string scheme_name;                    // as sent, e.g. "Bearer"
  std::map<std::string, std::string> params;  // names lower-cased; values unquoted

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Parses one header value, which may hold several challenges. Malformed trailing parts are
// dropped; an empty or unparseable value gives an empty list.
std::vector<Challenge> parse_challenges(std::string_view header);

}  // namespace berth::registry
