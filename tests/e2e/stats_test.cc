// Container and pod stats from the real cgroups of real runc containers: a CPU burner and a
// memory allocator show figures within sane bounds of what they do, the writable layer
// counts what a container wrote, a pod's interfaces count its traffic, and stats survive
// containers exiting under them.
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <sstream>

#include <absl/strings/match.h>
#include <fmt/format.h>

#include "base/unique_fd.h"
#include "e2e/berthd_fixture.h"
#include "support/tcp_echo_server.h"

namespace berth::e2e {
namespace {

constexpr uint64_t kMiB = 1 << 20;

class Stats : public BerthdTest {
 protected:
  std::string extra_config() const override {
    return fmt::format("[metrics]\naddress = \":{}\"\n", metrics_port_);
  }
  // GET /metrics, the body.
  std::string scrape() const {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(metrics_port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd.get(), req.data(), req.size()) != static_cast<ssize_t>(req.size())) return "";
    std::string resp;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) resp.append(buf, static_cast<size_t>(n));
    const size_t body = resp.find("\r\n\r\n");
    EXPECT_EQ(resp.rfind("HTTP/1.", 0), 0u) << resp.substr(0, 200);
    return body == std::string::npos ? "" : resp.substr(body + 4);
  }
  const uint16_t metrics_port_ = test_support::unused_loopback_port();
  v1::ContainerStats container_stats(const std::string& id) {
    v1::ContainerStatsRequest req;
    req.set_container_id(id);
    v1::ContainerStatsResponse resp;
    grpc::Status s = rt_->ContainerStats(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.stats();
  }
  v1::PodSandboxStats pod_stats(const std::string& id) {
    v1::PodSandboxStatsRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatsResponse resp;
    grpc::Status s = rt_->PodSandboxStats(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.stats();
  }
  std::vector<v1::ContainerStats> list_container_stats(const v1::ContainerStatsFilter& f = {}) {
    v1::ListContainerStatsRequest req;
    *req.mutable_filter() = f;
    v1::ListContainerStatsResponse resp;
    grpc::Status s = rt_->ListContainerStats(ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.stats().begin(), resp.stats().end()};
  }
  std::vector<v1::ContainerStats> stream_container_stats(const v1::ContainerStatsFilter& f = {}) {
    v1::StreamContainerStatsRequest req;
    *req.mutable_filter() = f;
    auto c = ctx();
    auto reader = rt_->StreamContainerStats(c.get(), req);
    std::vector<v1::ContainerStats> out;
    v1::StreamContainerStatsResponse batch;
    while (reader->Read(&batch)) out.insert(out.end(), batch.container_stats().begin(), batch.container_stats().end());
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  std::string sh(const std::string& pod, const std::string& name, const std::string& script,
                 std::map<std::string, std::string> labels = {}) {
    return run_container(pod, {.name = name, .command = {"sh", "-c", script}, .labels = std::move(labels)});
  }
};

TEST_F(Stats, ACpuBurnerUsesAboutOneCoreAndItsCountersRise) {
  const std::string pod = run_pod({.name = "cpu"});
  const std::string c = sh(pod, "burn", "while :; do :; done");
  const v1::ContainerStats first = container_stats(c);
  ASSERT_TRUE(first.has_cpu() && first.cpu().has_usage_core_nano_seconds());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const v1::ContainerStats second = container_stats(c);
  ASSERT_TRUE(second.has_cpu() && second.cpu().has_usage_nano_cores()) << "a rate once there was a sample before";
  const double cpu_seconds = static_cast<double>(second.cpu().usage_core_nano_seconds().value() -
                                                 first.cpu().usage_core_nano_seconds().value()) / 1e9;
  const double cores = static_cast<double>(second.cpu().usage_nano_cores().value()) / 1e9;
  // One busy shell on a 2-core machine that also runs berthd and the test: between a fifth of
  // a core and one core (plus clock slack).
  EXPECT_GT(cpu_seconds, 0.4) << "over 2 s";
  EXPECT_LT(cpu_seconds, 2.6);
  EXPECT_GT(cores, 0.2);
  EXPECT_LT(cores, 1.3);
  EXPECT_GT(second.cpu().timestamp(), first.cpu().timestamp());
  EXPECT_EQ(second.attributes().id(), c);
  EXPECT_EQ(second.attributes().metadata().name(), "burn");
}

TEST_F(Stats, AMemoryAllocatorShowsItsWorkingSetUnderItsLimit) {
  const std::string pod = run_pod({.name = "mem"});
  // tail holds its unfinished last line in memory: 48 MiB of zeros without a newline, for as
  // long as its input stays open.
  v1::ContainerConfig cfg = container_config(
      {.name = "alloc", .command = {"sh", "-c", "(head -c 50331648 /dev/zero; sleep 1000) | tail -n 1 >/dev/null"}});
  cfg.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(256 * kMiB);
  const std::string c = run_config(pod, cfg);
  v1::ContainerStats st;
  EXPECT_TRUE(eventually([&] {
    st = container_stats(c);
    return st.memory().working_set_bytes().value() > 46 * kMiB;
  }, std::chrono::seconds(30))) << "working set " << st.memory().working_set_bytes().value();
  ASSERT_TRUE(st.has_memory() && st.memory().has_working_set_bytes());
  EXPECT_LT(st.memory().working_set_bytes().value(), 256 * kMiB);
  EXPECT_GE(st.memory().usage_bytes().value(), st.memory().working_set_bytes().value());
  ASSERT_TRUE(st.memory().has_available_bytes()) << "the container has a limit";
  EXPECT_EQ(st.memory().available_bytes().value(), 256 * kMiB - st.memory().working_set_bytes().value());
  ASSERT_TRUE(st.memory().has_rss_bytes());
  EXPECT_GT(st.memory().rss_bytes().value(), 44 * kMiB) << "tail's buffer is anonymous memory";
  EXPECT_GT(st.memory().page_faults().value(), 40 * kMiB / 4096 / 2) << "the pages it touched";
}

TEST_F(Stats, TheWritableLayerCountsWhatTheContainerWrote) {
  const std::string pod = run_pod({.name = "layer"});
  const std::string c = sh(pod, "writer", "dd if=/dev/zero of=/filler bs=1M count=8 && sync && echo written; sleep 1000");
  ASSERT_TRUE(eventually([&] { return read_log(c).find("written") != std::string::npos; }, std::chrono::seconds(30)));
  const v1::ContainerStats st = container_stats(c);
  ASSERT_TRUE(st.has_writable_layer());
  EXPECT_GE(st.writable_layer().used_bytes().value(), 8 * kMiB);
  EXPECT_LT(st.writable_layer().used_bytes().value(), 16 * kMiB);
  EXPECT_GE(st.writable_layer().inodes_used().value(), 2u) << "the upper directory and the file";
  EXPECT_FALSE(st.writable_layer().fs_id().mountpoint().empty());
}

TEST_F(Stats, APodCountsItsProcessesContainersAndTraffic) {
  const std::string pod = run_pod({.name = "podstats"});
  const std::string a = sh(pod, "a", "sleep 1000");
  const std::string b = sh(pod, "b", "sleep 1000 & sleep 1000");
  const v1::PodSandboxStats before = pod_stats(pod);
  ASSERT_TRUE(before.has_linux());
  EXPECT_EQ(before.attributes().id(), pod);
  EXPECT_EQ(before.attributes().metadata().name(), "podstats");
  ASSERT_TRUE(before.linux().has_process());
  EXPECT_EQ(before.linux().process().process_count().value(), 3u) << "a's sleep and b's two (its shell execs the last)";
  EXPECT_TRUE(before.linux().cpu().has_usage_core_nano_seconds());
  EXPECT_TRUE(before.linux().memory().has_working_set_bytes());
  ASSERT_EQ(before.linux().containers_size(), 2);
  ASSERT_TRUE(before.linux().has_network());
  EXPECT_EQ(before.linux().network().default_interface().name(), "eth0");
  // Traffic to the bridge: one ping and its answer (busybox's wget crashes on a refused port).
  std::string out;
  EXPECT_EQ(exec_exit(a, {"ping", "-c", "1", "-W", "2", network_->gateway}, &out), 0) << out;
  const v1::PodSandboxStats after = pod_stats(pod);
  EXPECT_GT(after.linux().network().default_interface().tx_bytes().value(),
            before.linux().network().default_interface().tx_bytes().value());
  EXPECT_GT(after.linux().network().default_interface().rx_bytes().value(),
            before.linux().network().default_interface().rx_bytes().value());
  for (const auto& i : after.linux().network().interfaces()) EXPECT_NE(i.name(), "lo");
}

TEST_F(Stats, ListsFilterByIdPodAndLabelsAndTheStreamGivesTheSame) {
  const std::string p1 = run_pod({.name = "one"});
  const std::string p2 = run_pod({.name = "two"});
  const std::string a = sh(p1, "a", "sleep 1000", {{"tier", "web"}});
  const std::string b = sh(p1, "b", "sleep 1000", {{"tier", "db"}});
  const std::string c = sh(p2, "c", "sleep 1000", {{"tier", "web"}});
  auto ids = [](const std::vector<v1::ContainerStats>& l) {
    std::set<std::string> out;
    for (const auto& s : l) out.insert(s.attributes().id());
    return out;
  };
  EXPECT_EQ(ids(list_container_stats()), (std::set<std::string>{a, b, c}));
  v1::ContainerStatsFilter by_pod;
  by_pod.set_pod_sandbox_id(p1);
  EXPECT_EQ(ids(list_container_stats(by_pod)), (std::set<std::string>{a, b}));
  v1::ContainerStatsFilter by_label;
  (*by_label.mutable_label_selector())["tier"] = "web";
  EXPECT_EQ(ids(list_container_stats(by_label)), (std::set<std::string>{a, c}));
  v1::ContainerStatsFilter by_id;
  by_id.set_id(b.substr(0, 12));
  EXPECT_EQ(ids(list_container_stats(by_id)), (std::set<std::string>{b}));
  v1::ContainerStatsFilter missing_pod;
  missing_pod.set_pod_sandbox_id("0123456789abcdef");
  EXPECT_TRUE(list_container_stats(missing_pod).empty()) << "a filter naming a missing pod: an empty list";
  EXPECT_EQ(ids(stream_container_stats()), (std::set<std::string>{a, b, c}));
  EXPECT_EQ(stream_container_stats().size(), 3u) << "no duplicates";
  EXPECT_EQ(ids(stream_container_stats(by_label)), (std::set<std::string>{a, c}));

  v1::ListPodSandboxStatsRequest preq;
  (*preq.mutable_filter()->mutable_label_selector())["nothing"] = "matches";
  v1::ListPodSandboxStatsResponse presp;
  ASSERT_TRUE(rt_->ListPodSandboxStats(ctx().get(), preq, &presp).ok());
  EXPECT_EQ(presp.stats_size(), 0);
  preq.Clear();
  ASSERT_TRUE(rt_->ListPodSandboxStats(ctx().get(), preq, &presp).ok());
  EXPECT_EQ(presp.stats_size(), 2);
}

TEST_F(Stats, UnknownIdsAreNotFoundNamingThem) {
  v1::ContainerStatsRequest creq;
  creq.set_container_id("feedfacefeedface");
  v1::ContainerStatsResponse cresp;
  grpc::Status s = rt_->ContainerStats(ctx().get(), creq, &cresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("feedfacefeedface"), std::string::npos) << s.error_message();
  v1::PodSandboxStatsRequest preq;
  preq.set_pod_sandbox_id("decafbaddecafbad");
  v1::PodSandboxStatsResponse presp;
  s = rt_->PodSandboxStats(ctx().get(), preq, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("decafbaddecafbad"), std::string::npos) << s.error_message();
  v1::ListContainerStatsRequest bad;
  (*bad.mutable_filter()->mutable_label_selector())["bad key!"] = "x";
  v1::ListContainerStatsResponse lresp;
  s = rt_->ListContainerStats(ctx().get(), bad, &lresp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("ContainerStatsFilter.label_selector"), std::string::npos) << s.error_message();
}

TEST_F(Stats, ContainersExitingUnderTheCallsGiveCleanAnswers) {
  const std::string pod = run_pod({.name = "exiting"});
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(sh(pod, "short" + std::to_string(i), "sleep 0." + std::to_string(2 + i)));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int calls = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (const v1::ContainerStats& st : list_container_stats()) {
      ++calls;
      if (st.has_memory() && st.memory().has_working_set_bytes() && st.memory().has_usage_bytes()) {
        EXPECT_LE(st.memory().working_set_bytes().value(), st.memory().usage_bytes().value());
        EXPECT_LT(st.memory().usage_bytes().value(), 1024 * kMiB) << "garbage";
      }
    }
    if (std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return container_status(id).state() == v1::CONTAINER_EXITED;
        }))
      break;
  }
  EXPECT_GT(calls, 0);
  for (const std::string& id : ids) {
    const v1::ContainerStats st = container_stats(id);  // an exited container still answers
    EXPECT_EQ(st.attributes().id(), id);
    EXPECT_FALSE(st.has_cpu()) << "no group left to read";
  }
}

// The metrics RPCs kubelet's /metrics/cadvisor reads: descriptors for every name sent, and
// a running container's series with its figures.
TEST_F(Stats, PodMetricsCarryTheContainersSeriesUnderCadvisorNames) {
  v1::ListMetricDescriptorsResponse descriptors;
  ASSERT_TRUE(rt_->ListMetricDescriptors(ctx().get(), v1::ListMetricDescriptorsRequest(), &descriptors).ok());
  std::map<std::string, int> label_count;
  for (const v1::MetricDescriptor& d : descriptors.descriptors()) label_count[d.name()] = d.label_keys_size();
  ASSERT_TRUE(label_count.contains("container_memory_working_set_bytes"));

  const std::string pod = run_pod({.name = std::string(63, 'm')});
  const std::string c = sh(pod, "busy", "while :; do :; done");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  v1::ListPodSandboxMetricsResponse listed;
  grpc::Status s = rt_->ListPodSandboxMetrics(ctx().get(), v1::ListPodSandboxMetricsRequest(), &listed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(listed.pod_metrics_size(), 1);
  const v1::PodSandboxMetrics& m = listed.pod_metrics(0);
  EXPECT_EQ(m.pod_sandbox_id(), pod);
  std::map<std::string, uint64_t> values;
  ASSERT_EQ(m.container_metrics_size(), 1);
  EXPECT_EQ(m.container_metrics(0).container_id(), c);
  for (const v1::Metric& metric : m.container_metrics(0).metrics()) {
    ASSERT_TRUE(label_count.contains(metric.name())) << metric.name() << " has no descriptor";
    EXPECT_EQ(metric.label_values_size(), label_count[metric.name()]) << metric.name();
    values[metric.name()] = metric.value().value();
  }
  EXPECT_GE(values["container_cpu_usage_seconds_total"], 1u) << "a busy loop for 1.5 s";
  EXPECT_GT(values["container_memory_working_set_bytes"], 0u);
  EXPECT_GE(values["container_processes"], 1u);
  bool eth0 = false;
  for (const v1::Metric& metric : m.metrics())
    eth0 |= metric.name() == "container_network_receive_bytes_total" && metric.label_values(metric.label_values_size() - 1) == "eth0";
  EXPECT_TRUE(eth0) << "the pod's interface";

  auto c2 = ctx();
  auto reader = rt_->StreamPodSandboxMetrics(c2.get(), v1::StreamPodSandboxMetricsRequest());
  v1::StreamPodSandboxMetricsResponse batch;
  std::vector<std::string> streamed;
  while (reader->Read(&batch))
    for (const v1::PodSandboxMetrics& p : batch.pod_sandbox_metrics()) streamed.push_back(p.pod_sandbox_id());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(streamed, std::vector<std::string>{pod});
}

// Text exposition: every sample line is NAME{LABELS} VALUE with a # TYPE for its family;
// the figures follow what was done.
TEST_F(Stats, TheMetricsEndpointIsScrapedAndParsed) {
  const std::string pod = run_pod({.name = std::string(63, 'x')});
  const std::string c = sh(pod, "idle", "sleep 1000");
  v1::ContainerStatusRequest bad;
  bad.set_container_id("0123456789abcdef");
  v1::ContainerStatusResponse ignored;
  EXPECT_EQ(rt_->ContainerStatus(ctx().get(), bad, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string body = scrape();
  ASSERT_FALSE(body.empty());
  static const std::regex kSample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|[+-]Inf|[Nn]a[Nn])( [0-9]+)?)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  std::set<std::string> typed;
  std::map<std::string, double> samples;  // "name{labels}" -> value
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.rfind("# HELP ", 0) == 0) continue;
    std::smatch m;
    if (std::regex_match(line, m, kType)) {
      typed.insert(m[1]);
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "not a sample line: " << line;
    // strtod reads "+Inf", "-Inf" and any case of "NaN" (Go's ParseFloat, Prometheus's own, does too).
    samples[m[1].str() + m[2].str()] = std::strtod(m[3].str().c_str(), nullptr);
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_count", "_sum"})
      if (absl::EndsWith(family, suffix) && !typed.contains(family)) family = family.substr(0, family.size() - strlen(suffix));
    EXPECT_TRUE(typed.contains(family)) << family << " has no # TYPE before it";
  }
  EXPECT_EQ(samples["berth_pods{state=\"ready\"}"], 1);
  EXPECT_EQ(samples["berth_containers{state=\"running\"}"], 1);
  EXPECT_GE(samples["berth_monitor_launches_total"], 1);
  EXPECT_GE(samples["berth_rpc_duration_seconds_count{rpc=\"RunPodSandbox\"}"], 1);
  EXPECT_GE(samples["berth_rpc_duration_seconds_count{rpc=\"CreateContainer\"}"], 1);
  EXPECT_GE(samples["berth_rpc_errors_total{code=\"NOT_FOUND\",rpc=\"ContainerStatus\"}"], 1);
  EXPECT_TRUE(samples.contains("berth_container_oom_kills_total"));
}

}  // namespace
}  // namespace berth::e2e
