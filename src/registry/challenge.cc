#include "registry/challenge.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>

namespace berth::registry {
namespace {

// RFC 7230 tchar.
bool is_tchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::vector<Challenge> parse() {
    std::vector<Challenge> out;
    skip_separators();
    std::string scheme = token();
    while (!scheme.empty()) {
      Challenge ch = make(scheme);
      scheme.clear();
      while (true) {
        skip_separators();
        if (done()) break;
        std::string name = token();
        if (name.empty()) return finish(out, ch);  // malformed: keep what we have
        skip_spaces();
        if (done() || s_[pos_] != '=') {  // a token without '=' starts the next challenge
          scheme = name;
          break;
        }
        ++pos_;
        skip_spaces();
        std::string value;
        if (!done() && s_[pos_] == '"') {
          if (!quoted(value)) return finish(out, ch);
        } else {
          value = unquoted();
        }
        ch.params[absl::AsciiStrToLower(name)] = value;
      }
      out.push_back(std::move(ch));
    }
    return out;
  }

 private:
  static Challenge make(const std::string& scheme) {
    Challenge ch;
    ch.scheme_name = scheme;
    if (absl::EqualsIgnoreCase(scheme, "bearer")) ch.scheme = AuthScheme::kBearer;
    else if (absl::EqualsIgnoreCase(scheme, "basic")) ch.scheme = AuthScheme::kBasic;
    return ch;
  }
  static std::vector<Challenge> finish(std::vector<Challenge>& out, Challenge& ch) {
    out.push_back(std::move(ch));
    return std::move(out);
  }
  bool done() const { return pos_ >= s_.size(); }
  void skip_spaces() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  void skip_separators() {
    while (!done() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == ',')) ++pos_;
  }
  std::string token() {
    const size_t start = pos_;
    while (!done() && is_tchar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // Lenient: some servers send unquoted URLs, so take everything up to ',' or a space.
  std::string unquoted() {
    const size_t start = pos_;
    while (!done() && s_[pos_] != ',' && s_[pos_] != ' ' && s_[pos_] != '\t') ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  bool quoted(std::string& out) {
    ++pos_;  // opening quote
    while (!done()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\' && !done()) {
        out.push_back(s_[pos_++]);
      } else {
        out.push_back(c);
      }
    }
    return false;  // unterminated
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Challenge> parse_challenges(std::string_view header) { return Parser(header).parse(); }

}  // namespace berth::registry
