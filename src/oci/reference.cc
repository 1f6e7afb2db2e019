#include "oci/reference.h"

#include <fmt/format.h>

#include "base/status.h"

namespace berth::oci {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;
constexpr size_t kTagLengthMax = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kTagLengthMax || !is_word(t[0])) return false;
  for (char c : t)
    if (!is_word(c) && c != '.' && c != '-') return false;
  return true;
}

// path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
bool valid_path_component(std::string_view p) {
  size_t i = 0;
  auto alnum_run = [&] {
    const size_t start = i;
    while (i < p.size() && is_lower_alnum(p[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < p.size()) {
    if (p[i] == '.') {
      ++i;
    } else if (p[i] == '_') {
      ++i;
      if (i < p.size() && p[i] == '_') ++i;
    } else if (p[i] == '-') {
      while (i < p.size() && p[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  for (char ch : c)
    if (!is_alnum(ch) && ch != '-') return false;
  return true;
}

bool valid_port(std::string_view p) {
  if (p.empty()) return false;
  for (char c : p)
    if (!is_digit(c)) return false;
  return true;
}

// host := domain-component ( "." domain-component )*
bool valid_host(std::string_view host) {
  size_t start = 0;
  for (;;) {
    const size_t dot = host.find('.', start);
    if (!valid_domain_component(host.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// domain := ( host | "[" ipv6 "]" ) [ ":" port ]
bool valid_domain(std::string_view d) {
  if (d.starts_with('[')) {
    const size_t close = d.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : d.substr(1, close - 1))
      if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':')) return false;
    std::string_view rest = d.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && valid_port(rest.substr(1)));
  }
  if (const size_t colon = d.find(':'); colon != std::string_view::npos)
    return valid_host(d.substr(0, colon)) && valid_port(d.substr(colon + 1));
  return valid_host(d);
}

bool is_64_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!(is_digit(c) || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string Reference::str() const {
  if (digest) return name() + "@" + digest->str();
  return tagged();
}

std::string Reference::familiar() const {
  std::string n = path;
  if (domain != kDefaultDomain) {
    n = domain + "/" + path;
  } else if (n.starts_with(kOfficialRepoPrefix) && n.find('/', kOfficialRepoPrefix.size()) == std::string::npos) {
    n = n.substr(kOfficialRepoPrefix.size());
  }
  if (digest) return n + "@" + digest->str();
  return tag.empty() ? n : n + ":" + tag;
}

bool is_bare_tag(std::string_view s) { return valid_tag(s); }

absl::StatusOr<Reference> parse_reference(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("invalid image reference \"{}\": {}", s, why));
  };
  if (s.empty()) return bad("empty");
  if (is_64_hex(s)) return bad("a 64-hex string is an image id, not a repository name");

  Reference ref;
  std::string_view rest = s;
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    absl::StatusOr<Digest> d = Digest::parse(rest.substr(at + 1));
    if (!d.ok()) return bad(std::string_view(d.status().message().data(), d.status().message().size()));
    ref.digest = *std::move(d);
    rest = rest.substr(0, at);
  }
  // The tag is after the last ':' that follows the last '/' (an earlier ':' is a port).
  const size_t slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) return bad(fmt::format("invalid tag \"{}\"", tag));
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad("empty repository name");

  // The first component is a registry domain only if it looks like one: it has a '.' or a
  // ':' (port), is "localhost", or has an upper-case letter (never valid in a path).
  std::string_view path = rest;
  ref.domain = std::string(kDefaultDomain);
  if (const size_t first = rest.find('/'); first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    bool has_upper = false;
    for (char c : head) has_upper |= (c >= 'A' && c <= 'Z');
    if (head.find_first_of(".:") != std::string_view::npos || head == "localhost" || has_upper) {
      if (!valid_domain(head)) return bad(fmt::format("invalid registry domain \"{}\"", head));
      ref.domain = std::string(head);
      path = rest.substr(first + 1);
    }
  }
  if (ref.domain == kLegacyDefaultDomain) ref.domain = std::string(kDefaultDomain);
  if (path.empty()) return bad("empty repository path");
  size_t start = 0;
  for (;;) {
    const size_t next = path.find('/', start);
    std::string_view comp = path.substr(start, next == std::string_view::npos ? next : next - start);
    if (!valid_path_component(comp)) {
      for (char c : comp)
        if (c >= 'A' && c <= 'Z') return bad("repository name must be lowercase");
      return bad(fmt::format("invalid repository path component \"{}\"", comp));
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.path = std::string(path);
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path = std::string(kOfficialRepoPrefix) + ref.path;
  if (ref.name().size() > kNameTotalLengthMax)
    return bad(fmt::format("repository name is longer than {} characters", kNameTotalLengthMax));
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

}  // namespace berth::oci
