#include "core/stop_signal.h"

#include <csignal>
#include <string>

#include <absl/strings/numbers.h>
#include <fmt/format.h>

namespace berth::core {
namespace {

struct Named {
  std::string_view name;
  int number;
};
constexpr Named kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

}  // namespace

absl::StatusOr<int> parse_signal(std::string_view s) {
  auto bad = [&] { return absl::InvalidArgumentError(fmt::format("unknown signal \"{}\"", s)); };
  int n = 0;
  if (absl::SimpleAtoi(absl::string_view(s.data(), s.size()), &n)) {
    if (n <= 0 || n >= NSIG) return bad();
    return n;
  }
  std::string_view name = s.substr(0, 3) == "SIG" ? s.substr(3) : s;
  for (const Named& k : kSignals)
    if (k.name == name) return k.number;
  for (std::string_view base : {"RTMIN", "RTMAX"}) {
    if (name.substr(0, base.size()) != base) continue;
    std::string_view off = name.substr(base.size());
    int delta = 0;
    if (!off.empty() && !absl::SimpleAtoi(absl::string_view(off.data() + 1, off.size() - 1), &delta)) return bad();
    if (!off.empty() && off[0] == '-') delta = -delta;
    else if (!off.empty() && off[0] != '+') return bad();
    int v = (base == "RTMIN" ? SIGRTMIN : SIGRTMAX) + delta;
    if (v < SIGRTMIN || v > SIGRTMAX) return bad();
    return v;
  }
  return bad();
}

std::string signal_name(int signal) {
  if (signal >= SIGRTMIN && signal <= SIGRTMAX)
    return signal == SIGRTMIN ? "SIGRTMIN" : fmt::format("SIGRTMIN+{}", signal - SIGRTMIN);
  for (const Named& k : kSignals)  // the first name of a number is the usual one (ABRT before IOT)
    if (k.number == signal) return fmt::format("SIG{}", k.name);
  return "";
}

}  // namespace berth::core
