#include "tests/common/redis_server.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/common/child_process.h"

namespace coachd {
namespace {

constexpr int kPortAttempts = 5;

std::string ReadTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    RedisServerOptions options) {
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/coachd-redis-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  server->dir_ = pattern;
  absl::Status launched;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    server->port_ = PickFreeLoopbackPort();
    if (server->port_ == 0) {
      return absl::UnavailableError("no free loopback port for redis-server");
    }
    launched = server->Launch();
    if (launched.ok()) return server;
    // Most likely someone took the port in between: try another.
  }
  return launched;
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RedisServer::url() const {
  return absl::StrCat("redis://127.0.0.1:", port_);
}

std::string RedisServer::unix_url() const {
  return absl::StrCat("unix://", dir_, "/redis.sock");
}

std::string RedisServer::LogTail() const {
  return absl::StrCat(ReadTail(dir_ + "/redis.out", 1000),
                      ReadTail(dir_ + "/redis.log", 2000));
}

absl::Status RedisServer::Launch() {
  std::string binary = options_.binary;
  if (binary.empty()) {
    const char* env = std::getenv("COACHD_REDIS_SERVER");
    binary = env != nullptr && *env != '\0' ? env : "redis-server";
  }
  std::vector<std::string> args = {binary};
  if (!options_.config_file.empty()) args.push_back(options_.config_file);
  for (const std::string& a :
       {std::string("--port"), absl::StrCat(port_), std::string("--bind"),
        std::string("127.0.0.1"), std::string("--dir"), dir_,
        std::string("--daemonize"), std::string("no"), std::string("--logfile"),
        dir_ + "/redis.log", std::string("--save"), std::string("")}) {
    args.push_back(a);
  }
  if (options_.config_file.empty()) {
    args.push_back("--appendonly");
    args.push_back(options_.appendonly ? "yes" : "no");
  }
  if (options_.unix_socket) {
    args.push_back("--unixsocket");
    args.push_back(dir_ + "/redis.sock");
    args.push_back("--unixsocketperm");
    args.push_back("700");
  }
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  for (const std::string& a : options_.extra_args) args.push_back(a);
  absl::StatusOr<pid_t> pid =
      SpawnTiedToTest(std::move(args), dir_ + "/redis.out");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  return WaitForPing();
}

absl::Status RedisServer::WaitForPing() {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  std::string last = "no answer yet";
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(absl::StrCat("redis-server on port ", port_,
                                                 " exited (status ", wstatus,
                                                 "):\n", LogTail()));
    }
    redisContext* c = redisConnectWithTimeout(
        "127.0.0.1", port_, absl::ToTimeval(absl::Milliseconds(200)));
    if (c != nullptr && c->err == 0) {
      redisSetTimeout(c, absl::ToTimeval(absl::Seconds(1)));
      if (!options_.password.empty()) {
        freeReplyObject(redisCommand(c, "AUTH %b", options_.password.data(),
                                     options_.password.size()));
      }
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      if (reply != nullptr) {
        const bool pong = reply->type == REDIS_REPLY_STATUS &&
                          absl::string_view(reply->str, reply->len) == "PONG";
        last = std::string(reply->str == nullptr ? "" : reply->str, reply->len);
        freeReplyObject(reply);
        if (pong) {
          redisFree(c);
          return absl::OkStatus();
        }
      }
    } else if (c != nullptr) {
      last = c->errstr;
    }
    if (c != nullptr) redisFree(c);
    absl::SleepFor(absl::Milliseconds(10));  // Polling a starting process.
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::UnavailableError(absl::StrCat(
      "redis-server on port ", port_, " did not answer PING within ",
      absl::FormatDuration(options_.start_timeout), " (", last, "):\n",
      LogTail()));
}

absl::Status RedisServer::Signal(int signal) {
  if (pid_ <= 0) return absl::FailedPreconditionError("redis is not running");
  ::kill(pid_, signal);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return absl::DeadlineExceededError("redis-server ignored the signal");
    }
    absl::SleepFor(absl::Milliseconds(5));  // Waiting for a process to exit.
  }
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status RedisServer::Stop() { return Signal(SIGTERM); }

absl::Status RedisServer::Kill() { return Signal(SIGKILL); }

absl::Status RedisServer::Restart() {
  if (pid_ > 0) return absl::FailedPreconditionError("redis is running");
  return Launch();
}

}  // namespace coachd
