#include "clients/loadgen/redis_stats.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace coachd {
namespace {

// Closes a socket when it goes out of scope.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events` or `deadline` passes.
bool WaitFor(int fd, short events, absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  if (ms <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(ms)) == 1;
}

}  // namespace

absl::StatusOr<RedisCommandCounts> ParseCommandStats(absl::string_view text) {
  RedisCommandCounts counts;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InternalError(
          absl::StrCat("commandstats: no ':' in \"", line, "\""));
    }
    const std::string name(line.substr(0, colon));
    bool found = false;
    for (absl::string_view field :
         absl::StrSplit(line.substr(colon + 1), ',')) {
      if (absl::ConsumePrefix(&field, "calls=")) {
        int64_t calls = 0;
        if (!absl::SimpleAtoi(field, &calls)) {
          return absl::InternalError(absl::StrCat("commandstats: calls of ",
                                                  name, " is not a number"));
        }
        counts.calls[name] = calls;
        if (name != "info") counts.total += calls;
        found = true;
      }
    }
    if (!found) {
      return absl::InternalError(
          absl::StrCat("commandstats: no calls= for ", name));
    }
  }
  return counts;
}

RedisCommandCounts Difference(const RedisCommandCounts& after,
                              const RedisCommandCounts& before) {
  RedisCommandCounts diff;
  for (const auto& [name, calls] : after.calls) {
    auto it = before.calls.find(name);
    const int64_t delta = calls - (it == before.calls.end() ? 0 : it->second);
    if (delta != 0) diff.calls[name] = delta;
  }
  diff.total = after.total - before.total;
  return diff;
}

absl::StatusOr<RedisCommandCounts> ReadRedisCommandCounts(
    int port, absl::Duration timeout, absl::string_view user,
    absl::string_view password) {
  const absl::Time deadline = absl::Now() + timeout;
  Socket sock(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.fd() < 0) {
    return absl::UnavailableError(
        absl::StrCat("redis: socket: ", std::strerror(errno)));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 &&
      errno != EINPROGRESS) {
    return absl::UnavailableError(absl::StrCat(
        "redis: connect to 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  std::string request;
  bool auth_pending = !password.empty();
  if (auth_pending) {  // AUTH [user] password, then INFO, in one write.
    const std::vector<absl::string_view> args =
        user.empty() ? std::vector<absl::string_view>{"AUTH", password}
                     : std::vector<absl::string_view>{"AUTH", user, password};
    absl::StrAppend(&request, "*", args.size(), "\r\n");
    for (absl::string_view a : args) {
      absl::StrAppend(&request, "$", a.size(), "\r\n", a, "\r\n");
    }
  }
  request += "*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFor(sock.fd(), POLLOUT, deadline)) {
      return absl::UnavailableError(
          absl::StrCat("redis: 127.0.0.1:", port, " did not accept INFO"));
    }
    const ssize_t n = send(sock.fd(), request.data() + sent,
                           request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
      return absl::UnavailableError(
          absl::StrCat("redis: send: ", std::strerror(errno)));
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  // The reply is one bulk string: "$<len>\r\n<len bytes>\r\n".
  std::string reply;
  size_t body_start = 0;
  int64_t body_len = -1;
  char buf[4096];
  while (body_len < 0 ||
         reply.size() < body_start + static_cast<size_t>(body_len)) {
    if (!WaitFor(sock.fd(), POLLIN, deadline)) {
      return absl::UnavailableError(
          absl::StrCat("redis: no full INFO reply from 127.0.0.1:", port));
    }
    const ssize_t n = recv(sock.fd(), buf, sizeof(buf), 0);
    if (n == 0) return absl::UnavailableError("redis: connection closed");
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return absl::UnavailableError(
          absl::StrCat("redis: recv: ", std::strerror(errno)));
    }
    reply.append(buf, static_cast<size_t>(n));
    if (auth_pending) {  // "+OK", or the reason AUTH was refused.
      const size_t crlf = reply.find("\r\n");
      if (crlf == std::string::npos) continue;
      if (reply[0] != '+') {
        return absl::PermissionDeniedError(
            absl::StrCat("redis: AUTH: ", reply.substr(1, crlf - 1)));
      }
      reply.erase(0, crlf + 2);
      auth_pending = false;
    }
    if (body_len < 0) {
      const size_t crlf = reply.find("\r\n");
      if (crlf == std::string::npos) continue;
      if (reply[0] == '-') {
        return absl::UnavailableError(
            absl::StrCat("redis: ", reply.substr(1, crlf - 1)));
      }
      if (reply[0] != '$' ||
          !absl::SimpleAtoi(absl::string_view(reply).substr(1, crlf - 1),
                            &body_len) ||
          body_len < 0) {
        return absl::InternalError("redis: INFO reply is not a bulk string");
      }
      body_start = crlf + 2;
    }
  }
  return ParseCommandStats(absl::string_view(reply).substr(
      body_start, static_cast<size_t>(body_len)));
}

}  // namespace coachd
