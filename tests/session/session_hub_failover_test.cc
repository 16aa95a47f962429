// A live session through a Redis failover: coachd's hub and Redis store on
// sentinel://, a primary, its replica and three redis-sentinels
// (tests/common/redis_failover.h). The primary is killed with SIGKILL;
// once Sentinel has promoted the replica the session goes on, and a
// subscriber sees a contiguous sequence or an explicit not-recovered
// snapshot, never a gap or an event that differs from one it saw.
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/redis/redis_client.h"
#include "services/session/session_hub.h"
#include "services/store/redis_session_store.h"
#include "tests/common/redis_failover.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using testing_store::Events;
using testing_store::NewRecord;

// Keeps what the hub delivers; waits for a number of deliveries.
class Device : public EventSink {
 public:
  void Deliver(const StoredEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  bool WaitForCount(size_t n, absl::Duration limit = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), limit);
  }
  std::vector<StoredEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<StoredEvent> events_ ABSL_GUARDED_BY(mu_);
};

// Commits `n` events to the session as it is stored now, retrying while the
// failover makes Redis unavailable (bounded by `limit`).
absl::StatusOr<SessionRecord> CommitWhenAvailable(RedisSessionStore& store,
                                                  const std::string& id, int n,
                                                  absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  absl::Status last;
  while (absl::Now() < deadline) {
    absl::StatusOr<SessionRecord> record = store.Load(id);
    if (record.ok()) {
      absl::StatusOr<std::vector<StoredEvent>> committed = store.Commit(
          record->last_sequence(), &*record, Events(n, "after failover"));
      if (committed.ok()) return record;
      last = committed.status();
    } else {
      last = record.status();
    }
    if (!absl::IsUnavailable(last)) return last;
    absl::SleepFor(absl::Milliseconds(20));  // The client's backoff rules.
  }
  return last;
}

TEST(SessionHubFailoverTest,
     ALiveSessionGoesOnAfterSentinelPromotesTheReplica) {
  absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
      RedisFailoverGroup::Start();
  ASSERT_TRUE(group.ok()) << group.status();
  RedisClientOptions client_options;
  client_options.address = *ParseRedisUrl((*group)->url());
  client_options.pool_size = 2;
  client_options.min_backoff = absl::Milliseconds(10);
  client_options.max_backoff = absl::Milliseconds(100);
  RedisClient client(client_options);
  RedisSessionStore store(&client, RedisSessionStoreOptions{});
  FakeClock clock;
  Executor cleanup(1);
  SessionHub hub(&store, &clock, &cleanup);

  SessionRecord record = NewRecord("s1");
  ASSERT_TRUE(store.Create(&record, Events(3, "start")).ok());
  const std::string first_epoch = record.epoch();
  Device device;
  coach::v1::ResumePosition position;
  position.set_epoch(first_epoch);
  position.set_last_sequence(3);
  absl::StatusOr<std::unique_ptr<HubAttachment>> attached =
      hub.Attach(record, &position, &device);
  ASSERT_TRUE(attached.ok()) << attached.status();
  ASSERT_TRUE(
      store.Commit(3, &record, Events(2, "before failover")).ok());  // 4, 5
  ASSERT_TRUE(device.WaitForCount(2));

  ASSERT_TRUE((*group)->KillPrimary().ok());
  absl::StatusOr<int> promoted = (*group)->WaitForFailover(absl::Seconds(60));
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  absl::StatusOr<SessionRecord> after =
      CommitWhenAvailable(store, "s1", 1, absl::Seconds(30));
  ASSERT_TRUE(after.ok()) << after.status();
  // Whether or not 4 and 5 reached the replica, the new primary took over:
  // a new epoch, and the device is told so.
  EXPECT_NE(after->epoch(), first_epoch);
  ASSERT_TRUE(device.WaitForCount(3));
  after = CommitWhenAvailable(store, "s1", 2, absl::Seconds(30));
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(device.WaitForCount(5));

  // What the device saw: 4 and 5, a not-recovered snapshot in the new epoch,
  // then each event once, in order, in that epoch.
  const std::vector<StoredEvent> seen = device.events();
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0]->sequence(), 4);
  EXPECT_EQ(seen[1]->sequence(), 5);
  EXPECT_EQ(seen[1]->epoch(), first_epoch);
  ASSERT_TRUE(seen[2]->has_snapshot());
  EXPECT_FALSE(seen[2]->snapshot().recovered());
  EXPECT_EQ(seen[2]->epoch(), after->epoch());
  for (size_t i = 3; i < seen.size(); ++i) {
    EXPECT_FALSE(seen[i]->has_snapshot());
    EXPECT_EQ(seen[i]->epoch(), after->epoch());
    EXPECT_EQ(seen[i]->sequence(), seen[i - 1]->sequence() + 1);
  }
  EXPECT_EQ(seen.back()->sequence(), after->last_sequence());
}

}  // namespace
}  // namespace coachd
