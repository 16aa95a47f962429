#include "tests/common/redis_failover.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace coachd {
namespace {

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// One command to the server on 127.0.0.1:`port`; null if it cannot be asked.
Reply Query(int port, const std::vector<std::string>& command) {
  redisContext* c = redisConnectWithTimeout(
      "127.0.0.1", port, absl::ToTimeval(absl::Milliseconds(200)));
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, absl::ToTimeval(absl::Seconds(1)));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : command) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply reply(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  redisFree(c);
  return reply;
}

std::string Text(const redisReply& r) {
  return r.str == nullptr ? "" : std::string(r.str, r.len);
}

// Entries of an array reply (e.g. SENTINEL replicas); -1 if not an array.
int Count(const Reply& r) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY
             ? static_cast<int>(r->elements)
             : -1;
}

// Waits (polling: these are other processes' states) until `done`.
template <typename F>
bool PollUntil(absl::Duration limit, F done) {
  const absl::Time deadline = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> RedisFailoverGroup::Start(
    RedisFailoverOptions options) {
  std::unique_ptr<RedisFailoverGroup> group(
      new RedisFailoverGroup(std::move(options)));
  const RedisFailoverOptions& o = group->options_;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/coachd-sentinel-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  group->dir_ = pattern;

  RedisServerOptions primary_options;  // The replica syncs at once.
  primary_options.extra_args = {"--repl-diskless-sync-delay", "0"};
  absl::StatusOr<std::unique_ptr<RedisServer>> primary =
      RedisServer::Start(primary_options);
  if (!primary.ok()) return primary.status();
  const int primary_port = (*primary)->port();
  group->servers_.push_back(*std::move(primary));
  RedisServerOptions replica_options;
  replica_options.extra_args = {"--replicaof", "127.0.0.1",
                                absl::StrCat(primary_port)};
  absl::StatusOr<std::unique_ptr<RedisServer>> replica =
      RedisServer::Start(replica_options);
  if (!replica.ok()) return replica.status();
  const int replica_port = (*replica)->port();
  group->servers_.push_back(*std::move(replica));
  if (!PollUntil(o.ready_timeout, [&] {
        Reply info = Query(replica_port, {"INFO", "replication"});
        return info != nullptr &&
               absl::StrContains(Text(*info), "master_link_status:up");
      })) {
    return absl::UnavailableError(
        absl::StrCat("the replica on port ", replica_port,
                     " did not sync with port ", primary_port));
  }

  for (int i = 0; i < o.sentinels; ++i) {
    const std::string conf = absl::StrCat(group->dir_, "/sentinel", i, ".conf");
    std::ofstream out(conf);
    const std::string& m = o.master_name;
    out << "sentinel resolve-hostnames no\n"
        << "sentinel monitor " << m << " 127.0.0.1 " << primary_port << " "
        << o.quorum << "\n"
        << "sentinel down-after-milliseconds " << m << " "
        << absl::ToInt64Milliseconds(o.down_after) << "\n"
        << "sentinel failover-timeout " << m << " "
        << absl::ToInt64Milliseconds(o.failover_timeout) << "\n"
        << "sentinel parallel-syncs " << m << " 1\n";
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", conf));
    RedisServerOptions sentinel_options;
    sentinel_options.binary = "redis-sentinel";
    sentinel_options.config_file = conf;
    absl::StatusOr<std::unique_ptr<RedisServer>> sentinel =
        RedisServer::Start(sentinel_options);
    if (!sentinel.ok()) return sentinel.status();
    group->sentinels_.push_back(*std::move(sentinel));
  }
  absl::Status ready = group->WaitUntilReady();
  if (!ready.ok()) return ready;
  return group;
}

absl::Status RedisFailoverGroup::WaitUntilReady() {
  const std::string& m = options_.master_name;
  const int others = static_cast<int>(sentinels_.size()) - 1;
  for (const std::unique_ptr<RedisServer>& s : sentinels_) {
    const int port = s->port();
    if (!PollUntil(options_.ready_timeout, [&] {
          return Count(Query(port, {"SENTINEL", "replicas", m})) >= 1 &&
                 Count(Query(port, {"SENTINEL", "sentinels", m})) >= others;
        })) {
      return absl::UnavailableError(absl::StrCat(
          "sentinel on port ", port, " did not find the replica and ", others,
          " other sentinels of ", m, " within ",
          absl::FormatDuration(options_.ready_timeout)));
    }
  }
  return absl::OkStatus();
}

RedisFailoverGroup::~RedisFailoverGroup() {
  sentinels_.clear();  // First, so that they start no failover meanwhile.
  servers_.clear();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RedisFailoverGroup::url() const {
  std::vector<std::string> endpoints;
  for (const std::unique_ptr<RedisServer>& s : sentinels_) {
    endpoints.push_back(absl::StrCat("127.0.0.1:", s->port()));
  }
  return absl::StrCat("sentinel://", absl::StrJoin(endpoints, ","), "/",
                      options_.master_name);
}

int RedisFailoverGroup::primary_port() const {
  for (const std::unique_ptr<RedisServer>& s : sentinels_) {
    if (!s->running()) continue;
    Reply r = Query(s->port(), {"SENTINEL", "get-master-addr-by-name",
                                options_.master_name});
    int port = 0;
    if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        absl::SimpleAtoi(Text(*r->element[1]), &port)) {
      return port;
    }
  }
  return 0;
}

std::string RedisFailoverGroup::primary_url() const {
  const int port = primary_port();
  return port == 0 ? "" : absl::StrCat("redis://127.0.0.1:", port);
}

absl::Status RedisFailoverGroup::KillPrimary() {
  const int port = primary_port();
  for (const std::unique_ptr<RedisServer>& s : servers_) {
    if (s->running() && s->port() == port) {
      killed_port_ = port;
      return s->Kill();
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no running server is the primary (port ", port, ")"));
}

absl::StatusOr<int> RedisFailoverGroup::WaitForFailover(absl::Duration limit) {
  int port = 0;
  const bool done = PollUntil(limit, [&] {
    port = primary_port();
    if (port == 0 || port == killed_port_) return false;
    Reply role = Query(port, {"ROLE"});
    return role != nullptr && role->type == REDIS_REPLY_ARRAY &&
           role->elements > 0 && Text(*role->element[0]) == "master";
  });
  if (!done) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the Sentinels did not promote a new primary within ",
        absl::FormatDuration(limit), " (they name port ", port, ")"));
  }
  return port;
}

}  // namespace coachd
