// Image verbs: images, image import, rmi, pull, inspecti, imagefsinfo.
#include "cli/command.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <unistd.h>

#include <fmt/core.h>

#include "cli/cri_text.h"
#include "cli/pull_progress.h"

namespace berth::cli {
namespace {

struct ImagesOptions {
  std::string filter;
  bool quiet = false;
  bool digests = false;
  bool no_trunc = false;
  std::string output = "table";
};

struct RmiOptions {
  std::vector<std::string> refs;
  bool all = false;
  bool prune = false;
};

struct PullOptions {
  std::string image;
  std::string creds;
  std::string auth;
  bool quiet = false;
};

struct RefsOptions {
  std::vector<std::string> refs;
  std::string output = "json";
};

struct ImportOptions {
  std::string path;
  std::string output = "table";
};

absl::StatusOr<std::vector<v1::Image>> list_images(Client& c, const std::string& filter) {
  v1::ListImagesRequest req;
  if (!filter.empty()) req.mutable_filter()->mutable_image()->set_image(filter);
  v1::ListImagesResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.images().ListImages(ctx, req, &resp); });
  if (!s.ok()) return s;
  return std::vector<v1::Image>(resp.images().begin(), resp.images().end());
}

absl::Status remove_image(Client& c, const std::string& ref) {
  v1::RemoveImageRequest req;
  req.mutable_image()->set_image(ref);
  v1::RemoveImageResponse resp;
  return c.call([&](grpc::ClientContext* ctx) { return c.images().RemoveImage(ctx, req, &resp); });
}

// The digest shown for `repo`: its own repo digest if it has one, else the first.
std::string digest_for(const v1::Image& img, const std::string& repo) {
  for (const auto& rd : img.repo_digests()) {
    auto [r, d] = split_repo_digest(rd);
    if (r == repo) return d;
  }
  return img.repo_digests().empty() ? "" : split_repo_digest(img.repo_digests(0)).second;
}

int run_images(Client& c, const ImagesOptions& o) {
  absl::StatusOr<std::vector<v1::Image>> images = list_images(c, o.filter);
  if (!images.ok()) return report(images.status());
  if (o.quiet) {
    for (const auto& img : *images) std::cout << img.id() << '\n';
    return 0;
  }
  const OutputFormat f = output_format(o.output);
  if (f != OutputFormat::Table) {
    v1::ListImagesResponse resp;
    for (const auto& img : *images) *resp.add_images() = img;
    std::cout << format_structured(message_to_json(resp), f);
    return 0;
  }
  // One row per tag; an untagged image shows under each repo it has a digest for.
  std::vector<std::vector<std::string>> rows;
  for (const auto& img : *images) {
    std::vector<RepoTag> names;
    for (const auto& t : img.repo_tags()) names.push_back(split_repo_tag(t));
    if (names.empty())
      for (const auto& rd : img.repo_digests()) names.push_back({split_repo_digest(rd).first, "<none>"});
    if (names.empty()) names.push_back({"<none>", "<none>"});
    for (const auto& n : names) {
      std::vector<std::string> row{n.repo, n.tag};
      if (o.digests) {
        const std::string d = digest_for(img, n.repo);
        row.push_back(d.empty() ? "<none>" : short_id(d, o.no_trunc));
      }
      row.push_back(short_id(img.id(), o.no_trunc));
      row.push_back(human_size(img.size()));
      rows.push_back(std::move(row));
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a[0], a[1]) < std::tie(b[0], b[1]);
  });
  std::vector<std::string> headers{"IMAGE", "TAG"};
  if (o.digests) headers.push_back("DIGEST");
  headers.insert(headers.end(), {"IMAGE ID", "SIZE"});
  Table t(headers);
  for (auto& row : rows) t.add_row(std::move(row));
  std::cout << t.render();
  return 0;
}

int run_import(Client& c, const ImportOptions& o) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(o.path, ec);
  if (ec) return report(absl::InvalidArgumentError(fmt::format("image import: {}: {}", o.path, ec.message())));
  admin::ImportImageRequest req;
  req.set_path(abs.string());
  admin::ImportImageResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.admin().ImportImage(ctx, req, &resp); })))
    return rc;
  const OutputFormat f = output_format(o.output);
  if (f != OutputFormat::Table) {
    std::cout << format_structured(message_to_json(resp), f);
    return 0;
  }
  for (const auto& img : resp.images()) {
    std::string tags;
    for (const auto& t : img.repo_tags()) tags += (tags.empty() ? "" : ", ") + t;
    std::cout << "Imported " << img.id() << (tags.empty() ? "" : " (" + tags + ")") << '\n';
  }
  return 0;
}

// Ids of images some container (in any state) was created from.
absl::StatusOr<std::set<std::string>> images_in_use(Client& c) {
  v1::ListContainersRequest req;
  v1::ListContainersResponse resp;
  absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.runtime().ListContainers(ctx, req, &resp); });
  if (!s.ok()) return s;
  std::set<std::string> used;
  for (const auto& ctr : resp.containers()) {
    used.insert(ctr.image_ref());
    used.insert(ctr.image_id());
  }
  return used;
}

int run_rmi(Client& c, const RmiOptions& o) {
  std::vector<std::string> refs = o.refs;
  if (o.all || o.prune) {
    if (!refs.empty()) return report(absl::InvalidArgumentError("rmi: give image references or --all/--prune, not both"));
    absl::StatusOr<std::vector<v1::Image>> images = list_images(c, "");
    if (!images.ok()) return report(images.status());
    std::set<std::string> used;
    if (o.prune && !o.all) {
      absl::StatusOr<std::set<std::string>> u = images_in_use(c);
      if (!u.ok()) return report(u.status());
      used = std::move(*u);
    }
    for (const auto& img : *images)
      if (!used.contains(img.id())) refs.push_back(img.id());
  } else if (refs.empty()) {
    return report(absl::InvalidArgumentError("rmi: give at least one image reference, or --all/--prune"));
  }
  return for_each_id(refs, [&](const std::string& ref) {
    absl::Status s = remove_image(c, ref);
    if (s.ok()) std::cout << "Deleted: " << ref << '\n';
    return s;
  });
}

// Pulls through the admin API, which streams each blob's progress; kubelet's PullImage and
// this end in the same place.
int run_pull(Client& c, const PullOptions& o) {
  admin::PullImageRequest req;
  req.set_image(o.image);
  if (!o.creds.empty()) {
    const size_t colon = o.creds.find(':');
    req.set_username(o.creds.substr(0, colon));
    if (colon != std::string::npos) req.set_password(o.creds.substr(colon + 1));
  }
  req.set_auth(o.auth);
  PullProgressView view(std::cerr, ::isatty(STDERR_FILENO) == 1 && !o.quiet);
  std::string image_ref;
  // A pull takes as long as the network does: no overall deadline, the server's own
  // per-blob progress timeout ends a stalled one.
  absl::Status s = c.call(
      [&](grpc::ClientContext* ctx) {
        auto reader = c.admin().PullImage(ctx, req);
        admin::PullImageProgress p;
        while (reader->Read(&p)) {
          if (!p.image_ref().empty()) image_ref = p.image_ref();
          else if (!o.quiet) view.update(p.digest(), p.phase(), p.done(), p.total(), absl::Now());
        }
        return reader->Finish();
      },
      absl::Hours(24));
  if (int rc = report(s)) return rc;
  std::cout << "Image is up to date for " << image_ref << '\n';
  return 0;
}

int run_inspecti(Client& c, const RefsOptions& o) {
  const OutputFormat f = output_format(o.output);
  return for_each_id(o.refs, [&](const std::string& ref) -> absl::Status {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(ref);
    req.set_verbose(true);
    v1::ImageStatusResponse resp;
    absl::Status s = c.call([&](grpc::ClientContext* ctx) { return c.images().ImageStatus(ctx, req, &resp); });
    if (!s.ok()) return s;
    if (!resp.has_image()) return absl::NotFoundError(fmt::format("no such image \"{}\"", ref));
    std::cout << format_structured(status_with_info(resp.image(), resp.info()), f);
    return absl::OkStatus();
  });
}

int run_imagefsinfo(Client& c, const std::string& output) {
  v1::ImageFsInfoRequest req;
  v1::ImageFsInfoResponse resp;
  if (int rc = report(c.call([&](grpc::ClientContext* ctx) { return c.images().ImageFsInfo(ctx, req, &resp); })))
    return rc;
  const OutputFormat f = output_format(output);
  if (f != OutputFormat::Table) {
    JsonDoc j = JsonDoc::object();
    j["status"] = message_to_json(resp);
    std::cout << format_structured(j, f);
    return 0;
  }
  Table t({"FILESYSTEM", "MOUNTPOINT", "USED", "INODES"});
  auto add = [&](const char* kind, const v1::FilesystemUsage& u) {
    t.add_row({kind, u.fs_id().mountpoint(), human_size(u.used_bytes().value()), std::to_string(u.inodes_used().value())});
  };
  for (const auto& u : resp.image_filesystems()) add("image", u);
  for (const auto& u : resp.container_filesystems()) add("container", u);
  std::cout << t.render();
  return 0;
}

}  // namespace

void add_image_commands(CLI::App& app, CommandTable& table) {
  auto images = std::make_shared<ImagesOptions>();
  CLI::App* images_cmd = app.add_subcommand("images", "List images, one row per tag");
  images_cmd->alias("img");
  images_cmd->add_option("IMAGE", images->filter, "Only this image (reference or id)");
  images_cmd->add_flag("-q,--quiet", images->quiet, "Print only image ids");
  images_cmd->add_flag("--digests", images->digests, "Show digests");
  images_cmd->add_flag("--no-trunc", images->no_trunc, "Do not shorten ids and digests");
  add_output_option(images_cmd, &images->output, {"table", "json", "yaml"});
  table.add(images_cmd, [images](Client& c) { return run_images(c, *images); });

  CLI::App* image_cmd = app.add_subcommand("image", "Manage images on this node");
  image_cmd->require_subcommand(1);
  auto import = std::make_shared<ImportOptions>();
  CLI::App* import_cmd = image_cmd->add_subcommand(
      "import", "Import images from a file on this node: an OCI layout (directory or tar) or a docker-archive tar");
  import_cmd->add_option("FILE", import->path, "Path to the archive or layout")->required();
  add_output_option(import_cmd, &import->output, {"table", "json", "yaml"});
  table.add(import_cmd, [import](Client& c) { return run_import(c, *import); });

  auto rmi = std::make_shared<RmiOptions>();
  CLI::App* rmi_cmd = app.add_subcommand("rmi", "Remove images");
  rmi_cmd->add_option("IMAGE", rmi->refs, "Image references or ids");
  rmi_cmd->add_flag("-a,--all", rmi->all, "Remove every image");
  rmi_cmd->add_flag("-q,--prune", rmi->prune, "Remove images no container uses");
  table.add(rmi_cmd, [rmi](Client& c) { return run_rmi(c, *rmi); });

  auto pull = std::make_shared<PullOptions>();
  CLI::App* pull_cmd = app.add_subcommand("pull", "Pull an image from its registry");
  pull_cmd->add_option("IMAGE", pull->image, "Image reference")->required();
  pull_cmd->add_option("--creds", pull->creds, "Registry credentials USERNAME[:PASSWORD]");
  pull_cmd->add_option("--auth", pull->auth, "Registry credentials as base64 USERNAME:PASSWORD");
  pull_cmd->add_flag("-q,--quiet", pull->quiet, "Print only the image id, no progress");
  table.add(pull_cmd, [pull](Client& c) { return run_pull(c, *pull); });

  auto inspecti = std::make_shared<RefsOptions>();
  CLI::App* inspecti_cmd = app.add_subcommand("inspecti", "Show image status with the runtime's details");
  inspecti_cmd->add_option("IMAGE", inspecti->refs, "Image references or ids")->required();
  add_output_option(inspecti_cmd, &inspecti->output, {"json", "yaml"});
  table.add(inspecti_cmd, [inspecti](Client& c) { return run_inspecti(c, *inspecti); });

  auto fs_out = std::make_shared<std::string>("json");
  CLI::App* fs_cmd = app.add_subcommand("imagefsinfo", "Show the image and container filesystems' usage");
  add_output_option(fs_cmd, fs_out.get(), {"json", "yaml", "table"});
  table.add(fs_cmd, [fs_out](Client& c) { return run_imagefsinfo(c, *fs_out); });
}

}  // namespace berth::cli
