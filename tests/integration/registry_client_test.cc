// The registry client against a real registry: Debian's docker-registry on 127.0.0.1, with
// images pushed by skopeo or through the raw API, and a test proxy in front of it for token
// auth and injected faults. No internet, no root.
#include "registry/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <absl/strings/escaping.h>

#include "oci/manifest.h"
#include "support/registry_fixture.h"
#include "support/registry_proxy.h"

namespace berth::registry {
namespace {

namespace fs = std::filesystem;
using test_support::Fault;
using test_support::ProxyOptions;
using test_support::Registry;
using test_support::RegistryOptions;
using test_support::RegistryProxy;
using test_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

class RegistryClientTest : public ::testing::Test {
 protected:
  // Two images, built once: the busybox test image, and one with an extra 3 MiB layer of
  // incompressible bytes (big enough to cut, stall and resume).
  static void SetUpTestSuite() {
    auto dir = TempDir::make("berth-registry-images");
    ASSERT_TRUE(dir.ok()) << dir.status();
    images_ = std::make_unique<TempDir>(*std::move(dir));
    ASSERT_TRUE(test_support::make_test_image(images_->path() / "busybox.tar").ok());
    const fs::path big = images_->path() / "big";
    fs::create_directories(big);
    write_file(big / "random.bin", test_support::random_bytes(3 << 20, 42));
    absl::Status s = test_support::make_test_image(images_->path() / "big.tar", {big});
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() { images_.reset(); }

  void SetUp() override {
    auto t = TempDir::make("berth-registry-test");
    ASSERT_TRUE(t.ok()) << t.status();
    tmp_ = std::make_unique<TempDir>(*std::move(t));
  }

  // A registry holding test/busybox:v1 (and test/big:v1 when `big`).
  std::unique_ptr<Registry> start_registry(RegistryOptions o = {}, bool big = false) {
    auto r = Registry::start(std::move(o));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return nullptr;
    absl::Status s = (*r)->push_archive(images_->path() / "busybox.tar", "test/busybox:v1");
    EXPECT_TRUE(s.ok()) << s;
    if (big) {
      s = (*r)->push_archive(images_->path() / "big.tar", "test/big:v1");
      EXPECT_TRUE(s.ok()) << s;
    }
    return *std::move(r);
  }

  std::unique_ptr<RegistryProxy> start_proxy(ProxyOptions o) {
    auto p = RegistryProxy::start(std::move(o));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  // Settings for plain-http hosts on 127.0.0.1 and quick retries.
  static ClientSettings insecure(std::initializer_list<std::string> hosts) {
    ClientSettings s;
    for (const std::string& h : hosts) s.hosts[h].insecure = true;
    s.initial_backoff = std::chrono::milliseconds(10);
    s.progress_timeout = std::chrono::seconds(30);
    return s;
  }

  static std::unique_ptr<Client> make_client(ClientSettings s) {
    auto c = Client::create(std::move(s));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  static oci::Reference ref(const std::string& s) {
    auto r = oci::parse_reference(s);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : oci::Reference{};
  }

  static oci::Manifest manifest_of(Client& c, const oci::Reference& r, const AuthConfig& auth = {}) {
    auto m = c.get_manifest(r, auth);
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return {};
    auto parsed = oci::parse_manifest(m->bytes);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : oci::Manifest{};
  }

  // Downloads `d` and checks the file holds exactly the blob.
  void expect_blob(Client& c, const oci::Reference& repo, const oci::Descriptor& d, const AuthConfig& auth = {}) {
    const fs::path dest = tmp_->path() / ("blob-" + std::string(d.digest.hex()));
    absl::Status s = c.get_blob(repo, d, dest, auth);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(oci::Digest::of(read_file(dest)), d.digest);
  }

  static inline std::unique_ptr<TempDir> images_;
  std::unique_ptr<TempDir> tmp_;
};

// ---- manifests ----

TEST_F(RegistryClientTest, ManifestByTagAndByDigest) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto c = make_client(insecure({reg->host()}));
  const oci::Reference tagged = ref(reg->host() + "/test/busybox:v1");

  auto m = c->get_manifest(tagged, {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, oci::media_type::kOciManifest);
  EXPECT_EQ(m->digest, oci::Digest::of(m->bytes));
  auto parsed = oci::parse_manifest(m->bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->layers.size(), 1u);

  auto by_digest = c->get_manifest(ref(reg->host() + "/test/busybox@" + m->digest.str()), {});
  ASSERT_TRUE(by_digest.ok()) << by_digest.status();
  EXPECT_EQ(by_digest->bytes, m->bytes);
  EXPECT_EQ(by_digest->digest, m->digest);

  auto by_digest2 = c->get_manifest(tagged, m->digest, {});
  ASSERT_TRUE(by_digest2.ok()) << by_digest2.status();
  EXPECT_EQ(by_digest2->bytes, m->bytes);
}

TEST_F(RegistryClientTest, DockerSchema2Manifest) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->push_archive(images_->path() / "busybox.tar", "test/busybox:docker", {"--format", "v2s2"}).ok());
  auto c = make_client(insecure({reg->host()}));
  auto m = c->get_manifest(ref(reg->host() + "/test/busybox:docker"), {});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, oci::media_type::kDockerManifest);
  auto parsed = oci::parse_manifest(m->bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  expect_blob(*c, ref(reg->host() + "/test/busybox"), parsed->layers.at(0));
}

TEST_F(RegistryClientTest, IndexAndManifestList) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->push_archive(images_->path() / "busybox.tar", "test/busybox:docker", {"--format", "v2s2"}).ok());
  auto c = make_client(insecure({reg->host()}));
  const std::string repo = reg->host() + "/test/busybox";
  auto oci_m = c->get_manifest(ref(repo + ":v1"), {});
  auto docker_m = c->get_manifest(ref(repo + ":docker"), {});
  ASSERT_TRUE(oci_m.ok() && docker_m.ok());

  // An OCI index and a Docker manifest list, pushed through the raw API.
  for (bool docker : {false, true}) {
    SCOPED_TRACE(docker ? "manifest list" : "OCI index");
    const auto& child = docker ? *docker_m : *oci_m;
    oci::Index index;
    index.media_type = docker ? oci::media_type::kDockerManifestList : oci::media_type::kOciIndex;
    oci::Descriptor d;
    d.media_type = child.media_type;
    d.digest = child.digest;
    d.size = static_cast<int64_t>(child.bytes.size());
    d.platform = oci::host_platform();
    index.manifests.push_back(d);
    const std::string bytes = oci::to_json(index).dump();
    const std::string tag = docker ? "list" : "index";
    auto pushed = reg->push_manifest("test/busybox", tag, index.media_type, bytes);
    ASSERT_TRUE(pushed.ok()) << pushed.status();

    auto got = c->get_manifest(ref(repo + ":" + tag), {});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->media_type, index.media_type);
    EXPECT_EQ(got->bytes, bytes);
    EXPECT_EQ(got->digest, *pushed);
    auto parsed = oci::parse_index(got->bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->manifests.size(), 1u);
    auto again = c->get_manifest(ref(repo), parsed->manifests[0].digest, {});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->bytes, child.bytes);
  }
}

TEST_F(RegistryClientTest, OversizedManifestIsInvalidArgument) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  ClientSettings s = insecure({reg->host()});
  s.max_manifest_bytes = 100;
  auto c = make_client(std::move(s));
  auto m = c->get_manifest(ref(reg->host() + "/test/busybox:v1"), {});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("test/busybox:v1"));
}

TEST_F(RegistryClientTest, CorruptManifestIsDataLossNamingTheDigest) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto c = make_client(insecure({reg->host()}));
  auto m = c->get_manifest(ref(reg->host() + "/test/busybox:v1"), {});
  ASSERT_TRUE(m.ok()) << m.status();
  // Change one hex digit inside the stored manifest: still valid JSON, other digest.
  const fs::path stored = reg->blob_data_path(m->digest);
  std::string bytes = read_file(stored);
  ASSERT_EQ(bytes, m->bytes);
  const size_t at = bytes.find("sha256:") + 10;
  bytes[at] = bytes[at] == '0' ? '1' : '0';
  write_file(stored, bytes);

  auto by_digest = c->get_manifest(ref(reg->host() + "/test/busybox@" + m->digest.str()), {});
  EXPECT_EQ(by_digest.status().code(), absl::StatusCode::kDataLoss) << by_digest.status();
  EXPECT_THAT(by_digest.status().message(), HasSubstr(m->digest.str()));
  // By tag: the registry's Docker-Content-Digest no longer matches the bytes.
  auto by_tag = c->get_manifest(ref(reg->host() + "/test/busybox:v1"), {});
  EXPECT_EQ(by_tag.status().code(), absl::StatusCode::kDataLoss) << by_tag.status();
  EXPECT_THAT(by_tag.status().message(), HasSubstr(m->digest.str()));
}

TEST_F(RegistryClientTest, MissingThingsAreNotFoundByName) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto c = make_client(insecure({reg->host()}));
  auto m = c->get_manifest(ref(reg->host() + "/test/busybox:nope"), {});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr(reg->host() + "/test/busybox:nope"));

  auto repo = c->get_manifest(ref(reg->host() + "/no/such/repo:v1"), {});
  EXPECT_EQ(repo.status().code(), absl::StatusCode::kNotFound) << repo.status();
  EXPECT_THAT(repo.status().message(), HasSubstr(reg->host() + "/no/such/repo:v1"));

  oci::Descriptor missing;
  missing.digest = oci::Digest::of("no such blob");
  missing.size = 12;
  absl::Status b = c->get_blob(ref(reg->host() + "/test/busybox"), missing, tmp_->path() / "missing", {});
  EXPECT_EQ(b.code(), absl::StatusCode::kNotFound) << b;
  EXPECT_THAT(b.message(), HasSubstr(missing.digest.str()));
}

// ---- blobs ----

TEST_F(RegistryClientTest, BlobsAreDownloadedAndVerifiedWithProgress) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto c = make_client(insecure({reg->host()}));
  const oci::Reference repo = ref(reg->host() + "/test/busybox");
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/busybox:v1"));
  std::vector<oci::Descriptor> blobs = m.layers;
  blobs.push_back(m.config);
  for (const oci::Descriptor& d : blobs) {
    const fs::path dest = tmp_->path() / std::string(d.digest.hex());
    int64_t last_done = -1, last_total = -1;
    int calls = 0;
    absl::Status s = c->get_blob(repo, d, dest, {}, [&](int64_t done, int64_t total) {
      EXPECT_GE(done, last_done);
      last_done = done;
      last_total = total;
      ++calls;
    });
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(oci::Digest::of(read_file(dest)), d.digest);
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(dest)), d.size);
    EXPECT_EQ(last_done, d.size);
    EXPECT_EQ(last_total, d.size);
    EXPECT_GE(calls, 2);
    // A complete, correct file is not downloaded again.
    ASSERT_TRUE(c->get_blob(repo, d, dest, {}).ok());
    EXPECT_EQ(oci::Digest::of(read_file(dest)), d.digest);
  }
}

TEST_F(RegistryClientTest, CorruptBlobIsDataLossAndDestIsRemoved) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto c = make_client(insecure({reg->host()}));
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/busybox:v1"));
  const oci::Descriptor layer = m.layers.at(0);
  // Flip one byte of the layer in the registry's storage (same size).
  const fs::path stored = reg->blob_data_path(layer.digest);
  std::string bytes = read_file(stored);
  ASSERT_EQ(static_cast<int64_t>(bytes.size()), layer.size);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file(stored, bytes);

  const fs::path dest = tmp_->path() / "layer";
  absl::Status s = c->get_blob(ref(reg->host() + "/test/busybox"), layer, dest, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr(layer.digest.str()));
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(RegistryClientTest, CraftedManifestWithWrongBlobSizesIsDataLoss) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto config = reg->push_blob("test/crafted", R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
  auto layer = reg->push_blob("test/crafted", "this is not really a layer, but it is a blob");
  ASSERT_TRUE(config.ok() && layer.ok()) << config.status() << layer.status();
  // The layer descriptors claim other sizes than the stored blob has.
  oci::Manifest crafted;
  crafted.media_type = oci::media_type::kOciManifest;
  crafted.config = {.media_type = std::string(oci::media_type::kOciConfig), .digest = *config, .size = 87};
  for (int64_t size : {45 + 10, 45 - 5}) {
    crafted.layers.push_back({.media_type = std::string(oci::media_type::kOciLayerGzip), .digest = *layer, .size = size});
  }
  const std::string bytes = oci::to_json(crafted).dump();
  auto pushed = reg->push_manifest("test/crafted", "bad", oci::media_type::kOciManifest, bytes);
  ASSERT_TRUE(pushed.ok()) << pushed.status();

  auto c = make_client(insecure({reg->host()}));
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/crafted:bad"));
  ASSERT_EQ(m.layers.size(), 2u);
  for (const oci::Descriptor& d : m.layers) {
    SCOPED_TRACE(d.size);
    const fs::path dest = tmp_->path() / "crafted";
    absl::Status s = c->get_blob(ref(reg->host() + "/test/crafted"), d, dest, {});
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr(d.digest.str()));
    EXPECT_FALSE(fs::exists(dest));
  }
}

// ---- authentication ----

TEST_F(RegistryClientTest, BasicAuthWithoutSecretsInMessages) {
  const std::string password = "correct-horse-battery-42";
  auto reg = start_registry({.username = "alice", .password = password});
  ASSERT_NE(reg, nullptr);
  const oci::Reference tagged = ref(reg->host() + "/test/busybox:v1");
  const oci::Reference repo = ref(reg->host() + "/test/busybox");

  auto c = make_client(insecure({reg->host()}));
  oci::Manifest m = manifest_of(*c, tagged, {.username = "alice", .password = password});
  expect_blob(*c, repo, m.layers.at(0), {.username = "alice", .password = password});
  EXPECT_GE(c->cached_tokens(), 1u);

  auto c2 = make_client(insecure({reg->host()}));
  auto via_auth = c2->get_manifest(tagged, {.auth = absl::Base64Escape("alice:" + password)});
  EXPECT_TRUE(via_auth.ok()) << via_auth.status();

  const std::string wrong = "wrong-password-1234";
  for (const AuthConfig& bad : {AuthConfig{.username = "alice", .password = wrong},
                                AuthConfig{.auth = absl::Base64Escape("alice:" + wrong)}}) {
    auto c3 = make_client(insecure({reg->host()}));
    auto failed = c3->get_manifest(tagged, bad);
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnauthenticated) << failed.status();
    const std::string msg(failed.status().message());
    EXPECT_THAT(msg, HasSubstr(reg->host()));
    EXPECT_THAT(msg, HasSubstr("test/busybox"));
    EXPECT_THAT(msg, Not(HasSubstr(wrong)));
    EXPECT_THAT(msg, Not(HasSubstr(absl::Base64Escape("alice:" + wrong))));
    absl::Status blob = c3->get_blob(repo, m.layers.at(0), tmp_->path() / "x", bad);
    EXPECT_EQ(blob.code(), absl::StatusCode::kUnauthenticated) << blob;
    EXPECT_THAT(std::string(blob.message()), Not(HasSubstr(wrong)));
  }

  auto anonymous = c2->get_manifest(tagged, {});
  EXPECT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();
  EXPECT_THAT(anonymous.status().message(), HasSubstr("no credentials"));
}

TEST_F(RegistryClientTest, BearerTokenFlowAndTokenCache) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  const std::string password = "token-server-secret-77";
  auto proxy = start_proxy({.upstream_port = reg->port(), .bearer = true, .username = "bob", .password = password});
  ASSERT_NE(proxy, nullptr);
  auto c = make_client(insecure({proxy->host()}));
  const AuthConfig auth{.username = "bob", .password = password};
  const oci::Reference repo = ref(proxy->host() + "/test/busybox");

  oci::Manifest m = manifest_of(*c, ref(proxy->host() + "/test/busybox:v1"), auth);
  expect_blob(*c, repo, m.config, auth);
  expect_blob(*c, repo, m.layers.at(0), auth);
  // One challenge, one token, then the cached token for everything else.
  EXPECT_EQ(proxy->token_requests(), 1);
  EXPECT_EQ(proxy->challenges(), 1);
  EXPECT_EQ(proxy->count_requests("auth=Bearer"), 3);
  EXPECT_EQ(proxy->count_requests("/token?service=test&scope=repository%3Atest%2Fbusybox%3Apull"), 1);

  // Wrong credentials: the token server says no; the message names the registry, not the secret.
  const std::string wrong = "not-the-password-99";
  auto c2 = make_client(insecure({proxy->host()}));
  auto failed = c2->get_manifest(ref(proxy->host() + "/test/busybox:v1"), {.username = "bob", .password = wrong});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnauthenticated) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr(proxy->host()));
  EXPECT_THAT(failed.status().message(), Not(HasSubstr(wrong)));
  EXPECT_THAT(failed.status().message(), Not(HasSubstr(password)));
}

TEST_F(RegistryClientTest, TokenIsRenewedWhenItExpires) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port(), .bearer = true, .expires_in = 120});
  ASSERT_NE(proxy, nullptr);
  auto clock = std::make_shared<FakeClock>(absl::FromUnixSeconds(1'000'000));
  ClientSettings s = insecure({proxy->host()});
  s.clock = clock;
  auto c = make_client(std::move(s));
  const oci::Reference tagged = ref(proxy->host() + "/test/busybox:v1");
  ASSERT_TRUE(c->get_manifest(tagged, {}).ok());  // anonymous token
  ASSERT_TRUE(c->get_manifest(tagged, {}).ok());
  EXPECT_EQ(proxy->token_requests(), 1);
  clock->advance(absl::Seconds(119));  // within expires_in, but past the renewal margin
  ASSERT_TRUE(c->get_manifest(tagged, {}).ok());
  EXPECT_EQ(proxy->token_requests(), 2);
  EXPECT_EQ(proxy->challenges(), 1);  // renewed before the server had to refuse it
}

TEST_F(RegistryClientTest, IdentityTokenAndRegistryToken) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port(),
                            .bearer = true,
                            .username = "nobody-uses-basic-here",
                            .password = "x",
                            .refresh_token = "refresh-token-abc123",
                            .static_token = "static-registry-token-xyz"});
  ASSERT_NE(proxy, nullptr);
  const oci::Reference tagged = ref(proxy->host() + "/test/busybox:v1");

  auto c = make_client(insecure({proxy->host()}));
  auto m = c->get_manifest(tagged, {.identity_token = "refresh-token-abc123"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(proxy->count_requests("POST /token"), 1);
  EXPECT_EQ(proxy->token_requests(), 1);

  auto bad = make_client(insecure({proxy->host()}))->get_manifest(tagged, {.identity_token = "refresh-token-wrong"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated) << bad.status();
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("refresh-token-wrong")));

  // A registry token goes to the registry as is: no challenge, no token request.
  const int challenges = proxy->challenges();
  auto c2 = make_client(insecure({proxy->host()}));
  auto direct = c2->get_manifest(tagged, {.registry_token = "static-registry-token-xyz"});
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(proxy->challenges(), challenges);
  EXPECT_EQ(proxy->token_requests(), 1);
  auto refused = c2->get_manifest(tagged, {.registry_token = "static-registry-token-bad"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_THAT(refused.status().message(), Not(HasSubstr("static-registry-token-bad")));
}

// ---- failures, retries, resume ----

TEST_F(RegistryClientTest, ServerErrorsAreRetriedWithBackoff) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port()});
  ASSERT_NE(proxy, nullptr);
  auto c = make_client(insecure({proxy->host()}));
  const oci::Reference tagged = ref(proxy->host() + "/test/busybox:v1");

  proxy->add_fault({.kind = Fault::Kind::kStatus, .path_contains = "/manifests/", .status = 500, .times = 2});
  oci::Manifest m = manifest_of(*c, tagged);
  EXPECT_EQ(proxy->count_requests("GET /v2/test/busybox/manifests/v1"), 3);

  proxy->add_fault({.kind = Fault::Kind::kStatus, .path_contains = "/blobs/", .status = 503, .times = 3});
  expect_blob(*c, ref(proxy->host() + "/test/busybox"), m.layers.at(0));
  EXPECT_EQ(proxy->count_requests("/blobs/" + m.layers.at(0).digest.str()), 4);

  proxy->add_fault({.kind = Fault::Kind::kStatus, .path_contains = "/manifests/", .status = 502, .times = -1});
  auto failed = c->get_manifest(tagged, {});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr(proxy->host()));
  EXPECT_THAT(failed.status().message(), HasSubstr("(after 5 attempts)"));
  EXPECT_EQ(proxy->count_requests("GET /v2/test/busybox/manifests/v1"), 3 + 5);
}

TEST_F(RegistryClientTest, ConnectionRefusedIsUnavailableNamingTheHost) {
  const std::string host = "127.0.0.1:" + std::to_string(test_support::free_port());
  ClientSettings s = insecure({host});
  s.max_retries = 2;
  auto c = make_client(std::move(s));
  auto m = c->get_manifest(ref(host + "/test/busybox:v1"), {});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr(host));
  EXPECT_THAT(m.status().message(), HasSubstr("(after 3 attempts)"));
}

TEST_F(RegistryClientTest, CutConnectionsResumeWithRange) {
  auto reg = start_registry({}, /*big=*/true);
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port()});
  ASSERT_NE(proxy, nullptr);
  ClientSettings s = insecure({proxy->host()});
  s.max_retries = 1;  // every cut makes progress, so one retry per cut is enough
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(proxy->host() + "/test/big:v1"));
  ASSERT_EQ(m.layers.size(), 2u);
  const oci::Descriptor big = m.layers[1];
  ASSERT_GT(big.size, 3 << 20);

  proxy->add_fault({.kind = Fault::Kind::kCut, .path_contains = big.digest.str(), .after_bytes = 1 << 20, .times = 3});
  const fs::path dest = tmp_->path() / "big";
  int64_t last = 0;
  absl::Status st = c->get_blob(ref(proxy->host() + "/test/big"), big, dest, {}, [&](int64_t done, int64_t) { last = done; });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(oci::Digest::of(read_file(dest)), big.digest);
  EXPECT_EQ(last, big.size);
  EXPECT_EQ(proxy->faults_applied(), 3);
  // Each retry asked for the rest from where the cut left it.
  EXPECT_EQ(proxy->count_requests("range=bytes=1048576-"), 1);
  EXPECT_EQ(proxy->count_requests("range=bytes=2097152-"), 1);
  EXPECT_EQ(proxy->count_requests("range=bytes=3145728-"), 1);
}

TEST_F(RegistryClientTest, InterruptedPullResumesAfterRegistryRestart) {
  auto reg = start_registry({}, /*big=*/true);
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port()});
  ASSERT_NE(proxy, nullptr);
  ClientSettings s = insecure({proxy->host(), reg->host()});
  s.max_retries = 0;
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/big:v1"));
  const oci::Descriptor big = m.layers.at(1);
  const fs::path dest = tmp_->path() / "big";

  // 1. The connection breaks after 1 MiB: the pull fails, dest keeps what arrived.
  proxy->add_fault({.kind = Fault::Kind::kCut, .path_contains = "/blobs/", .after_bytes = 1 << 20, .times = -1});
  absl::Status first = c->get_blob(ref(proxy->host() + "/test/big"), big, dest, {});
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  EXPECT_THAT(first.message(), HasSubstr(big.digest.str()));
  EXPECT_EQ(fs::file_size(dest), 1u << 20);

  // 2. The registry is down: Unavailable naming the host; dest untouched.
  ASSERT_TRUE(reg->stop().ok());
  absl::Status down = c->get_blob(ref(reg->host() + "/test/big"), big, dest, {});
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_THAT(down.message(), HasSubstr(reg->host()));
  EXPECT_EQ(fs::file_size(dest), 1u << 20);

  // 3. Back on the same port: the next pull resumes at 1 MiB.
  ASSERT_TRUE(reg->restart().ok());
  proxy->clear_faults();
  absl::Status resumed = c->get_blob(ref(proxy->host() + "/test/big"), big, dest, {});
  ASSERT_TRUE(resumed.ok()) << resumed;
  EXPECT_EQ(oci::Digest::of(read_file(dest)), big.digest);
  EXPECT_EQ(proxy->count_requests("range=bytes=1048576-"), 1);
}

TEST_F(RegistryClientTest, ProgressTimeoutIsDeadlineExceededNamingTheBlob) {
  auto reg = start_registry({}, /*big=*/true);
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port()});
  ASSERT_NE(proxy, nullptr);
  ClientSettings s = insecure({proxy->host()});
  s.progress_timeout = std::chrono::seconds(2);
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(proxy->host() + "/test/big:v1"));
  const oci::Descriptor big = m.layers.at(1);

  proxy->add_fault({.kind = Fault::Kind::kStall,
                    .path_contains = "/blobs/",
                    .after_bytes = 64 << 10,
                    .stall = std::chrono::seconds(60),
                    .times = 1});
  const fs::path dest = tmp_->path() / "big";
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = c->get_blob(ref(proxy->host() + "/test/big"), big, dest, {});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded) << st;
  EXPECT_THAT(st.message(), HasSubstr(big.digest.str()));
  EXPECT_LT(took, std::chrono::seconds(30));
  EXPECT_EQ(fs::file_size(dest), 64u << 10);

  // The stalled prefix is kept and the next pull resumes from it.
  absl::Status again = c->get_blob(ref(proxy->host() + "/test/big"), big, dest, {});
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_EQ(oci::Digest::of(read_file(dest)), big.digest);
  EXPECT_EQ(proxy->count_requests("range=bytes=65536-"), 1);
}

// ---- endpoints: mirrors, rewrites, transport ----

TEST_F(RegistryClientTest, MirrorsThatFailFallBackToUpstream) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  const std::string dead = "127.0.0.1:" + std::to_string(test_support::free_port());
  auto failing = start_proxy({.upstream_port = reg->port()});
  auto empty = start_proxy({.upstream_port = reg->port()});
  ASSERT_TRUE(failing && empty);
  failing->add_fault({.kind = Fault::Kind::kStatus, .path_contains = "/v2/", .status = 500, .times = -1});
  empty->add_fault({.kind = Fault::Kind::kStatus, .path_contains = "/v2/", .status = 404, .times = -1});

  ClientSettings s = insecure({reg->host(), dead, empty->host()});
  s.hosts[reg->host()].mirrors = {dead, "http://" + failing->host(), empty->host()};
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/busybox:v1"));
  expect_blob(*c, ref(reg->host() + "/test/busybox"), m.layers.at(0));
  // Each mirror was asked once per object (no retries on a mirror), then the upstream answered.
  EXPECT_EQ(failing->count_requests("/manifests/v1"), 1);
  EXPECT_EQ(empty->count_requests("/manifests/v1"), 1);
  EXPECT_EQ(failing->count_requests("/blobs/"), 1);
  EXPECT_EQ(empty->count_requests("/blobs/"), 1);
}

TEST_F(RegistryClientTest, MirrorServesWhileUpstreamIsDown) {
  auto mirror = start_registry();
  ASSERT_NE(mirror, nullptr);
  const std::string dead = "127.0.0.1:" + std::to_string(test_support::free_port());
  ClientSettings s = insecure({dead, mirror->host()});
  s.hosts[dead].mirrors = {mirror->host()};
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(dead + "/test/busybox:v1"));
  expect_blob(*c, ref(dead + "/test/busybox"), m.layers.at(0));
}

TEST_F(RegistryClientTest, RewriteHostIsContactedInsteadOfTheDomain) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  ClientSettings s = insecure({});
  s.hosts["registry.example.invalid"] = {.insecure = true, .rewrite_host = reg->host()};
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref("registry.example.invalid/test/busybox:v1"));
  expect_blob(*c, ref("registry.example.invalid/test/busybox"), m.layers.at(0));
}

TEST_F(RegistryClientTest, PlainHttpHostIsNeverContactedWithoutInsecure) {
  auto reg = start_registry();
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port()});
  ASSERT_NE(proxy, nullptr);
  ClientSettings s;  // the proxy's host is not marked insecure: https only
  s.initial_backoff = std::chrono::milliseconds(10);
  auto c = make_client(std::move(s));
  auto m = c->get_manifest(ref(proxy->host() + "/test/busybox:v1"), {});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr(proxy->host()));
  EXPECT_THAT(m.status().message(), HasSubstr("https://" + proxy->host()));
  // It was reached over TLS, and no plain HTTP request ever arrived.
  EXPECT_GE(proxy->connections(), 1);
  EXPECT_TRUE(proxy->requests().empty()) << proxy->requests().front();
}

TEST_F(RegistryClientTest, TlsRegistryWithCaFile) {
  auto reg = start_registry({.tls = true});
  ASSERT_NE(reg, nullptr);
  ASSERT_TRUE(reg->ca_file().has_value());
  ClientSettings s;
  s.hosts[reg->host()].ca_file = reg->ca_file();
  auto c = make_client(std::move(s));
  oci::Manifest m = manifest_of(*c, ref(reg->host() + "/test/busybox:v1"));
  expect_blob(*c, ref(reg->host() + "/test/busybox"), m.layers.at(0));

  // Without the CA the certificate does not verify: no silent fallback, an error naming the host.
  auto untrusted = make_client(ClientSettings{});
  auto failed = untrusted->get_manifest(ref(reg->host() + "/test/busybox:v1"), {});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr(reg->host()));
}

// ---- concurrency ----

TEST_F(RegistryClientTest, ConcurrentBlobDownloadsShareTheToken) {
  auto reg = start_registry({}, /*big=*/true);
  ASSERT_NE(reg, nullptr);
  auto proxy = start_proxy({.upstream_port = reg->port(), .bearer = true});
  ASSERT_NE(proxy, nullptr);
  auto c = make_client(insecure({proxy->host()}));
  const oci::Reference repo = ref(proxy->host() + "/test/big");
  oci::Manifest m = manifest_of(*c, ref(proxy->host() + "/test/big:v1"));
  std::vector<oci::Descriptor> blobs = m.layers;
  blobs.push_back(m.config);
  ASSERT_EQ(blobs.size(), 3u);

  std::vector<absl::Status> results(blobs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < blobs.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = c->get_blob(repo, blobs[i], tmp_->path() / ("c" + std::to_string(i)), {});
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < blobs.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i];
    EXPECT_EQ(oci::Digest::of(read_file(tmp_->path() / ("c" + std::to_string(i)))), blobs[i].digest);
  }
  EXPECT_EQ(proxy->token_requests(), 1);
  EXPECT_EQ(proxy->challenges(), 1);
}

}  // namespace
}  // namespace berth::registry
