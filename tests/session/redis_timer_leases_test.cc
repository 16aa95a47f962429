// Timer leases in a real redis-server (started by the harness): taking,
// refusing, re-taking, renewing, losing and releasing leases, what they cost
// in round trips, and behaviour while Redis is away. Local time runs on a
// FakeClock; the Redis TTL is long enough never to pass during a test
// (expiry in Redis is simulated by deleting or overwriting the key).
#include "services/session/redis_timer_leases.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kTtl = absl::Seconds(30);

class RedisTimerLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
    address_ = *ParseRedisUrl(redis_->url());
  }

  std::unique_ptr<RedisTimerLeases> Leases(const std::string& holder) {
    RedisClientOptions client;
    client.address = address_;
    RedisTimerLeasesOptions options;
    options.holder_id = holder;
    options.ttl = kTtl;
    options.clock = &clock_;
    return std::make_unique<WithOwnClient<RedisTimerLeases>>(client, options);
  }

  RedisReply Run(const RedisCommand& command) {
    RedisConnection conn(RedisConnectionOptions{address_});
    absl::StatusOr<RedisReply> reply = conn.Command(command);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *std::move(reply) : nullptr;
  }

  // The holder stored in the lease key, or "" when there is none.
  std::string HolderOf(const std::string& session_id) {
    RedisReply reply = Run({"GET", "coachd:{" + session_id + "}:lease"});
    if (reply == nullptr || reply->type != REDIS_REPLY_STRING) return "";
    return std::string(reply->str, reply->len);
  }

  int64_t PttlOf(const std::string& session_id) {
    RedisReply reply = Run({"PTTL", "coachd:{" + session_id + "}:lease"});
    return reply != nullptr ? reply->integer : -100;
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> redis_;
  RedisAddress address_;
};

TEST_F(RedisTimerLeasesTest, LeaseKeySharesTheSessionsHashTag) {
  EXPECT_EQ(Leases("a")->LeaseKey("s1"), "coachd:{s1}:lease");
}

TEST_F(RedisTimerLeasesTest, AcquireTakesFreeLeasesAndRefusesHeldOnes) {
  auto a = Leases("a");
  auto b = Leases("b");
  absl::StatusOr<std::vector<std::string>> got = a->Acquire({"s1", "s2"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("s1", "s2"));
  got = b->Acquire({"s1", "s3"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("s3"));

  EXPECT_EQ(HolderOf("s1"), "a");
  EXPECT_EQ(HolderOf("s3"), "b");
  const int64_t pttl = PttlOf("s1");
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, absl::ToInt64Milliseconds(kTtl));
  EXPECT_TRUE(a->Holds("s1"));
  EXPECT_FALSE(b->Holds("s1"));
  EXPECT_FALSE(a->Holds("s3"));
  EXPECT_THAT(a->Held(), ElementsAre("s1", "s2"));
}

TEST_F(RedisTimerLeasesTest, AcquireOfAnOwnLeaseSucceedsAndExtendsIt) {
  auto a = Leases("a");
  ASSERT_TRUE(a->Acquire({"s1"}).ok());
  Run({"PEXPIRE", "coachd:{s1}:lease", "5000"});
  absl::StatusOr<std::vector<std::string>> again = a->Acquire({"s1"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(*again, ElementsAre("s1"));
  EXPECT_GT(PttlOf("s1"), 5000);
}

TEST_F(RedisTimerLeasesTest, RenewExtendsHeldLeasesAndReportsLostOnes) {
  auto a = Leases("a");
  ASSERT_TRUE(a->Acquire({"s1", "s2", "s3"}).ok());
  Run({"PEXPIRE", "coachd:{s1}:lease", "5000"});
  Run({"SET", "coachd:{s2}:lease", "z"});  // Taken by another replica.
  Run({"DEL", "coachd:{s3}:lease"});       // Expired in Redis.
  clock_.Advance(kTtl / 3);

  EXPECT_THAT(a->RenewHeld(), ElementsAre("s2", "s3"));
  EXPECT_TRUE(a->Holds("s1"));
  EXPECT_FALSE(a->Holds("s2"));
  EXPECT_FALSE(a->Holds("s3"));
  EXPECT_GT(PttlOf("s1"), 5000);
  EXPECT_EQ(HolderOf("s2"), "z") << "renewal must not touch another's lease";
  EXPECT_EQ(HolderOf("s3"), "") << "renewal must not recreate a lease";
  // Renewed: good for a whole ttl from the renewal.
  clock_.Advance(kTtl - absl::Seconds(1));
  EXPECT_TRUE(a->Holds("s1"));
}

TEST_F(RedisTimerLeasesTest, LeaseNotRenewedInTimeIsLostEvenIfRedisStillHasIt) {
  auto a = Leases("a");
  ASSERT_TRUE(a->Acquire({"s1"}).ok());
  clock_.Advance(kTtl);  // This process did not renew within the ttl.
  EXPECT_FALSE(a->Holds("s1"));
  EXPECT_THAT(a->RenewHeld(), ElementsAre("s1"));
  EXPECT_THAT(a->Held(), IsEmpty());
  // Still its own in Redis: taking it again works at once.
  absl::StatusOr<std::vector<std::string>> again = a->Acquire({"s1"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(*again, ElementsAre("s1"));
  EXPECT_TRUE(a->Holds("s1"));
}

TEST_F(RedisTimerLeasesTest, ReleaseDeletesOnlyAnOwnLease) {
  auto a = Leases("a");
  auto b = Leases("b");
  ASSERT_TRUE(a->Acquire({"s1"}).ok());
  ASSERT_TRUE(b->Acquire({"s2"}).ok());
  a->Release("s1");
  a->Release("s2");  // Not a's: must stay b's.
  EXPECT_FALSE(a->Holds("s1"));
  EXPECT_EQ(HolderOf("s1"), "");
  EXPECT_EQ(HolderOf("s2"), "b");
  absl::StatusOr<std::vector<std::string>> got = b->Acquire({"s1"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("s1"));
}

TEST_F(RedisTimerLeasesTest, EachCallIsOneRoundTripWhateverTheNumberOfLeases) {
  auto a = Leases("a");
  // The first call also loads the scripts into this fresh Redis.
  ASSERT_TRUE(a->Acquire({"warm-up"}).ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back("s" + std::to_string(i));
  RedisClientStats before = a->Stats();
  ASSERT_TRUE(a->Acquire(ids).ok());
  RedisClientStats after = a->Stats();
  EXPECT_EQ(after.round_trips - before.round_trips, 1);
  EXPECT_EQ(after.commands - before.commands, 100);  // SET NX + renew each.
  before = after;
  EXPECT_THAT(a->RenewHeld(), IsEmpty());
  after = a->Stats();
  EXPECT_EQ(after.round_trips - before.round_trips, 1);
  EXPECT_EQ(after.commands - before.commands, 51);  // With the warm-up's.
}

TEST_F(RedisTimerLeasesTest, ScriptsFlushedFromRedisAreLoadedAgain) {
  auto a = Leases("a");
  ASSERT_TRUE(a->Acquire({"s1", "s2"}).ok());
  Run({"SCRIPT", "FLUSH"});
  clock_.Advance(kTtl / 3);
  EXPECT_THAT(a->RenewHeld(), IsEmpty());
  EXPECT_TRUE(a->Holds("s1"));
  Run({"SCRIPT", "FLUSH"});
  a->Release("s1");
  EXPECT_EQ(HolderOf("s1"), "");
  EXPECT_EQ(HolderOf("s2"), "a");
}

TEST_F(RedisTimerLeasesTest, WhileRedisIsAwayLeasesLastTheirTtlThenAreLost) {
  auto a = Leases("a");
  ASSERT_TRUE(a->Acquire({"s1"}).ok());
  ASSERT_TRUE(redis_->Stop().ok());

  absl::StatusOr<std::vector<std::string>> got = a->Acquire({"s2"});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(got.status().message(), HasSubstr("unreachable"));
  clock_.Advance(kTtl / 3);
  EXPECT_THAT(a->RenewHeld(), IsEmpty()) << "lost before its ttl";
  EXPECT_TRUE(a->Holds("s1"));
  clock_.Advance(kTtl);
  EXPECT_THAT(a->RenewHeld(), ElementsAre("s1"));
  EXPECT_FALSE(a->Holds("s1"));

  ASSERT_TRUE(redis_->Restart().ok());
  // Connections come back after their backoff (at most max_backoff, 1 s):
  // retry in short waits, with a cap.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    got = a->Acquire({"s2"});
    if (got.ok()) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < give_up);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre("s2"));
}

}  // namespace
}  // namespace coachd
