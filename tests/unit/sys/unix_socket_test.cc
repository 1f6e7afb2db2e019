#include "sys/unix_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "sys/fs.h"
#include "sys/unix_endpoint.h"

namespace berth::sys {
namespace {
namespace fs = std::filesystem;

// A directory whose path is `length` bytes long, below a fresh temporary directory that
// goes away with it.
struct LongDir {
  explicit LongDir(size_t length) {
    std::string tmpl = (fs::temp_directory_path() / "berth-sock-XXXXXX").string();
    base = ::mkdtemp(tmpl.data());
    path = base;
    while (path.native().size() + 1 < length)
      path /= std::string(std::min<size_t>(length - path.native().size() - 1, 60), 'd');
    EXPECT_TRUE(make_dirs(path).ok());
    EXPECT_EQ(path.native().size(), length);
  }
  ~LongDir() { (void)remove_tree(base); }
  fs::path base, path;
};

// Accepts one connection on `listener` and reads what the peer sent.
std::string accept_and_read(int listener) {
  UniqueFd conn{::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)};
  if (!conn) return "accept failed";
  char buf[64] = {};
  ssize_t n = ::read(conn.get(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(UnixSocket, ShortPathIsItsOwnAddress) {
  const LongDir long_dir(40);
  const fs::path d = long_dir.path;
  absl::StatusOr<SocketPath> p = SocketPath::of(d / "s.sock");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->address(), (d / "s.sock").string());
  EXPECT_EQ(p->address_for_others(), (d / "s.sock").string());
}

TEST(UnixSocket, PathLongerThanSunPathListensAndConnects) {
  const LongDir long_dir(200);
  const fs::path sock = long_dir.path / "monitor.sock";
  absl::StatusOr<UniqueFd> listener = listen_unix(sock, 0600);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE(fs::is_socket(sock)) << "the socket is bound at its real path";
  absl::StatusOr<UniqueFd> client = connect_unix(sock);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_EQ(::write(client->get(), "hi", 2), 2);
  EXPECT_EQ(accept_and_read(listener->get()), "hi");
}

TEST(UnixSocket, AnotherProcessReachesALongPathThroughTheHolder) {
  const LongDir long_dir(150);
  const fs::path sock = long_dir.path / "console-1.sock";
  absl::StatusOr<UniqueFd> listener = listen_unix(sock, 0600);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<SocketPath> p = SocketPath::of(sock);
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string address = p->address_for_others();
  EXPECT_LT(address.size(), 108u);
  EXPECT_EQ(address.rfind(fmt::format("/proc/{}/fd/", ::getpid()), 0), 0u) << address;
  // The child is another process: /proc/self would be its own table, /proc/<parent> is not.
  const std::string arg = address;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, arg.c_str(), arg.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(1);
    ::_exit(::write(fd, "child", 5) == 5 ? 0 : 2);
  }
  EXPECT_EQ(accept_and_read(listener->get()), "child");
  int st = 0;
  ASSERT_EQ(::waitpid(child, &st, 0), child);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(UnixSocket, NameTooLongForAnyAddressIsInvalidArgument) {
  const LongDir long_dir(60);
  const fs::path d = long_dir.path;
  const std::string name(max_socket_name_length() + 1, 'n');
  absl::StatusOr<SocketPath> p = SocketPath::of(d / name);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << p.status();
  EXPECT_NE(p.status().message().find(name), std::string_view::npos);
  EXPECT_EQ(listen_unix(d / name, 0600).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(d / name));
}

TEST(UnixSocket, ConnectToAMissingLongDirectoryIsUnavailable) {
  const LongDir long_dir(150);
  const fs::path d = long_dir.path;
  EXPECT_EQ(connect_unix(d / "gone" / "monitor.sock").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(connect_unix(d / "monitor.sock").status().code(), absl::StatusCode::kUnavailable);
}

TEST(UnixEndpoint, TheFormsClientsWrite) {
  EXPECT_EQ(*parse_unix_endpoint("unix:///run/berth/berth.sock"), fs::path("/run/berth/berth.sock"));
  EXPECT_EQ(*parse_unix_endpoint("unix:/run/berth/berth.sock"), fs::path("/run/berth/berth.sock"));
  EXPECT_EQ(*parse_unix_endpoint("/run/berth/berth.sock"), fs::path("/run/berth/berth.sock"));
  EXPECT_EQ(*parse_unix_endpoint("unix:///run//berth/./berth.sock"), fs::path("/run/berth/berth.sock"));
}

TEST(UnixEndpoint, AnythingElseIsRefusedNamingTheValue) {
  for (const char* bad : {"", "unix://", "unix:", "run/berth.sock", "unix://run/berth.sock", "tcp://127.0.0.1:1234",
                          "npipe:////./pipe/x", "/run/berth/"}) {
    absl::StatusOr<fs::path> p = parse_unix_endpoint(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(p.status().message().find(fmt::format("\"{}\"", bad)), std::string_view::npos) << p.status();
  }
}

}  // namespace
}  // namespace berth::sys
