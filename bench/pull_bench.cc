// Pull benchmark: a 5-layer image of about 200 MB (incompressible layers, so the bytes on
// the wire are the bytes on disk) pushed to a local docker-registry, then
//   baseline: `skopeo copy docker://... dir:...` (download only, no unpack)
//   cold:     berth's Puller into an empty store (download, verify, unpack)
//   warm:     the same pull again (the image is present: one manifest request)
// all measured in the same run. Prints wall times and MB/s.
//
//   berth-bench-pull [--layers 5] [--layer-mb 40]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "image/image_store.h"
#include "image/puller.h"
#include "registry/client.h"
#include "support/registry_fixture.h"
#include "sys/fs.h"
#include "sys/subprocess.h"

namespace berth::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A directory holding one file of `mb` MiB of pseudo-random bytes (gzip cannot shrink it).
void write_random_layer(const fs::path& dir, int mb, uint32_t seed) {
  fs::create_directories(dir / "data");
  std::ofstream out(dir / "data" / fmt::format("blob-{}", seed), std::ios::binary);
  out << test_support::random_bytes(static_cast<size_t>(mb) << 20, seed);
}

int run(int layers, int layer_mb) {
  absl::StatusOr<test_support::TempDir> work = test_support::TempDir::make("berth-bench-pull");
  if (!work.ok()) return std::fprintf(stderr, "%s\n", work.status().ToString().c_str()), 1;
  const fs::path w = work->path();
  std::vector<fs::path> extra;
  for (int i = 0; i < layers; ++i) {
    extra.push_back(w / fmt::format("layer{}", i));
    write_random_layer(extra.back(), layer_mb, static_cast<uint32_t>(i + 1));
  }
  std::printf("building a %d-layer image of %d MiB...\n", layers + 1, layers * layer_mb);
  if (absl::Status s = test_support::make_test_image(w / "big.tar", extra); !s.ok())
    return std::fprintf(stderr, "make-test-image: %s\n", s.ToString().c_str()), 1;
  absl::StatusOr<std::unique_ptr<test_support::Registry>> reg = test_support::Registry::start();
  if (!reg.ok()) return std::fprintf(stderr, "registry: %s\n", reg.status().ToString().c_str()), 1;
  if (absl::Status s = (*reg)->push_archive(w / "big.tar", "bench/big:1"); !s.ok())
    return std::fprintf(stderr, "push: %s\n", s.ToString().c_str()), 1;
  const std::string ref = (*reg)->host() + "/bench/big:1";

  // Baseline: skopeo downloads the same image into a directory.
  auto t0 = Clock::now();
  absl::StatusOr<sys::RunResult> sk = sys::run({.argv = {"/usr/bin/skopeo", "copy", "--src-tls-verify=false",
                                                         "docker://" + ref, "dir:" + (w / "skopeo").string()},
                                                .timeout = std::chrono::minutes(10)});
  const double skopeo_s = seconds_since(t0);
  if (!sk.ok() || sk->exit_code != 0)
    return std::fprintf(stderr, "skopeo: %s\n", sk.ok() ? sk->err.c_str() : sk.status().ToString().c_str()), 1;
  absl::StatusOr<sys::DiskUsage> bytes = sys::disk_usage(w / "skopeo");
  const double mb = bytes.ok() ? static_cast<double>(bytes->bytes) / 1e6 : 0;

  registry::ClientSettings cs;
  cs.hosts[(*reg)->host()].insecure = true;
  absl::StatusOr<std::unique_ptr<registry::Client>> client = registry::Client::create(cs);
  absl::StatusOr<std::unique_ptr<image::ImageStore>> store = image::ImageStore::open({.root = w / "store"});
  if (!client.ok() || !store.ok()) return std::fprintf(stderr, "setup failed\n"), 1;
  image::Puller puller(**store, **client, {});

  t0 = Clock::now();
  absl::StatusOr<image::ImageRecord> cold = puller.pull(ref, {});
  const double cold_s = seconds_since(t0);
  if (!cold.ok()) return std::fprintf(stderr, "cold pull: %s\n", cold.status().ToString().c_str()), 1;
  t0 = Clock::now();
  absl::StatusOr<image::ImageRecord> warm = puller.pull(ref, {});
  const double warm_s = seconds_since(t0);
  if (!warm.ok()) return std::fprintf(stderr, "warm pull: %s\n", warm.status().ToString().c_str()), 1;

  std::printf("image: %d layers, %.1f MB on the wire\n", layers + 1, mb);
  std::printf("%-40s %8.2f s  %7.1f MB/s\n", "skopeo copy to dir (download only)", skopeo_s, mb / skopeo_s);
  std::printf("%-40s %8.2f s  %7.1f MB/s\n", "berth cold pull (download + unpack)", cold_s, mb / cold_s);
  std::printf("%-40s %8.3f s\n", "berth warm pull (present)", warm_s);
  std::printf("cold pull+unpack vs skopeo download: %.2fx (target <= 1.0x)\n", cold_s / skopeo_s);
  return 0;
}

}  // namespace berth::bench

int main(int argc, char** argv) {
  CLI::App app{"berth pull benchmark"};
  int layers = 5, layer_mb = 40;
  app.add_option("--layers", layers, "random layers on top of busybox");
  app.add_option("--layer-mb", layer_mb, "MiB per random layer");
  CLI11_PARSE(app, argc, argv);
  return berth::bench::run(layers, layer_mb);
}
