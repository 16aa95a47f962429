// One suite, two stores: everything QuotaStore documents, checked against
// the embedded MemoryQuotaStore and against RedisQuotaStore on a real
// redis-server (two clients: two replicas share one count). Then Quotas'
// messages. Times come from the test, never a clock.
#include <memory>
#include <string>

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
