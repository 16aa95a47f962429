// A Lua script run with EVALSHA (its SHA1 is computed once), falling back to
// EVAL on a Redis that has not cached it (new, restarted or flushed: it
// answers NOSCRIPT). The one place that knows about NOSCRIPT.
//
//   const RedisScript& renew = RedisScript::Of(kRenewSource);
//   absl::StatusOr<std::vector<RedisReply>> replies = RedisScript::Run(
//       &*lease, {&renew}, {renew.Call({key}, {holder, ttl_ms})});
#ifndef SERVICES_REDIS_REDIS_SCRIPT_H_
#define SERVICES_REDIS_REDIS_SCRIPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/redis/redis_connection.h"

namespace coachd {

// An immutable script: thread-safe, usually a function-local static.
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;

  // The script of `source`, a string with static storage (a constant):
  // made once per source (its SHA1 computed then) and kept for the life of
  // the process. Thread-safe; callers on a hot path keep the reference.
  static const RedisScript& Of(const char* source);

  // EVALSHA of the script over `keys` and `args`.
  RedisCommand Call(const std::vector<std::string>& keys,
                    const std::vector<std::string>& args) const;

  // Sends `calls` in one round trip on `connection`; call i must have been
  // made by Call of `*scripts[i]`, or be any other command with
  // `scripts[i]` null. The calls answered NOSCRIPT go again as EVAL, in one
  // more round trip. Replies in the order of `calls`; error replies stay
  // replies. UNAVAILABLE/CANCELLED as RedisConnection::Pipeline.
  static absl::StatusOr<std::vector<RedisReply>> Run(
      RedisConnection* connection,
      const std::vector<const RedisScript*>& scripts,
      std::vector<RedisCommand> calls);

  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }  // Lowercase hex SHA1.

 private:
  const std::string source_;
  const std::string sha_;
};

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_SCRIPT_H_
