#include "cri/convert/filters.h"

#include "base/status.h"
#include "cri/convert/label_selector.h"
#include "cri/convert/responses.h"

namespace berth::cri {
namespace {

template <typename F>
absl::Status fill_common(const F& in, std::string_view selector_field, std::optional<std::string>& id, core::Labels& selector) {
  if (!in.id().empty()) id = in.id();
  selector = {in.label_selector().begin(), in.label_selector().end()};
  return validate_label_selector(selector, selector_field);
}

}  // namespace

absl::StatusOr<core::ContainerFilter> to_filter(const v1::ContainerFilter& f) {
  core::ContainerFilter out;
  RETURN_IF_ERROR(fill_common(f, "ContainerFilter.label_selector", out.id, out.label_selector));
  if (!f.pod_sandbox_id().empty()) out.pod_id = f.pod_sandbox_id();
  if (f.has_state()) out.state = from_proto(f.state().state());
  return out;
}

absl::StatusOr<core::ContainerFilter> to_filter(const v1::ContainerStatsFilter& f) {
  core::ContainerFilter out;
  RETURN_IF_ERROR(fill_common(f, "ContainerStatsFilter.label_selector", out.id, out.label_selector));
  if (!f.pod_sandbox_id().empty()) out.pod_id = f.pod_sandbox_id();
  return out;
}

absl::StatusOr<core::PodFilter> to_filter(const v1::PodSandboxFilter& f) {
  core::PodFilter out;
  RETURN_IF_ERROR(fill_common(f, "PodSandboxFilter.label_selector", out.id, out.label_selector));
  if (f.has_state()) out.state = from_proto(f.state().state());
  return out;
}

absl::StatusOr<core::PodFilter> to_filter(const v1::PodSandboxStatsFilter& f) {
  core::PodFilter out;
  RETURN_IF_ERROR(fill_common(f, "PodSandboxStatsFilter.label_selector", out.id, out.label_selector));
  return out;
}

}  // namespace berth::cri
