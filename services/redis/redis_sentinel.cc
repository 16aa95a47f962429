#include "services/redis/redis_sentinel.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "services/common/log.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_reply.h"

namespace coachd {
namespace {

// What an exchange of one command on `c` brought: the reply, or why none.
absl::StatusOr<RedisReply> Ask(redisContext* c,
                               const std::vector<std::string>& command) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& arg : command) {
    argv.push_back(arg.data());
    lens.push_back(arg.size());
  }
  RedisReply reply(static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (reply == nullptr) {
    return absl::UnavailableError(c->errstr[0] != '\0' ? c->errstr
                                                       : "connection lost");
  }
  return reply;
}

// OpenRedisContext to the server at `at`, authenticated with `user` and
// `password` when `password` is not empty.
absl::StatusOr<redisContext*> OpenAt(const HostPort& at,
                                     absl::Duration connect_timeout,
                                     absl::Duration command_timeout,
                                     const std::string& user = "",
                                     const std::string& password = "") {
  RedisAddress address;
  address.host = at.host;
  address.port = at.port;
  address.user = user;
  address.password = password;
  return OpenRedisContext(address, connect_timeout, command_timeout);
}

// The primary `sentinel` names for `master_name`: NOT_FOUND when it knows
// no such master, UNAVAILABLE when it cannot say.
absl::StatusOr<HostPort> AskSentinel(const HostPort& sentinel,
                                     const std::string& master_name,
                                     absl::Duration connect_timeout,
                                     absl::Duration command_timeout) {
  absl::StatusOr<redisContext*> c =
      OpenAt(sentinel, connect_timeout, command_timeout);
  if (!c.ok()) return c.status();
  absl::StatusOr<RedisReply> reply =
      Ask(*c, {"SENTINEL", "get-master-addr-by-name", master_name});
  redisFree(*c);
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type == REDIS_REPLY_NIL) {
    return absl::NotFoundError(absl::StrCat("no master named ", master_name));
  }
  HostPort primary;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
      !IsStringReply(*r.element[0]) ||
      !absl::SimpleAtoi(ReplyText(*r.element[1]), &primary.port)) {
    return absl::UnavailableError(
        r.type == REDIS_REPLY_ERROR
            ? std::string(ReplyText(r))
            : "unexpected reply to SENTINEL get-master-addr-by-name");
  }
  primary.host = std::string(ReplyText(*r.element[0]));
  return primary;
}

// Connects to `primary` with the credentials of `address` (the Sentinels
// are asked without them) and checks that it says it is one.
absl::StatusOr<redisContext*> ConnectIfPrimary(const HostPort& primary,
                                               const RedisAddress& address,
                                               absl::Duration connect_timeout,
                                               absl::Duration command_timeout) {
  absl::StatusOr<redisContext*> c =
      OpenAt(primary, connect_timeout, command_timeout, address.user,
             address.password);
  if (!c.ok()) return c.status();
  absl::StatusOr<RedisReply> role = Ask(*c, {"ROLE"});
  absl::Status status = role.status();
  if (status.ok()) {
    const redisReply& r = **role;
    const bool master = r.type == REDIS_REPLY_ARRAY && r.elements > 0 &&
                        ReplyText(*r.element[0]) == "master";
    if (!master) {
      status = absl::UnavailableError(
          absl::StrCat("it answers ROLE ",
                       r.type == REDIS_REPLY_ARRAY && r.elements > 0
                           ? ReplyText(*r.element[0])
                           : ReplyText(r),
                       ", not master"));
    }
  }
  if (!status.ok()) {
    redisFree(*c);
    return status;
  }
  return *c;
}

// Logs when the primary of a master name is first found or changes.
void NotePrimary(const RedisAddress& address, const HostPort& primary) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* seen ABSL_GUARDED_BY(mu) =
      new absl::flat_hash_map<std::string, std::string>();
  const std::string now = primary.ToString();
  {
    absl::MutexLock lock(&mu);
    std::string& last = (*seen)[address.ToString()];
    if (last == now) return;
    last = now;
  }
  LogInfo(absl::StrCat("redis: primary of ", address.ToString(), " is ", now));
}

}  // namespace

absl::StatusOr<PrimaryContext> ConnectToPrimary(
    const RedisAddress& address, absl::Duration connect_timeout,
    absl::Duration command_timeout) {
  std::vector<std::string> failures;
  bool any_knows = false;
  bool any_answered = false;
  for (const HostPort& sentinel : address.sentinels) {
    absl::StatusOr<HostPort> primary = AskSentinel(
        sentinel, address.master_name, connect_timeout, command_timeout);
    if (!primary.ok()) {
      any_answered = any_answered || absl::IsNotFound(primary.status());
      failures.push_back(absl::StrCat("sentinel ", sentinel.ToString(), ": ",
                                      primary.status().message()));
      continue;
    }
    any_answered = any_knows = true;
    absl::StatusOr<redisContext*> c =
        ConnectIfPrimary(*primary, address, connect_timeout, command_timeout);
    if (!c.ok()) {
      failures.push_back(absl::StrCat("sentinel ", sentinel.ToString(),
                                      " names ", primary->ToString(), ": ",
                                      c.status().message()));
      continue;
    }
    NotePrimary(address, *primary);
    return PrimaryContext{*c, *std::move(primary)};
  }
  const std::string why = absl::StrJoin(failures, "; ");
  if (any_answered && !any_knows) {
    return absl::NotFoundError(
        absl::StrCat("the Sentinels know no master named \"",
                     address.master_name, "\" (", why, ")"));
  }
  return absl::UnavailableError(absl::StrCat(
      "no primary found for \"", address.master_name, "\" (", why, ")"));
}

absl::StatusOr<HostPort> ResolvePrimary(const RedisAddress& address,
                                        absl::Duration connect_timeout,
                                        absl::Duration command_timeout) {
  absl::StatusOr<PrimaryContext> found =
      ConnectToPrimary(address, connect_timeout, command_timeout);
  if (!found.ok()) return found.status();
  redisFree(found->context);
  return found->primary;
}

}  // namespace coachd
