#include "runtime/runtime_cli.h"

#include <absl/strings/match.h>

#include "sys/subprocess.h"

namespace berth::runtime {

absl::Status ExecRuntimeCli::force_delete(const OciRuntime& rt, const std::string& id) const {
  const std::vector<std::string> argv = {rt.binary.string(), "--root", rt.root.string(), "delete", "--force", id};
  absl::StatusOr<sys::RunResult> r = sys::run({.argv = argv});
  if (!r.ok()) return r.status();
  // runc and crun say so when the container is not theirs (any more).
  if (r->exit_code == 0 || absl::StrContains(r->err, "does not exist") || absl::StrContains(r->err, "not found"))
    return absl::OkStatus();
  return absl::FailedPreconditionError(sys::describe_failure(argv, *r));
}

}  // namespace berth::runtime
