// End to end: the real coachd binary, run as a child process. Start-up
// failures stop it with a message naming the cause; a good start serves on
// the port it writes to --port_file; SIGTERM stops it cleanly with exit 0,
// and within --shutdown_grace and its margin even while handlers are blocked.
// On sentinel://, a master name the Sentinels do not know stops it; no
// Sentinel answering does not (NOT_SERVING until one does).
// Redis credentials come from --redis_password_file (a password, or an ACL
// user and password) and never reach the log; wrong ones stop coachd at
// start. SIGHUP reloads renewed TLS files while a stream stays open.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/redis_failover.h"
#include "tests/common/redis_server.h"
#include "tests/common/test_pki.h"

extern char** environ;

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Upper bound on any one wait for the child (start-up, exit). Only a broken
// coachd ever gets near it.
constexpr absl::Duration kBound = absl::Seconds(60);
constexpr char kSecret[] = "e2e-secret";

std::string CoachdPath() {
  return std::string(COACHD_BINARY_DIR) + "/services/server/coachd";
}

std::string RealCatalogPath() {
  return std::string(COACHD_SOURCE_DIR) +
         "/services/catalog/back_catalog.textproto";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// How a child ended.
struct Exit {
  bool exited = false;  // Returned from main or called exit().
  int code = -1;        // Its exit code, when `exited`.
  int signal = 0;       // The signal that killed it, otherwise.
};

class StartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "coachd_e2e_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << dir_template;
    dir_ = dir_template;
    stderr_path_ = dir_ + "/coachd.stderr";
  }

  void TearDown() override {
    if (pid_ > 0) {  // Still running: the test failed part way.
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (pidfd_ >= 0) close(pidfd_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Writes `contents` to `name` in the test's directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << contents;
    EXPECT_TRUE(out.good()) << path;
    return path;
  }

  // Starts coachd with `flags`, its stdout and stderr going to stderr_path_.
  void Start(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {CoachdPath()};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO,
                                     stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    const int spawned = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr,
                                    argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(spawned, 0) << "cannot run " << args[0] << ": "
                          << std::strerror(spawned);
    // A descriptor that becomes readable when the child ends. (Debian 12's
    // <sys/pidfd.h> lacks extern "C", hence the raw system call.)
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    ASSERT_GE(pidfd_, 0) << "pidfd_open: " << std::strerror(errno);
  }

  // Starts coachd with the test's secret, the real catalogue, port 0 and
  // `flags`; returns its port once serving (0 if it exited first).
  int StartServing(const std::vector<std::string>& flags) {
    const std::string secret = WriteFile("secret", absl::StrCat(kSecret, "\n"));
    const std::string port_file = dir_ + "/port";
    std::vector<std::string> all = {
        "--auth_secret_file=" + secret, "--catalog=" + RealCatalogPath(),
        "--listen=127.0.0.1:0", "--port_file=" + port_file};
    all.insert(all.end(), flags.begin(), flags.end());
    Start(all);
    return WaitForPort(port_file);
  }

  // Waits up to `timeout` for the child to end; true once it has.
  bool WaitForExit(absl::Duration timeout) {
    pollfd fd = {pidfd_, POLLIN, 0};
    const int ready =
        poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    return ready == 1;
  }

  // Reaps the child, which must have ended (or ends within kBound).
  Exit Reap() {
    Exit exit;
    if (!WaitForExit(kBound)) {
      ADD_FAILURE() << "coachd did not exit within " << kBound << "\n"
                    << Stderr();
      return exit;
    }
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) {
      ADD_FAILURE() << "waitpid: " << std::strerror(errno);
      return exit;
    }
    pid_ = -1;
    if (WIFEXITED(status)) {
      exit.exited = true;
      exit.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      exit.signal = WTERMSIG(status);
    }
    return exit;
  }

  // The port coachd wrote to `port_file`, once serving; 0 if it exited
  // first or did not get there within kBound. Polls in short waits: this is
  // process start-up, which has no event to wait on.
  int WaitForPort(const std::string& port_file) {
    const absl::Time give_up = absl::Now() + kBound;
    while (absl::Now() < give_up) {
      const std::string text = ReadFile(port_file);
      int port = 0;
      if (absl::EndsWith(text, "\n") &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
        return port;
      }
      if (WaitForExit(absl::Milliseconds(20))) return 0;  // It died.
    }
    return 0;
  }

  std::string Stderr() const { return ReadFile(stderr_path_); }

  // What the health service on `channel` says (UNKNOWN, and a test
  // failure, if the call fails).
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    grpc::health::v1::HealthCheckResponse health;
    grpc::Status status = grpc::health::v1::Health::NewStub(channel)->Check(
        &context, grpc::health::v1::HealthCheckRequest(), &health);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return health.status();
  }

  std::string dir_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

TEST_F(StartupTest, MissingSecretFileStopsWithItsPath) {
  const std::string missing = dir_ + "/no-such-secret";
  Start({"--auth_secret_file=" + missing, "--listen=127.0.0.1:0"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_NE(exit.code, 0);
  EXPECT_THAT(Stderr(), HasSubstr(missing + ": cannot be read"));
}

TEST_F(StartupTest, NoSecretFlagStopsNamingTheFlag) {
  Start({"--listen=127.0.0.1:0"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_NE(exit.code, 0);
  EXPECT_THAT(Stderr(), HasSubstr("--auth_secret_file is required"));
}

TEST_F(StartupTest, EmptySecretFileStopsSayingEmpty) {
  const std::string secret = WriteFile("secret", "\n");
  Start({"--auth_secret_file=" + secret, "--listen=127.0.0.1:0"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_NE(exit.code, 0);
  EXPECT_THAT(Stderr(), HasSubstr(secret + ": is empty"));
}

TEST_F(StartupTest, BadCatalogueStopsWithFileAndLine) {
  const std::string secret = WriteFile("secret", kSecret);
  const std::string catalog = WriteFile("bad.textproto",
                                        "exercises {\n"
                                        "  id: \"warmup\"\n"
                                        "  name \"Warm-up\"\n"  // No colon.
                                        "}\n");
  Start({"--auth_secret_file=" + secret, "--catalog=" + catalog,
         "--listen=127.0.0.1:0"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_NE(exit.code, 0);
  EXPECT_THAT(Stderr(), HasSubstr(catalog + ":3:"));
}

TEST_F(StartupTest, NoWorkersStopsNamingTheFlag) {
  const std::string secret = WriteFile("secret", kSecret);
  Start(
      {"--auth_secret_file=" + secret, "--listen=127.0.0.1:0", "--workers=0"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(), HasSubstr("--workers: at least 1, got 0"));
}

TEST_F(StartupTest, WorkerNiceOutOfRangeStopsNamingTheFlag) {
  const std::string secret = WriteFile("secret", kSecret);
  Start({"--auth_secret_file=" + secret, "--listen=127.0.0.1:0",
         "--worker_nice=20"});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(), HasSubstr("--worker_nice: must be 0-19, got 20"));
}

// The niceness of each thread of process `pid` (/proc/PID/task/*/stat).
std::vector<int> ThreadNiceness(pid_t pid) {
  std::vector<int> nice;
  const std::string tasks = absl::StrCat("/proc/", pid, "/task");
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return nice;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(absl::StrCat(tasks, "/", entry->d_name, "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // After the command name, in parentheses: the state (field 3), then
    // fields 4-19; niceness is field 19.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(close + 2), ' ');
    int value = 0;
    if (fields.size() > 16 && absl::SimpleAtoi(fields[16], &value)) {
      nice.push_back(value);
    }
  }
  closedir(dir);
  return nice;
}

TEST_F(StartupTest, WorkerNiceLowersEveryWorkersPriorityOnly) {
  const int port = StartServing({"--workers=3", "--worker_nice=7"});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);  // coachd inherits it.
  ASSERT_EQ(errno, 0);
  const std::vector<int> nice = ThreadNiceness(pid_);
  const int workers = static_cast<int>(
      std::count(nice.begin(), nice.end(), std::min(19, own + 7)));
  const int others =
      static_cast<int>(std::count(nice.begin(), nice.end(), own));
  EXPECT_EQ(workers, 3) << "threads: " << nice.size();
  EXPECT_GT(others, 0) << "gRPC's threads and main keep the priority";
}

TEST_F(StartupTest, ByDefaultEveryThreadKeepsItsPriority) {
  const int port = StartServing({});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  const std::vector<int> nice = ThreadNiceness(pid_);
  EXPECT_GT(nice.size(), 4u);  // main, the workers, gRPC's
  for (int n : nice) EXPECT_EQ(n, own);
}

TEST_F(StartupTest, ServesThenStopsCleanlyOnSigterm) {
  const int port = StartServing({});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();

  // It serves: health without a token, the catalogue with one minted from
  // the same secret (less its trailing newline).
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(Health(channel), grpc::health::v1::HealthCheckResponse::SERVING);
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    context.AddMetadata(
        "authorization",
        "Bearer " + MintToken(kSecret, {"alice", Role::kUser}, absl::Now(),
                              absl::Now() + absl::Hours(1)));
    coach::v1::ListExercisesResponse list;
    grpc::Status status =
        coach::v1::CatalogService::NewStub(channel)->ListExercises(&context, {},
                                                                   &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(list.exercises_size(), 9);
  }
  // Close the connection: gRPC's shutdown waits for open channels (up to
  // --shutdown_grace), and an idle client would notice the GOAWAY only at
  // its next backup poll.
  channel.reset();

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
  EXPECT_EQ(exit.code, 0);
  const std::string log = Stderr();
  EXPECT_THAT(log, HasSubstr(absl::StrCat("port ", port)));
  EXPECT_THAT(log,
              HasSubstr("rpc CatalogService/ListExercises caller=alice OK"));
  EXPECT_THAT(log, HasSubstr("received signal 15"));
  EXPECT_THAT(log, HasSubstr("shutting down"));
}

TEST_F(StartupTest, LogsNeverHoldATokenADeviceCodeOrTheSecret) {
  const int port = StartServing({});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto auth = coach::v1::AuthService::NewStub(channel);
  const std::string user_token =
      MintToken(kSecret, {"alice", Role::kUser}, absl::Now(),
                absl::Now() + absl::Hours(1));
  auto Context = [](const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    if (!token.empty())
      context->AddMetadata("authorization", "Bearer " + token);
    return context;
  };
  // A whole pairing: every secret it hands out, and every one used.
  coach::v1::StartPairingResponse started;
  ASSERT_TRUE(auth->StartPairing(Context("").get(), {}, &started).ok());
  coach::v1::ApprovePairingRequest approve;
  approve.set_user_code(started.user_code());
  approve.set_name("kitchen speaker");
  approve.set_kind(coach::v1::PAIRED_KIND_SPEAKER);
  coach::v1::ApprovePairingResponse approved;
  ASSERT_TRUE(
      auth->ApprovePairing(Context(user_token).get(), approve, &approved).ok());
  coach::v1::PollPairingRequest poll;
  poll.set_device_code(started.device_code());
  coach::v1::PollPairingResponse polled;
  ASSERT_TRUE(auth->PollPairing(Context("").get(), poll, &polled).ok());
  ASSERT_EQ(polled.state(), coach::v1::PollPairingResponse::APPROVED);
  coach::v1::RefreshTokenRequest refresh;
  refresh.set_refresh_token(polled.credentials().refresh_token());
  coach::v1::Credentials renewed;
  ASSERT_TRUE(auth->RefreshToken(Context("").get(), refresh, &renewed).ok());
  // Failures log too: a replayed refresh token (which revokes the device),
  // a wrong one, a forged access token, an expired one.
  coach::v1::Credentials ignored;
  EXPECT_FALSE(auth->RefreshToken(Context("").get(), refresh, &ignored).ok());
  coach::v1::RefreshTokenRequest wrong;
  wrong.set_refresh_token(renewed.refresh_token() + "x");
  EXPECT_FALSE(auth->RefreshToken(Context("").get(), wrong, &ignored).ok());
  const std::string forged =
      MintToken("not-the-secret", {"alice", Role::kUser}, absl::Now(),
                absl::Now() + absl::Hours(1));
  const std::string expired =
      MintToken(kSecret, {"alice", Role::kUser}, absl::Now() - absl::Hours(2),
                absl::Now() - absl::Hours(1));
  coach::v1::ListDevicesResponse devices;
  for (const std::string& token :
       {user_token, renewed.access_token(), forged, expired}) {
    auth->ListDevices(Context(token).get(), {}, &devices).IgnoreError();
  }
  channel.reset();
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  Reap();

  const std::string log = Stderr();
  EXPECT_THAT(log, HasSubstr("AuthService/RefreshToken"));  // It did log.
  struct Secret {
    const char* what;
    std::string value;
  } secrets[] = {
      {"the auth secret", kSecret},
      {"a user token", user_token},
      {"a device code", started.device_code()},
      {"a device access token", polled.credentials().access_token()},
      {"a refresh token", polled.credentials().refresh_token()},
      {"a renewed access token", renewed.access_token()},
      {"a renewed refresh token", renewed.refresh_token()},
      {"a forged token", forged},
      {"an expired token", expired},
  };
  for (const Secret& s : secrets) {
    SCOPED_TRACE(s.what);
    ASSERT_GE(s.value.size(), 10u);
    // Any 24 characters of it (a token's signature, a code's random part).
    const std::string tail =
        s.value.substr(s.value.size() > 24 ? s.value.size() - 24 : 0);
    EXPECT_THAT(log, Not(HasSubstr(s.value)));
    EXPECT_THAT(log, Not(HasSubstr(tail)));
  }
}

// A loopback "Redis" that takes connections (the kernel's backlog) and never
// answers: every command waits for the client's timeout.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 512);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(StartupTest, SigtermExitsSoonAfterTheGraceWhileHandlersAreBlocked) {
  SilentListener redis;
  ASSERT_GT(redis.port(), 0);
  const int port =
      StartServing({absl::StrCat("--redis=redis://127.0.0.1:", redis.port()),
                    "--workers=2", "--shutdown_grace=200ms"});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();

  // 40 calls, each blocked about a second on the silent store, 2 workers:
  // about 20 s of handlers queued.
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = coach::v1::SessionService::NewStub(channel);
  constexpr int kCalls = 40;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<coach::v1::SessionView> views(kCalls);
  coach::v1::StartSessionRequest request;
  request.set_routine_id("demo");
  std::atomic<int> done{0};
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    contexts.back()->AddMetadata(
        "authorization",
        "Bearer " + MintToken(kSecret, {absl::StrCat("p", i), Role::kUser},
                              absl::Now(), absl::Now() + absl::Hours(1)));
    stub->async()->StartSession(contexts.back().get(), &request, &views[i],
                                [&done](grpc::Status) { ++done; });
  }
  absl::SleepFor(absl::Milliseconds(500));  // Let them reach the workers.
  const absl::Time signalled = absl::Now();
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  const Exit exit = Reap();
  const absl::Duration took = absl::Now() - signalled;
  // 200 ms of grace and the 2 s margin; never the 20 s of queued handlers.
  EXPECT_LT(took, absl::Seconds(6)) << Stderr();
  EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
  EXPECT_EQ(exit.code, 1);
  EXPECT_THAT(Stderr(), HasSubstr("exiting without them"));
  for (auto& context : contexts) context->TryCancel();
  for (int i = 0; i < 600 && done.load() < kCalls; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST_F(StartupTest, AMasterNameTheSentinelsDoNotKnowStopsNamingIt) {
  absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
      RedisFailoverGroup::Start(RedisFailoverOptions::OneSentinel());
  ASSERT_TRUE(group.ok()) << group.status();
  const std::string secret = WriteFile("secret", kSecret);
  Start({"--auth_secret_file=" + secret, "--listen=127.0.0.1:0",
         absl::StrCat("--redis=sentinel://127.0.0.1:",
                      (*group)->sentinel(0).port(), "/nosuch")});
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(), HasSubstr("--redis: the Sentinels know no master "
                                  "named \"nosuch\""));
}

TEST_F(StartupTest, NoSentinelReachableServesNotServingNamingThem) {
  int dead = 0;
  {
    SilentListener closed_soon;  // Its port refuses once it is closed.
    dead = closed_soon.port();
  }
  ASSERT_GT(dead, 0);
  const int port = StartServing(
      {absl::StrCat("--redis=sentinel://127.0.0.1:", dead, "/coachd")});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
  const std::string why =
      absl::StrCat("no primary found for \"coachd\" (sentinel 127.0.0.1:", dead,
                   ": Connection refused)");
  const absl::Time give_up = absl::Now() + kBound;
  while (!absl::StrContains(Stderr(), "NOT_SERVING") && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));  // A log file: no event.
  }
  EXPECT_THAT(Stderr(), HasSubstr("NOT_SERVING"));
  EXPECT_THAT(Stderr(), HasSubstr(why));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(Health(channel),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  const Exit exit = Reap();
  EXPECT_TRUE(exit.exited) << "killed by signal " << exit.signal;
}

// A StartSession on coachd at `port` (plaintext) as `who`; its status.
grpc::Status StartSessionOn(int port, const std::string& who) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kBound));
  context.AddMetadata(
      "authorization",
      "Bearer " + MintToken(kSecret, {who, Role::kUser}, absl::Now(),
                            absl::Now() + absl::Hours(1)));
  coach::v1::StartSessionRequest request;
  request.set_routine_id("demo");
  coach::v1::SessionView view;
  return coach::v1::SessionService::NewStub(channel)->StartSession(
      &context, request, &view);
}

constexpr char kRedisPassword[] = "pw-Kq7xRz41mN";
constexpr char kAclPassword[] = "acl-pw-93TzWv";

TEST_F(StartupTest, RedisCredentialsComeFromAFileAndNeverReachTheLog) {
  RedisServerOptions options;
  options.password = kRedisPassword;
  absl::StatusOr<std::unique_ptr<RedisServer>> redis =
      RedisServer::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  {  // An ACL user for coachd, beside the default user's password.
    redisContext* admin = redisConnect("127.0.0.1", (*redis)->port());
    ASSERT_TRUE(admin != nullptr && admin->err == 0);
    freeReplyObject(redisCommand(admin, "AUTH %s", kRedisPassword));
    auto* reply = static_cast<redisReply*>(redisCommand(
        admin, "ACL SETUSER coachd-app on >%s ~* &* +@all", kAclPassword));
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(reply->type, REDIS_REPLY_STATUS) << reply->str;
    freeReplyObject(reply);
    redisFree(admin);
  }
  for (const std::string& credentials :
       {std::string(kRedisPassword),
        absl::StrCat("coachd-app ", kAclPassword)}) {
    SCOPED_TRACE(credentials);
    const std::string file =
        WriteFile("redis-password", absl::StrCat(credentials, "\n"));
    std::filesystem::remove(dir_ + "/port");  // The last run's port.
    const int port = StartServing(
        {"--redis=" + (*redis)->url(), "--redis_password_file=" + file});
    ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
    const grpc::Status started = StartSessionOn(port, "alice");
    EXPECT_TRUE(started.ok()) << started.error_message();  // Kept in Redis.
    ASSERT_EQ(kill(pid_, SIGTERM), 0);
    const Exit exit = Reap();
    EXPECT_EQ(exit.code, 0) << Stderr();
    const std::string log = Stderr();
    EXPECT_THAT(log, HasSubstr("sessions in redis at"));
    EXPECT_THAT(log, Not(HasSubstr(kRedisPassword)));
    EXPECT_THAT(log, Not(HasSubstr(kAclPassword)));
  }
}

TEST_F(StartupTest, WrongOrMissingRedisCredentialsStopCoachdAtStart) {
  RedisServerOptions options;
  options.password = kRedisPassword;
  absl::StatusOr<std::unique_ptr<RedisServer>> redis =
      RedisServer::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string wrong = WriteFile("wrong-password", "not-the-pw-4Xk\n");
  EXPECT_EQ(StartServing({"--redis=" + (*redis)->url(),
                          "--redis_password_file=" + wrong}),
            0);
  Exit exit = Reap();
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(), HasSubstr("WRONGPASS"));
  EXPECT_THAT(Stderr(), HasSubstr("check --redis_password_file " + wrong));
  EXPECT_THAT(Stderr(), Not(HasSubstr("not-the-pw-4Xk")));

  EXPECT_EQ(StartServing({"--redis=" + (*redis)->url()}), 0);
  exit = Reap();
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(), HasSubstr("NOAUTH"));
  EXPECT_THAT(Stderr(),
              HasSubstr("this Redis wants a password: --redis_password_file"));

  const std::string empty = WriteFile("empty-password", "\n");
  EXPECT_EQ(StartServing({"--redis=" + (*redis)->url(),
                          "--redis_password_file=" + empty}),
            0);
  exit = Reap();
  EXPECT_EQ(exit.code, 2);
  EXPECT_THAT(Stderr(),
              HasSubstr("--redis_password_file: " + empty + ": is empty"));
}

TEST_F(StartupTest, SighupReloadsTheTlsFilesWhileAStreamStaysOpen) {
  TestPki pki(dir_);
  ASSERT_TRUE(pki.MakeCa("ca") && pki.MakeLeaf("server", "ca"))
      << "openssl could not make the test CA";
  const int port = StartServing({"--tls_cert_file=" + pki.Path("server.pem"),
                                 "--tls_key_file=" + pki.Path("server.key")});
  ASSERT_GT(port, 0) << "coachd did not start:\n" << Stderr();
  auto channel_for = [&](const std::string& ca) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(pki.Path(ca));
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::SslCredentials(tls));
  };
  auto token = [] {
    return "Bearer " + MintToken(kSecret, {"alice", Role::kUser}, absl::Now(),
                                 absl::Now() + absl::Hours(1));
  };
  auto list = [&](const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    context.AddMetadata("authorization", token());
    coach::v1::ListExercisesResponse response;
    return coach::v1::CatalogService::NewStub(channel)->ListExercises(
        &context, {}, &response);
  };
  // A stream open over the first certificate.
  auto old_channel = channel_for("ca.pem");
  auto sessions = coach::v1::SessionService::NewStub(old_channel);
  coach::v1::SessionView view;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    context.AddMetadata("authorization", token());
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    ASSERT_TRUE(sessions->StartSession(&context, request, &view).ok());
  }
  grpc::ClientContext stream_context;
  stream_context.AddMetadata("authorization", token());
  coach::v1::SubscribeRequest subscribe;
  subscribe.set_session_id(view.session_id());
  subscribe.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  auto reader = sessions->Subscribe(&stream_context, subscribe);
  coach::v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));

  // Renewed from another CA, renamed into place, then SIGHUP.
  ASSERT_TRUE(pki.MakeCa("ca2") && pki.MakeLeaf("renewed", "ca2"));
  std::filesystem::rename(pki.Path("renewed.key"), pki.Path("server.key"));
  std::filesystem::rename(pki.Path("renewed.pem"), pki.Path("server.pem"));
  EXPECT_EQ(list(channel_for("ca2.pem")).error_code(),
            grpc::StatusCode::UNAVAILABLE);  // Not before the signal.
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  // gRPC reads coachd's copies every second: a bounded wait for that.
  bool renewed = false;
  for (int i = 0; i < 40 && !renewed; ++i) {
    renewed = list(channel_for("ca2.pem")).ok();
    if (!renewed) absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(renewed) << Stderr();
  EXPECT_THAT(Stderr(), HasSubstr("SIGHUP: TLS files read again"));

  // The stream opened before carries on: a pause reaches it.
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + kBound));
    context.AddMetadata("authorization", token());
    coach::v1::SendCommandRequest pause;
    pause.set_session_id(view.session_id());
    pause.set_command_id("p1");
    pause.set_command(coach::v1::COMMAND_TYPE_PAUSE);
    coach::v1::SendCommandResponse paused;
    ASSERT_TRUE(sessions->SendCommand(&context, pause, &paused).ok());
    bool saw = false;
    while (!saw && reader->Read(&event)) {
      saw = event.sequence() == paused.last_sequence();
    }
    EXPECT_TRUE(saw);
  }
  stream_context.TryCancel();
  reader->Finish().IgnoreError();
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  EXPECT_TRUE(Reap().exited);
}

}  // namespace
}  // namespace coachd
