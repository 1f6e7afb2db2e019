#pragma once
// A runtime handler: which OCI runtime binary berth runs for it, with which --root.
#include <filesystem>

#include "runtime/runtime_features.h"

namespace berth::runtime {

// Which OCI runtime binary to run and its --root state directory.
struct OciRuntime {
  std::filesystem::path binary;  // /usr/sbin/runc
  std::filesystem::path root;    // /run/berth/runc
  RuntimeFeatures features;      // read once at start-up (berthd's composition root)
};

}  // namespace berth::runtime
