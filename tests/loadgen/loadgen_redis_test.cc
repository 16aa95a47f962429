// loadgen's Redis figures against a real redis-server on a free loopback
// port: INFO commandstats read over a plain socket counts what was run.
#include <hiredis/hiredis.h>

#include <memory>

#include "clients/loadgen/redis_stats.h"
#include "gtest/gtest.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

TEST(RedisStatsLiveTest, CountsCommandsRunSinceTheFirstReading) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const int port = (*redis)->port();
  absl::StatusOr<RedisCommandCounts> before = ReadRedisCommandCounts(port);
  ASSERT_TRUE(before.ok()) << before.status();

  redisContext* c = redisConnect("127.0.0.1", port);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->err, 0) << c->errstr;
  for (const char* command : {"SET a 1", "SET b 2", "GET a"}) {
    redisReply* reply = static_cast<redisReply*>(redisCommand(c, command));
    ASSERT_NE(reply, nullptr);
    freeReplyObject(reply);
  }
  redisFree(c);

  absl::StatusOr<RedisCommandCounts> after = ReadRedisCommandCounts(port);
  ASSERT_TRUE(after.ok()) << after.status();
  const RedisCommandCounts diff = Difference(*after, *before);
  EXPECT_EQ(diff.calls.at("set"), 2);
  EXPECT_EQ(diff.calls.at("get"), 1);
  EXPECT_EQ(diff.total, 3);  // Our own INFO readings are not counted.
}

}  // namespace
}  // namespace coachd
