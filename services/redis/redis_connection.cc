#include "services/redis/redis_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/redis/redis_sentinel.h"

namespace coachd {
namespace {

// hiredis reports a read timeout as EAGAIN's text; say what it means.
std::string Explain(absl::string_view errstr, absl::Duration timeout) {
  if (errstr == "Resource temporarily unavailable") {
    return absl::StrCat("no reply within ", absl::FormatDuration(timeout));
  }
  if (errstr.empty()) return "connection lost";
  return std::string(errstr);
}

}  // namespace

void RedisReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

RedisConnection::RedisConnection(RedisConnectionOptions options)
    : options_(std::move(options)),
      address_text_(options_.address.ToString()) {}

RedisConnection::~RedisConnection() { Drop(); }

bool RedisConnection::interrupted() const {
  absl::MutexLock lock(&mu_);
  return interrupted_;
}

void RedisConnection::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
  // Wakes a blocked read; the fd stays valid until Drop() clears fd_.
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void RedisConnection::Drop() {
  if (context_ == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    fd_ = -1;
  }
  redisFree(context_);
  context_ = nullptr;
}

absl::Status RedisConnection::Unreachable(absl::string_view reason,
                                          bool failed_connect) {
  if (options_.counters != nullptr) ++options_.counters->errors;
  last_error_ = std::string(reason);
  if (failed_connect) {
    backoff_ = backoff_ == absl::ZeroDuration()
                   ? options_.min_backoff
                   : std::min(backoff_ * 2, options_.max_backoff);
    next_attempt_ = absl::Now() + backoff_;
  } else {
    // A working context broke: try a new one at once, back off after that.
    next_attempt_ = absl::InfinitePast();
  }
  return absl::UnavailableError(
      absl::StrCat("redis at ", address_text_, " unreachable: ", reason));
}

absl::Status RedisConnection::Connect() {
  if (context_ != nullptr) {
    // An idle connection has nothing to read; if it has, the server closed
    // it (restart, timeout): replace it before sending anything.
    pollfd p{context_->fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) return absl::OkStatus();
    Drop();
  }
  if (interrupted()) return absl::CancelledError("redis connection stopped");
  if (absl::Now() < next_attempt_) {
    return absl::UnavailableError(absl::StrCat("redis at ", address_text_,
                                               " unreachable: ", last_error_));
  }
  const RedisAddress& a = options_.address;
  absl::StatusOr<redisContext*> opened =
      OpenRedisContext(a, options_.connect_timeout, options_.command_timeout);
  if (!opened.ok()) {
    absl::Status unreachable =
        Unreachable(opened.status().message(), /*failed_connect=*/true);
    if (absl::IsPermissionDenied(opened.status())) {  // Wrong credentials.
      return absl::PermissionDeniedError(absl::StrCat(
          "redis at ", address_text_, ": ", opened.status().message()));
    }
    return unreachable;
  }
  redisContext* c = *opened;
  if (options_.counters != nullptr) ++options_.counters->connects;
  if (a.db != 0) {
    const std::string db = absl::StrCat(a.db);
    redisReply* r = static_cast<redisReply*>(
        redisCommand(c, "SELECT %b", db.data(), db.size()));
    RedisReply reply(r);
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      const std::string reason =
          reply == nullptr ? Explain(c->errstr, options_.command_timeout)
                           : absl::StrCat("SELECT ", db, ": ", reply->str);
      redisFree(c);
      return Unreachable(reason, /*failed_connect=*/true);
    }
  }
  {
    absl::MutexLock lock(&mu_);
    if (interrupted_) {
      redisFree(c);
      return absl::CancelledError("redis connection stopped");
    }
    fd_ = c->fd;
  }
  context_ = c;
  backoff_ = absl::ZeroDuration();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<RedisCommand>& commands) {
  absl::Status connected = Connect();
  if (!connected.ok()) return connected;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const RedisCommand& command : commands) {
    argv.clear();
    lens.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lens.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                               argv.data(), lens.data()) != REDIS_OK) {
      const std::string reason = Explain(context_->errstr, {});
      Drop();
      return Unreachable(reason, /*failed_connect=*/false);
    }
  }
  if (options_.counters != nullptr) {
    options_.counters->commands += static_cast<int64_t>(commands.size());
    ++options_.counters->round_trips;
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const std::string reason =
          Explain(context_->errstr, options_.command_timeout);
      Drop();
      if (interrupted())
        return absl::CancelledError("redis connection stopped");
      return Unreachable(reason, /*failed_connect=*/false);
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  // A primary that became a replica (a failover) refuses writes: this
  // context goes, and the next call connects to whatever is primary now.
  for (const RedisReply& reply : replies) {
    if (reply->type == REDIS_REPLY_ERROR &&
        absl::StartsWith(absl::string_view(reply->str, reply->len),
                         "READONLY")) {
      Drop();
      if (options_.counters != nullptr) ++options_.counters->errors;
      next_attempt_ = absl::InfinitePast();
      break;
    }
  }
  return replies;
}

absl::StatusOr<RedisReply> RedisConnection::ReadPushed(absl::Duration wait) {
  if (context_ == nullptr) {
    if (interrupted()) return absl::CancelledError("redis connection stopped");
    return absl::UnavailableError(
        absl::StrCat("redis at ", address_text_, ": not connected"));
  }
  void* raw = nullptr;
  // A reply may already be buffered (read along with an earlier one).
  if (redisGetReplyFromReader(context_, &raw) == REDIS_OK && raw == nullptr) {
    // Nothing buffered: wait for the socket (never into hiredis's own read
    // timeout, which would break the context).
    const int64_t ms =
        wait == absl::InfiniteDuration()
            ? -1
            : std::clamp<int64_t>(absl::ToInt64Milliseconds(
                                      absl::Ceil(wait, absl::Milliseconds(1))),
                                  0, std::numeric_limits<int>::max());
    pollfd p{context_->fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(ms));
    if (interrupted()) {
      Drop();
      return absl::CancelledError("redis connection stopped");
    }
    if (ready <= 0) {  // Timed out (or a signal): nothing yet.
      return absl::DeadlineExceededError(
          absl::StrCat("redis at ", address_text_, ": nothing pushed within ",
                       absl::FormatDuration(wait)));
    }
    if (redisGetReply(context_, &raw) != REDIS_OK) raw = nullptr;
  }
  if (raw == nullptr) {
    const std::string reason =
        Explain(context_->errstr, options_.command_timeout);
    Drop();
    if (interrupted()) return absl::CancelledError("redis connection stopped");
    return Unreachable(reason, /*failed_connect=*/false);
  }
  return RedisReply(static_cast<redisReply*>(raw));
}

absl::StatusOr<redisContext*> OpenRedisContext(const RedisAddress& address,
                                               absl::Duration connect_timeout,
                                               absl::Duration command_timeout) {
  if (address.via_sentinel()) {
    absl::StatusOr<PrimaryContext> primary =
        ConnectToPrimary(address, connect_timeout, command_timeout);
    if (!primary.ok()) return primary.status();
    return primary->context;
  }
  const timeval connect_tv = absl::ToTimeval(connect_timeout);
  redisContext* c =
      address.unix_path.empty()
          ? redisConnectWithTimeout(address.host.c_str(), address.port,
                                    connect_tv)
          : redisConnectUnixWithTimeout(address.unix_path.c_str(), connect_tv);
  if (c == nullptr || c->err != 0) {
    const std::string reason = c == nullptr ? "out of memory" : c->errstr;
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError(reason);
  }
  redisSetTimeout(c, absl::ToTimeval(command_timeout));
  if (address.unix_path.empty()) redisEnableKeepAlive(c);
  if (!address.password.empty()) {
    // Binary-safe arguments: the password is never formatted into text.
    const char* argv[3];
    size_t lens[3];
    int argc = 0;
    argv[argc] = "AUTH";
    lens[argc++] = 4;
    if (!address.user.empty()) {
      argv[argc] = address.user.data();
      lens[argc++] = address.user.size();
    }
    argv[argc] = address.password.data();
    lens[argc++] = address.password.size();
    RedisReply reply(
        static_cast<redisReply*>(redisCommandArgv(c, argc, argv, lens)));
    if (reply == nullptr) {
      const std::string reason = absl::StrCat("AUTH: ", c->errstr);
      redisFree(c);
      return absl::UnavailableError(reason);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      const std::string reason = absl::StrCat(
          "AUTH", address.user.empty() ? "" : " as user ", address.user, ": ",
          absl::string_view(reply->str, reply->len));
      redisFree(c);
      return absl::PermissionDeniedError(reason);
    }
  }
  return c;
}

absl::StatusOr<RedisReply> RedisConnection::Command(
    const RedisCommand& command) {
  absl::StatusOr<std::vector<RedisReply>> replies = Pipeline({command});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

RedisPool::RedisPool(const RedisConnectionOptions& options, int size) {
  for (int i = 0; i < std::max(1, size); ++i) {
    free_.push_back(std::make_unique<RedisConnection>(options));
  }
}

RedisPool::Lease RedisPool::Acquire() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<RedisConnection>>* f) {
        return !f->empty();
      },
      &free_));
  std::unique_ptr<RedisConnection> c = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(c));
}

void RedisPool::Return(std::unique_ptr<RedisConnection> connection) {
  absl::MutexLock lock(&mu_);
  free_.push_back(std::move(connection));
}

RedisPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Return(std::move(connection_));
}

}  // namespace coachd
