// One suite, two stores: everything QuotaStore documents, checked against
// the embedded MemoryQuotaStore and against RedisQuotaStore on a real
// redis-server (two clients: two replicas share one count). Then Quotas'
// messages. Times come from the test, never a clock.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/quota/memory_quota_store.h"
#include "services/quota/quotas.h"
#include "services/quota/redis_quota_store.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/common/shared_redis.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1767596400);

::testing::Environment* const shared_redis =
    ::testing::AddGlobalTestEnvironment(new SharedRedis);

// Two handles on one store: in memory the same object, on Redis two clients
// (two replicas).
struct Stores {
  std::unique_ptr<QuotaStore> a;
  std::unique_ptr<QuotaStore> b;
  QuotaStore* other() { return b != nullptr ? b.get() : a.get(); }
};

struct MemoryFactory {
  static Stores Make() {
    return Stores{std::make_unique<MemoryQuotaStore>(), nullptr};
  }
};

struct RedisFactory {
  static Stores Make() {
    RedisServer* server = SharedRedis::Get();
    if (server == nullptr) return {};
    absl::StatusOr<RedisAddress> address = ParseRedisUrl(server->url());
    if (!address.ok()) return {};
    RedisConnection admin(RedisConnectionOptions{*address});
    if (!admin.Command({"FLUSHALL"}).ok()) return {};
    RedisClientOptions client;
    client.address = *address;
    return Stores{std::make_unique<WithOwnClient<RedisQuotaStore>>(
                      client, RedisQuotaStoreOptions{}),
                  std::make_unique<WithOwnClient<RedisQuotaStore>>(
                      client, RedisQuotaStoreOptions{})};
  }
};

template <typename Factory>
class QuotaStoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_ = Factory::Make();
    ASSERT_NE(stores_.a, nullptr);
  }
  Stores stores_;
};

struct Names {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryFactory> ? "Memory" : "Redis";
  }
};
using Factories = ::testing::Types<MemoryFactory, RedisFactory>;
TYPED_TEST_SUITE(QuotaStoreConformanceTest, Factories, Names);

TYPED_TEST(QuotaStoreConformanceTest,
           CountsUpToTheLimitInOneWindowThenRefuses) {
  QuotaStore& store = *this->stores_.a;
  for (int i = 1; i <= 3; ++i) {
    SCOPED_TRACE(i);
    absl::StatusOr<QuotaTake> take =
        store.Take("k", 3, absl::Minutes(1), kStart + absl::Seconds(i));
    ASSERT_TRUE(take.ok()) << take.status();
    EXPECT_TRUE(take->allowed);
    EXPECT_EQ(take->count, i);
    EXPECT_EQ(take->window_ends, kStart + absl::Seconds(1) + absl::Minutes(1));
  }
  absl::StatusOr<QuotaTake> refused =
      store.Take("k", 3, absl::Minutes(1), kStart + absl::Seconds(30));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->allowed);
  EXPECT_EQ(refused->count, 3);  // A refused take is not counted.
  EXPECT_EQ(refused->window_ends, kStart + absl::Seconds(61));
  // Another key has its own window.
  absl::StatusOr<QuotaTake> other =
      store.Take("k2", 3, absl::Minutes(1), kStart + absl::Seconds(30));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->allowed);
  EXPECT_EQ(other->count, 1);
}

TYPED_TEST(QuotaStoreConformanceTest, ANewWindowOpensWhenTheOldOneEnds) {
  QuotaStore& store = *this->stores_.a;
  ASSERT_TRUE(store.Take("k", 1, absl::Minutes(1), kStart).ok());
  EXPECT_FALSE(store.Take("k", 1, absl::Minutes(1), kStart + absl::Seconds(59))
                   ->allowed);
  absl::StatusOr<QuotaTake> next =
      store.Take("k", 1, absl::Minutes(1), kStart + absl::Minutes(1));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->allowed);
  EXPECT_EQ(next->count, 1);
  EXPECT_EQ(next->window_ends, kStart + absl::Minutes(2));
}

TYPED_TEST(QuotaStoreConformanceTest, ReplicasShareOneCount) {
  ASSERT_TRUE(this->stores_.a->Take("k", 2, absl::Minutes(1), kStart).ok());
  ASSERT_TRUE(
      this->stores_.other()->Take("k", 2, absl::Minutes(1), kStart)->allowed);
  EXPECT_FALSE(
      this->stores_.a->Take("k", 2, absl::Minutes(1), kStart)->allowed);
  EXPECT_FALSE(
      this->stores_.other()->Take("k", 2, absl::Minutes(1), kStart)->allowed);
}

TYPED_TEST(QuotaStoreConformanceTest, SlotsAreHeldUpToTheLimitAndFreedByLeave) {
  QuotaStore& store = *this->stores_.a;
  for (const char* member : {"s1", "s2"}) {
    SCOPED_TRACE(member);
    absl::StatusOr<SlotJoin> join = store.Join("live:alice", member, 2);
    ASSERT_TRUE(join.ok()) << join.status();
    EXPECT_TRUE(join->allowed);
  }
  absl::StatusOr<SlotJoin> full = store.Join("live:alice", "s3", 2);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_FALSE(full->allowed);
  EXPECT_EQ(full->members, (std::vector<std::string>{"s1", "s2"}));
  // A member already in holds its slot (a retried join), full or not.
  EXPECT_TRUE(store.Join("live:alice", "s2", 2)->allowed);
  // Another key has its own slots; Leave frees one; leaving twice is fine.
  EXPECT_TRUE(store.Join("live:bob", "s3", 2)->allowed);
  ASSERT_TRUE(store.Leave("live:alice", "s1").ok());
  ASSERT_TRUE(store.Leave("live:alice", "s1").ok());
  absl::StatusOr<SlotJoin> after = store.Join("live:alice", "s3", 2);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->allowed);
  EXPECT_EQ(after->members, (std::vector<std::string>{"s2", "s3"}));
}

TYPED_TEST(QuotaStoreConformanceTest, ReplicasShareOneSetOfSlots) {
  ASSERT_TRUE(this->stores_.a->Join("live:alice", "s1", 1)->allowed);
  EXPECT_FALSE(this->stores_.other()->Join("live:alice", "s2", 1)->allowed);
  ASSERT_TRUE(this->stores_.other()->Leave("live:alice", "s1").ok());
  EXPECT_TRUE(this->stores_.a->Join("live:alice", "s2", 1)->allowed);
}

TEST(QuotasTest, LiveSessionsPastTheLimitAreNamedAndEndedOnesFreeTheirPlace) {
  FakeClock clock(kStart);
  MemoryQuotaStore store;
  QuotaOptions options;
  options.live_sessions.max = 2;
  Quotas quotas(&store, &clock, options);
  std::set<std::string> live = {"s1", "s2"};
  auto still_live = [&](const std::string& id) { return live.count(id) > 0; };
  const SlotLimit& limit = options.live_sessions;
  EXPECT_TRUE(
      quotas.Hold("StartSession", limit, "alice", "s1", still_live).ok());
  EXPECT_TRUE(
      quotas.Hold("StartSession", limit, "alice", "s2", still_live).ok());
  const absl::Status refused =
      quotas.Hold("StartSession", limit, "alice", "s3", still_live);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "StartSession: limit of 2 live sessions per person "
            "(--max_live_sessions_per_person) reached: s1, s2; end one of "
            "them and retry");
  EXPECT_TRUE(quotas.Hold("StartSession", limit, "bob", "s9", still_live).ok());
  // Released: its place is free.
  ASSERT_TRUE(quotas.Release(limit, "alice", "s1").ok());
  live.erase("s1");
  EXPECT_TRUE(
      quotas.Hold("StartSession", limit, "alice", "s3", still_live).ok());
  live.insert("s3");
  // Ended without a release (its replica died): found out and freed.
  live.erase("s2");
  EXPECT_TRUE(
      quotas.Hold("StartSession", limit, "alice", "s4", still_live).ok());
  live.insert("s4");
  // s3 and s4 are live: full again.
  EXPECT_EQ(
      quotas.Hold("StartSession", limit, "alice", "s5", still_live).code(),
      absl::StatusCode::kResourceExhausted);
}

TEST(QuotasTest, APersonPastALimitIsToldWhichAndWhenToRetry) {
  FakeClock clock(kStart);
  MemoryQuotaStore store;
  QuotaOptions options;
  options.sessions.max = 2;
  Quotas quotas(&store, &clock, options);
  EXPECT_TRUE(quotas.Take("StartSession", options.sessions, "alice").ok());
  clock.Advance(absl::Minutes(10));
  EXPECT_TRUE(quotas.Take("StartSession", options.sessions, "alice").ok());
  const absl::Status refused =
      quotas.Take("StartSession", options.sessions, "alice");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "StartSession: limit of 2 sessions started per person per 1h "
            "(--max_sessions_started_per_hour) reached; retry in 3000s (at "
            "2026-01-05T08:00:00Z)");
  // Per person: bob is not limited by alice; and no maximum, no limit.
  EXPECT_TRUE(quotas.Take("StartSession", options.sessions, "bob").ok());
  QuotaLimit unlimited = options.sessions;
  unlimited.max = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(quotas.Take("StartSession", unlimited, "alice").ok());
  }
}

}  // namespace
}  // namespace coachd
