// Helpers for the Redis store tests: a redis-server per test, a store with
// a client of its own for it, one-off commands on a connection of their own,
// the server's per-command call counts, and a bounded wait for a condition.
#ifndef TESTS_STORE_REDIS_TESTING_H_
#define TESTS_STORE_REDIS_TESTING_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/redis/redis_client.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "services/store/redis_session_store.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace testing_store {

// A redis-server for one test; null (and a failure) if it does not start.
inline std::unique_ptr<RedisServer> StartRedis(
    RedisServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// Options of a TestRedisSessionStore: its client's and the store's.
struct TestRedisSessionStoreOptions {
  RedisClientOptions client;
  RedisSessionStoreOptions store;
};

// Options for the Redis at `url`, with the four pooled connections a
// store had before stores shared a client.
inline TestRedisSessionStoreOptions OptionsFor(const std::string& url) {
  TestRedisSessionStoreOptions options;
  absl::StatusOr<RedisAddress> address = ParseRedisUrl(url);
  EXPECT_TRUE(address.ok()) << address.status();
  if (address.ok()) options.client.address = *address;
  options.client.pool_size = 4;
  return options;
}

// A RedisSessionStore with a client of its own, as each replica has: its Stats
// count this store's traffic only.
class TestRedisSessionStore : public WithOwnClient<RedisSessionStore> {
 public:
  explicit TestRedisSessionStore(const TestRedisSessionStoreOptions& options)
      : WithOwnClient<RedisSessionStore>(options.client, options.store) {}
};

// Runs one command on its own connection; fails the test on an error.
inline RedisReply RunCommand(const std::string& url,
                             const RedisCommand& command) {
  RedisConnection conn(RedisConnectionOptions{*ParseRedisUrl(url)});
  absl::StatusOr<RedisReply> reply = conn.Command(command);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? *std::move(reply) : nullptr;
}

// RunCommand for an integer reply; -1 if the reply is something else.
inline int64_t RunInteger(const std::string& url, const RedisCommand& command) {
  RedisReply reply = RunCommand(url, command);
  return reply != nullptr && reply->type == REDIS_REPLY_INTEGER ? reply->integer
                                                                : -1;
}

// INFO commandstats as {command: calls}.
inline std::map<std::string, int64_t> CommandCalls(const std::string& url) {
  std::map<std::string, int64_t> calls;
  RedisReply info = RunCommand(url, {"INFO", "commandstats"});
  if (info == nullptr || info->type != REDIS_REPLY_STRING) return calls;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(info->str, info->len), "\r\n")) {
    // cmdstat_xadd:calls=3,usec=...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, ':');
    if (parts.size() != 2) continue;
    absl::string_view c = parts[1];
    if (!absl::ConsumePrefix(&c, "calls=")) continue;
    int64_t n = 0;
    if (absl::SimpleAtoi(c.substr(0, c.find(',')), &n)) {
      calls[std::string(parts[0])] = n;
    }
  }
  return calls;
}

// Waits until `condition` holds, checking every millisecond; false if it
// did not within `limit` (a bound for a broken store, not a timing check).
inline bool WaitUntil(const std::function<bool()>& condition,
                      absl::Duration limit = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + limit;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace testing_store
}  // namespace coachd

#endif  // TESTS_STORE_REDIS_TESTING_H_
