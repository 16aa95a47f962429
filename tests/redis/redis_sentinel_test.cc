// Sentinel addresses against real servers: a primary, its replica and three
// redis-sentinels (tests/common/redis_failover.h); the failure paths with no
// Sentinel listening and with a master name they do not know.
#include "services/redis/redis_sentinel.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_client.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/redis_failover.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kConnect = absl::Milliseconds(200);
constexpr absl::Duration kCommand = absl::Seconds(1);

RedisAddress Address(const std::string& url) {
  absl::StatusOr<RedisAddress> a = ParseRedisUrl(url);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : RedisAddress{};
}

// The port of a server that was just killed: nothing listens there.
int DeadPort() {
  absl::StatusOr<std::unique_ptr<RedisServer>> s = RedisServer::Start();
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return 1;
  EXPECT_TRUE((*s)->Kill().ok());
  return (*s)->port();
}

// Calls `command` until it works (a failover in progress makes calls fail
// UNAVAILABLE for a while); its last status if it never did within `limit`.
absl::StatusOr<RedisReply> CallUntilOk(RedisClient& client,
                                       const RedisCommand& command,
                                       absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  for (;;) {
    absl::StatusOr<RedisReply> reply = client.Call(command);
    if (reply.ok() || absl::Now() > deadline) return reply;
    EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
    absl::SleepFor(absl::Milliseconds(20));  // The client's own backoff rules.
  }
}

TEST(RedisSentinelTest, TheClientFollowsTheSentinelsToTheNewPrimary) {
  absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
      RedisFailoverGroup::Start();
  ASSERT_TRUE(group.ok()) << group.status();
  RedisFailoverGroup& g = **group;
  const RedisAddress address = Address(g.url());
  const int first = g.primary_port();

  absl::StatusOr<HostPort> primary =
      ResolvePrimary(address, kConnect, kCommand);
  ASSERT_TRUE(primary.ok()) << primary.status();
  EXPECT_EQ(primary->port, first);

  RedisClientOptions options;
  options.address = address;
  options.pool_size = 2;
  RedisClient client(options);
  // On the replica before the crash, so the failover keeps it (WAIT counts
  // the replicas that have its own connection's last write).
  absl::StatusOr<std::vector<RedisReply>> waited = client.Acquire()->Pipeline(
      {{"SET", "k", "before"}, {"WAIT", "1", "5000"}});
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ((*waited)[1]->integer, 1);

  ASSERT_TRUE(g.KillPrimary().ok());
  absl::StatusOr<int> promoted = g.WaitForFailover(absl::Seconds(60));
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  EXPECT_NE(*promoted, first);

  absl::StatusOr<RedisReply> set =
      CallUntilOk(client, {"SET", "k2", "after"}, absl::Seconds(30));
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<RedisReply> before = client.Call({"GET", "k"});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(ReplyText(**before), "before");
  primary = ResolvePrimary(address, kConnect, kCommand);
  ASSERT_TRUE(primary.ok()) << primary.status();
  EXPECT_EQ(primary->port, *promoted);
}

TEST(RedisSentinelTest, NoSentinelListeningIsUnavailableNamingEach) {
  const int a = DeadPort();
  const int b = DeadPort();
  const RedisAddress address = Address(
      absl::StrCat("sentinel://127.0.0.1:", a, ",127.0.0.1:", b, "/coachd"));
  absl::StatusOr<HostPort> primary =
      ResolvePrimary(address, kConnect, kCommand);
  EXPECT_TRUE(absl::IsUnavailable(primary.status())) << primary.status();
  EXPECT_THAT(primary.status().message(),
              HasSubstr(absl::StrCat("sentinel 127.0.0.1:", a)));
  EXPECT_THAT(primary.status().message(),
              HasSubstr(absl::StrCat("sentinel 127.0.0.1:", b)));

  // A client on it answers UNAVAILABLE, naming the address, and no more.
  RedisClientOptions options;
  options.address = address;
  RedisClient client(options);
  absl::StatusOr<RedisReply> reply = client.Call({"PING"});
  EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr(address.ToString()));
  EXPECT_THAT(reply.status().message(), HasSubstr("unreachable"));
}

TEST(RedisSentinelTest, AnUnknownMasterNameIsNotFound) {
  absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
      RedisFailoverGroup::Start(RedisFailoverOptions::OneSentinel());
  ASSERT_TRUE(group.ok()) << group.status();
  const RedisAddress address = Address(absl::StrCat(
      "sentinel://127.0.0.1:", (*group)->sentinel(0).port(), "/nosuch"));
  absl::StatusOr<HostPort> primary =
      ResolvePrimary(address, kConnect, kCommand);
  EXPECT_TRUE(absl::IsNotFound(primary.status())) << primary.status();
  EXPECT_THAT(primary.status().message(),
              HasSubstr("know no master named \"nosuch\""));
}

TEST(RedisSentinelTest, AReadonlyReplyDropsTheConnection) {
  absl::StatusOr<std::unique_ptr<RedisServer>> primary = RedisServer::Start();
  ASSERT_TRUE(primary.ok()) << primary.status();
  absl::StatusOr<std::unique_ptr<RedisServer>> demoted = RedisServer::Start();
  ASSERT_TRUE(demoted.ok()) << demoted.status();
  RedisCounters counters;
  RedisConnectionOptions options{Address((*demoted)->url())};
  options.counters = &counters;
  RedisConnection conn(options);
  ASSERT_TRUE(conn.Command({"SET", "k", "v"}).ok());
  // What a failover does to the old primary: it becomes a replica.
  ASSERT_TRUE(
      conn.Command({"REPLICAOF", "127.0.0.1", absl::StrCat((*primary)->port())})
          .ok());
  absl::StatusOr<RedisReply> refused = conn.Command({"SET", "k", "w"});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_THAT(ReplyText(**refused), HasSubstr("READONLY"));
  EXPECT_EQ(counters.connects.load(), 1);
  ASSERT_TRUE(conn.Command({"PING"}).ok());
  EXPECT_EQ(counters.connects.load(), 2);  // A new connection after READONLY.
}

}  // namespace
}  // namespace coachd
