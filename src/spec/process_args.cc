#include "spec/process_args.h"

#include "spec/errors.h"

namespace berth::spec {

absl::StatusOr<std::vector<std::string>> process_args(const ContainerInput& c, const oci::ImageConfig& image) {
  std::vector<std::string> out;
  if (!c.command.empty()) {
    out = c.command;
    out.insert(out.end(), c.args.begin(), c.args.end());
  } else {
    out = image.entrypoint;
    const std::vector<std::string>& rest = c.args.empty() ? image.cmd : c.args;
    out.insert(out.end(), rest.begin(), rest.end());
  }
  if (out.empty())
    return invalid_input(c.name, "no command: neither ContainerConfig.command nor the image's ENTRYPOINT/CMD is set");
  // runc would fail later with a less helpful `exec: "": executable file not found`.
  if (out.front().empty())
    return invalid_input(c.name, "the command to run is empty (first of {} arguments)", out.size());
  return out;
}

}  // namespace berth::spec
