// The one way coachd talks to a Redis: a pool of connections to one address
// with its options and counters, shared by every Redis store of a process
// (the Redis backend makes one; see services/server/backend.h). Calls turn
// error replies into statuses; scripts retry NOSCRIPT by themselves.
//
//   RedisClientOptions options;
//   options.address = *ParseRedisUrl("redis://127.0.0.1:6379");
//   RedisClient client(options);
//   absl::StatusOr<RedisReply> reply = client.Call({"GET", "k"});
//   RedisSessionStore store(&client, RedisSessionStoreOptions{});  // Borrows
//   the client.
#ifndef SERVICES_REDIS_REDIS_CLIENT_H_
#define SERVICES_REDIS_REDIS_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_reply.h"
#include "services/redis/redis_script.h"
#include "services/redis/redis_url.h"

namespace coachd {

// Options of RedisClient.
struct RedisClientOptions {
  RedisAddress address;
  // Connections shared by the calls of every store on the client (made on
  // first use). Subscribers and blocking readers make their own.
  int pool_size = 6;
  absl::Duration connect_timeout = absl::Milliseconds(200);
  absl::Duration command_timeout = absl::Seconds(1);
  // Wait between failed connection attempts: doubles from min to max.
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
};

// What the client's connections (pool and dedicated) have sent.
struct RedisClientStats {
  int64_t commands = 0;     // Commands, counting each one in a pipeline.
  int64_t round_trips = 0;  // Replies waited for (a pipeline is one).
  int64_t connects = 0;     // Connections made.
  int64_t errors = 0;       // Failed connects and broken connections.
};

// Thread-safe. While Redis cannot be reached every call fails fast with
// UNAVAILABLE "redis at ADDR unreachable: REASON" and recovers by itself.
// Every call borrows one pooled connection for its one round trip (waiting
// while all are in use). Must outlive everything made with it.
class RedisClient {
 public:
  explicit RedisClient(RedisClientOptions options);
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command. An error reply comes back as its status
  // (RedisErrorStatus, naming command[0]); any other reply as the reply.
  absl::StatusOr<RedisReply> Call(const RedisCommand& command);

  // Commands in one round trip. Error replies stay replies (check each
  // with CheckReply); the status is that of the exchange.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(
      const std::vector<RedisCommand>& commands);

  // One script call: Run(...) of one call, an error reply as its status
  // naming `what`.
  absl::StatusOr<RedisReply> Eval(const RedisScript& script,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args,
                                  absl::string_view what);

  // RedisScript::Run on a pooled connection: error replies stay replies.
  absl::StatusOr<std::vector<RedisReply>> RunScripts(
      const std::vector<const RedisScript*>& scripts,
      std::vector<RedisCommand> calls);

  // A pooled connection for several exchanges in a row; give it back soon
  // (destroy the lease). The client must outlive it.
  RedisPool::Lease Acquire() { return pool_.Acquire(); }

  // Options for a connection of a store's own (a subscriber, a blocking
  // reader): the client's address, timeouts and counters, with
  // `command_timeout` (more than a blocking command's block time).
  RedisConnectionOptions ConnectionOptions(
      absl::Duration command_timeout) const;

  // CheckReply at this client's address: OK unless `reply` is an error
  // reply to `command`.
  absl::Status Check(absl::string_view command, const redisReply& reply) const {
    return CheckReply(options_.address, command, reply);
  }

  const RedisAddress& address() const { return options_.address; }
  const RedisClientOptions& options() const { return options_; }
  RedisClientStats Stats() const;

 private:
  const RedisClientOptions options_;
  mutable RedisCounters counters_;  // Counted by const ConnectionOptions users.
  RedisPool pool_;  // After counters_: its connections count there.
};

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_CLIENT_H_
