#pragma once
// Test helpers: tars crafted with libarchive's writer (including hostile ones), OCI image
// layouts built in a directory, and small filesystem probes.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/manifest.h"

namespace berth::image::testing {

namespace fs = std::filesystem;

struct TarEntry {
  std::string path;
  mode_t type = AE_IFREG;
  mode_t perm = 0644;
  std::string data;      // regular files
  std::string symlink;   // AE_IFLNK target
  std::string hardlink;  // when set, a hardlink to this path
  int64_t uid = 0, gid = 0;
  time_t mtime = 1'000'000;
  std::map<std::string, std::string> xattrs;
  unsigned rdev_major = 0, rdev_minor = 0;
};

inline TarEntry file(std::string path, std::string data, mode_t perm = 0644) {
  return {.path = std::move(path), .perm = perm, .data = std::move(data)};
}
inline TarEntry dir(std::string path, mode_t perm = 0755) {
  return {.path = std::move(path), .type = AE_IFDIR, .perm = perm};
}
inline TarEntry symlink_to(std::string path, std::string target) {
  return {.path = std::move(path), .type = AE_IFLNK, .perm = 0777, .symlink = std::move(target)};
}
inline TarEntry hardlink_to(std::string path, std::string target) {
  return {.path = std::move(path), .hardlink = std::move(target)};
}

enum class Compression { None, Gzip, Zstd };

inline la_ssize_t append_cb(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// A pax tar of `entries`, in order, as bytes.
inline std::string make_tar(const std::vector<TarEntry>& entries, Compression c = Compression::None) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (c == Compression::Gzip) {
    archive_write_add_filter_gzip(a);
    archive_write_set_options(a, "gzip:!timestamp");  // same bytes for the same content
  }
  if (c == Compression::Zstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_cb, nullptr);
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    for (const auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    if (!t.hardlink.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, t.perm);
      archive_entry_set_hardlink(e, t.hardlink.c_str());
      archive_entry_set_size(e, 0);
    } else {
      archive_entry_set_filetype(e, t.type);
      archive_entry_set_perm(e, t.perm);
      if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.symlink.c_str());
      if (t.type == AE_IFCHR || t.type == AE_IFBLK) archive_entry_set_rdev(e, makedev(t.rdev_major, t.rdev_minor));
      archive_entry_set_size(e, t.type == AE_IFREG ? static_cast<la_int64_t>(t.data.size()) : 0);
    }
    archive_write_header(a, e);
    if (t.hardlink.empty() && t.type == AE_IFREG && !t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

inline void write_bytes(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << data;
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline fs::path make_temp_dir(const std::string& tag) {
  std::string tmpl = (fs::temp_directory_path() / ("berth-" + tag + "-XXXXXX")).string();
  return fs::path(::mkdtemp(tmpl.data()));
}

inline size_t count_entries(const fs::path& d) {
  std::error_code ec;
  if (!fs::exists(d, ec)) return 0;
  return static_cast<size_t>(std::distance(fs::directory_iterator(d), fs::directory_iterator()));
}

inline bool is_root() { return ::geteuid() == 0; }
inline bool strict() {
  const char* s = std::getenv("BERTH_TEST_STRICT");
  return s != nullptr && std::string(s) == "1";
}

// ---- OCI image layouts written by the test ----

struct LayoutLayer {
  std::vector<TarEntry> entries;
  Compression compression = Compression::Gzip;
};

struct BuiltImage {
  oci::Digest config = oci::Digest::of("");
  oci::Digest manifest = oci::Digest::of("");
  std::vector<oci::Digest> diff_ids;
  std::vector<oci::Digest> layer_blobs;
  uint64_t size = 0;  // config + layer blobs
};

// Writes the blobs of one image into the layout at `dir` and returns its descriptors.
// `annotations` go on its index.json entry (call write_index after all images).
inline BuiltImage add_image(const fs::path& dir, const std::vector<LayoutLayer>& layers,
                            const std::vector<std::string>& cmd = {"sh"}) {
  BuiltImage img;
  oci::Manifest m;
  m.media_type = std::string(oci::media_type::kOciManifest);
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const LayoutLayer& l : layers) {
    const std::string raw = make_tar(l.entries);
    const std::string blob = l.compression == Compression::None ? raw : make_tar(l.entries, l.compression);
    const oci::Digest diff = oci::Digest::of(raw), bd = oci::Digest::of(blob);
    write_bytes(dir / "blobs/sha256" / std::string(bd.hex()), blob);
    img.diff_ids.push_back(diff);
    img.layer_blobs.push_back(bd);
    diff_ids.push_back(diff.str());
    oci::Descriptor d;
    d.media_type = std::string(l.compression == Compression::Gzip   ? oci::media_type::kOciLayerGzip
                               : l.compression == Compression::Zstd ? oci::media_type::kOciLayerZstd
                                                                    : oci::media_type::kOciLayer);
    d.digest = bd;
    d.size = static_cast<int64_t>(blob.size());
    img.size += blob.size();
    m.layers.push_back(d);
  }
  const std::string config = nlohmann::json{{"architecture", oci::host_platform().architecture},
                                            {"os", "linux"},
                                            {"config", {{"Cmd", cmd}, {"Env", {"PATH=/bin"}}}},
                                            {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
                                 .dump();
  img.config = oci::Digest::of(config);
  img.size += config.size();
  write_bytes(dir / "blobs/sha256" / std::string(img.config.hex()), config);
  m.config.media_type = std::string(oci::media_type::kOciConfig);
  m.config.digest = img.config;
  m.config.size = static_cast<int64_t>(config.size());
  const std::string manifest = oci::to_json(m).dump();
  img.manifest = oci::Digest::of(manifest);
  write_bytes(dir / "blobs/sha256" / std::string(img.manifest.hex()), manifest);
  return img;
}

struct IndexEntry {
  BuiltImage image;
  std::map<std::string, std::string> annotations;
};

inline void write_index(const fs::path& dir, const std::vector<IndexEntry>& entries) {
  oci::Index idx;
  idx.media_type = std::string(oci::media_type::kOciIndex);
  for (const IndexEntry& e : entries) {
    oci::Descriptor d;
    d.media_type = std::string(oci::media_type::kOciManifest);
    d.digest = e.image.manifest;
    d.size = static_cast<int64_t>(fs::file_size(dir / "blobs/sha256" / std::string(e.image.manifest.hex())));
    d.annotations = e.annotations;
    idx.manifests.push_back(d);
  }
  write_bytes(dir / "index.json", oci::to_json(idx).dump());
  write_bytes(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

// Packs the directory `dir` into the tar `out` (regular files and directories).
inline void pack_dir(const fs::path& dir, const fs::path& out) {
  std::vector<TarEntry> entries;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const fs::path& p : paths) {
    const std::string rel = fs::relative(p, dir).string();
    if (fs::is_directory(p)) entries.push_back(testing::dir(rel));
    else entries.push_back(testing::file(rel, read_bytes(p)));
  }
  write_bytes(out, make_tar(entries));
}

}  // namespace berth::image::testing
