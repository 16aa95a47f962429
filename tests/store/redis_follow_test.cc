// How RedisSessionStore::Follow is fed: this store's commits reach its
// followers without a Redis read, other replicas' through one subscriber per
// store and XRANGE catch-ups, nothing is lost when the subscription or Redis
// goes away, the cost does not grow with followed sessions, and a destroyed
// handle's listener is never called again.
#include <dirent.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/store/redis_session_store.h"
#include "tests/common/redis_server.h"
#include "tests/store/redis_testing.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using ::coachd::testing_store::CommandCalls;
using ::coachd::testing_store::CreateSession;
using ::coachd::testing_store::Events;
using ::coachd::testing_store::NewRecord;
using ::coachd::testing_store::OptionsFor;
using ::coachd::testing_store::Range;
using ::coachd::testing_store::RecordingListener;
using ::coachd::testing_store::RunCommand;
using ::coachd::testing_store::RunInteger;
using ::coachd::testing_store::Sequences;
using ::coachd::testing_store::StartRedis;
using ::coachd::testing_store::TestRedisSessionStore;
using ::coachd::testing_store::TestRedisSessionStoreOptions;
using ::coachd::testing_store::WaitUntil;
using ::testing::ElementsAreArray;

TestRedisSessionStoreOptions QuickRetry(const std::string& url) {
  TestRedisSessionStoreOptions options = OptionsFor(url);
  options.client.min_backoff = absl::Milliseconds(5);
  options.client.max_backoff = absl::Milliseconds(50);
  return options;
}

// Two replicas on one Redis: session "s1" (one event) created on A and
// followed from its start on both.
struct TwoReplicasFollowing {
  explicit TwoReplicasFollowing(const TestRedisSessionStoreOptions& options)
      : a(options), b(options) {
    CreateSession(a, "s1", 1);
    absl::StatusOr<std::unique_ptr<FollowHandle>> fa = a.Follow("s1", 0, &on_a);
    absl::StatusOr<std::unique_ptr<FollowHandle>> fb = b.Follow("s1", 0, &on_b);
    if (fa.ok()) follow_a = *std::move(fa);
    if (fb.ok()) follow_b = *std::move(fb);
  }
  bool following() const { return follow_a != nullptr && follow_b != nullptr; }

  TestRedisSessionStore
      a;  // The stores outlive the handles, the handles' listeners.
  TestRedisSessionStore b;
  RecordingListener on_a;
  RecordingListener on_b;
  std::unique_ptr<FollowHandle> follow_a;
  std::unique_ptr<FollowHandle> follow_b;
};

// Commits `n` events to `id` on `store` from its stored record, retrying
// (bounded) when another writer got in first; the last sequence written, or
// -1.
int64_t CommitFresh(SessionStore& store, const std::string& id, int n,
                    const std::string& tag) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    absl::StatusOr<coach::internal::SessionRecord> record = store.Load(id);
    if (!record.ok()) continue;  // Redis coming back, say.
    absl::StatusOr<std::vector<StoredEvent>> s =
        store.Commit(record->last_sequence(), &*record, Events(n, tag));
    if (s.ok()) return record->last_sequence();
  }
  ADD_FAILURE() << "no commit of " << id << " in 1000 attempts";
  return -1;
}

// Waits until `store` has subscribed `times` times and caught its
// followers up after the last one (one read when it follows anything).
bool WaitSubscribed(RedisSessionStore& store, int times = 1) {
  return WaitUntil([&] {
    const RedisSessionStoreStats s = store.Stats();
    return s.subscribes >= times && s.catch_up_reads >= times;
  });
}

// The threads of this process.
int ThreadCount() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

// Two stores on one Redis: session "s1" (one event) created on B and
// followed from its start on A, whose subscriber is up.
struct FollowerOfAnotherStore {
  explicit FollowerOfAnotherStore(const TestRedisSessionStoreOptions& options)
      : a(options), b(options) {
    CreateSession(b, "s1", 1);
    absl::StatusOr<std::unique_ptr<FollowHandle>> f =
        a.Follow("s1", 0, &listener);
    if (f.ok() && WaitSubscribed(a)) follow = *std::move(f);
  }

  TestRedisSessionStore a;  // The stores and the listener outlive the handle.
  TestRedisSessionStore b;
  RecordingListener listener;
  std::unique_ptr<FollowHandle> follow;  // Null if following failed.
};

TEST(RedisFollowTest, OwnCommitsReachTheFollowerBeforeCommitReturnsUnread) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  TestRedisSessionStore other(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(store, "s1", 2);
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      store.Follow("s1", 0, &listener);
  ASSERT_TRUE(follow.ok()) << follow.status();
  // The stored events came with the call itself.
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, 2)));
  ASSERT_TRUE(WaitSubscribed(store));
  RunCommand(redis->url(), {"CONFIG", "RESETSTAT"});
  const RedisSessionStoreStats before = store.Stats();

  constexpr int kCommits = 50;
  for (int i = 0; i < kCommits; ++i) {
    absl::StatusOr<std::vector<StoredEvent>> committed =
        store.Commit(record.last_sequence(), &record,
                     Events(1 + i % 2, absl::StrCat("own ", i)));
    ASSERT_TRUE(committed.ok()) << committed.status();
    // Delivered on the committing thread, before Commit returned: the very
    // events Commit returned.
    ASSERT_EQ(listener.sequences().back(), record.last_sequence());
    ASSERT_EQ(listener.events().back().get(), committed->back().get());
  }
  const int64_t own_last = record.last_sequence();
  // One commit by another replica: read from Redis. Notifications are
  // handled in order, so once it is here every one of ours was handled too.
  const int64_t last = CommitFresh(other, "s1", 1, "other");
  ASSERT_TRUE(listener.WaitFor(last));

  std::map<std::string, int64_t> calls = CommandCalls(redis->url());
  EXPECT_EQ(calls["xread"], 0);
  EXPECT_EQ(calls["xrange"], 1);  // The other replica's commit only.
  EXPECT_EQ(calls["publish"], kCommits + 1);
  EXPECT_EQ(store.Stats().catch_up_reads - before.catch_up_reads, 1);
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, last)));
  // What arrived is what was written, and its wire form is those bytes.
  absl::StatusOr<HistoryRead> read =
      store.ReadHistory("s1", record.epoch(), 0, 1000);
  ASSERT_TRUE(read.ok());
  std::vector<StoredEvent> got = listener.events();
  ASSERT_EQ(got.size(), read->events.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(*got[i].Wire(), read->events[i]->SerializeAsString());
  }
  EXPECT_EQ(got[own_last - 1]->epoch(), record.epoch());
}

TEST(RedisFollowTest, AFollowFromInsideAnotherStoresCommitStartsRightAfter) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(OptionsFor(redis->url()));
  TestRedisSessionStore b(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(b, "s1", 5);
  ASSERT_TRUE(
      b.Commit(record.last_sequence(), &record, Events(300, "big")).ok());
  // Events 6..305 are one stream entry; A asks for what follows 3 and 7.
  RecordingListener from_3;
  RecordingListener from_7;
  absl::StatusOr<std::unique_ptr<FollowHandle>> f3 = a.Follow("s1", 3, &from_3);
  absl::StatusOr<std::unique_ptr<FollowHandle>> f7 = a.Follow("s1", 7, &from_7);
  ASSERT_TRUE(f3.ok()) << f3.status();
  ASSERT_TRUE(f7.ok()) << f7.status();
  EXPECT_THAT(from_3.sequences(), ElementsAreArray(Range(4, 305)));
  EXPECT_THAT(from_7.sequences(), ElementsAreArray(Range(8, 305)));
  ASSERT_TRUE(WaitSubscribed(a));

  // Two entries of 1,000 and one of 500 from B: caught up from Redis.
  ASSERT_TRUE(
      b.Commit(record.last_sequence(), &record, Events(2500, "bigger")).ok());
  ASSERT_TRUE(from_3.WaitFor(2805));
  ASSERT_TRUE(from_7.WaitFor(2805));
  EXPECT_THAT(from_3.sequences(), ElementsAreArray(Range(4, 2805)));
  EXPECT_THAT(from_7.sequences(), ElementsAreArray(Range(8, 2805)));
}

TEST(RedisFollowTest, TwoReplicasCommittingToOneSessionFollowedOnBoth) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TwoReplicasFollowing both(OptionsFor(redis->url()));
  ASSERT_TRUE(both.following());
  RedisSessionStore& a = both.a;
  RedisSessionStore& b = both.b;
  RecordingListener& on_a = both.on_a;
  RecordingListener& on_b = both.on_b;

  constexpr int kCommits = 100;
  auto writer = [](RedisSessionStore* store, std::string tag) {
    for (int i = 0; i < kCommits; ++i) {
      CommitFresh(*store, "s1", 1 + i % 3, absl::StrCat(tag, " ", i));
    }
  };
  std::thread ta(writer, &a, "a");
  std::thread tb(writer, &b, "b");
  ta.join();
  tb.join();
  absl::StatusOr<coach::internal::SessionRecord> stored = a.Load("s1");
  ASSERT_TRUE(stored.ok());
  const int64_t last = stored->last_sequence();
  ASSERT_GE(last, 1 + 2 * kCommits);

  ASSERT_TRUE(on_a.WaitFor(last));
  ASSERT_TRUE(on_b.WaitFor(last));
  EXPECT_THAT(on_a.sequences(), ElementsAreArray(Range(1, last)));
  EXPECT_THAT(on_b.sequences(), ElementsAreArray(Range(1, last)));
  absl::StatusOr<HistoryRead> read =
      a.ReadHistory("s1", stored->epoch(), 0, 100000);
  ASSERT_TRUE(read.ok());
  std::vector<StoredEvent> got_a = on_a.events();
  std::vector<StoredEvent> got_b = on_b.events();
  ASSERT_EQ(read->events.size(), static_cast<size_t>(last));
  for (int64_t i = 0; i < last; ++i) {
    SCOPED_TRACE(i);
    const std::string want = read->events[i]->SerializeAsString();
    EXPECT_EQ(*got_a[i].Wire(), want);
    EXPECT_EQ(*got_b[i].Wire(), want);
  }
}

TEST(RedisFollowTest, ALocalCommitAfterAnUnseenForeignOneIsNotDeliveredEarly) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(QuickRetry(redis->url()));
  TestRedisSessionStore b(QuickRetry(redis->url()));
  coach::internal::SessionRecord record = CreateSession(a, "s1", 2);
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      a.Follow("s1", 0, &listener);
  ASSERT_TRUE(follow.ok());
  ASSERT_TRUE(WaitSubscribed(a));
  // A no longer hears of commits: its subscriber is gone and may not come
  // back.
  RunCommand(redis->url(), {"ACL", "SETUSER", "default", "-subscribe"});
  ASSERT_EQ(RunInteger(redis->url(), {"CLIENT", "KILL", "TYPE", "pubsub"}), 1);

  // B commits 3 (unheard of), then A commits 4: not next for the follower.
  ASSERT_EQ(CommitFresh(b, "s1", 1, "b"), 3);
  absl::StatusOr<coach::internal::SessionRecord> fresh = a.Load("s1");
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(a.Commit(3, &*fresh, Events(1, "a")).ok());

  // Caught up from Redis: 3 then 4, never 4 alone.
  ASSERT_TRUE(listener.WaitFor(4));
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, 4)));
  EXPECT_EQ(listener.events()[2]->coach_cue().text(), "b 0");
  RunCommand(redis->url(), {"ACL", "SETUSER", "default", "+subscribe"});
}

TEST(RedisFollowTest, CommitsMadeWhileUnsubscribedAreCaughtUpOnResubscribe) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  FollowerOfAnotherStore f(QuickRetry(redis->url()));
  ASSERT_NE(f.follow, nullptr);
  RedisSessionStore& a = f.a;
  RedisSessionStore& b = f.b;
  RecordingListener& listener = f.listener;
  RunCommand(redis->url(), {"ACL", "SETUSER", "default", "-subscribe"});
  ASSERT_EQ(RunInteger(redis->url(), {"CLIENT", "KILL", "TYPE", "pubsub"}), 1);

  // Published to nobody on A's side: these notifications are lost.
  int64_t last = 0;
  for (int i = 0; i < 5; ++i) last = CommitFresh(b, "s1", 2, "unheard");
  RunCommand(redis->url(), {"ACL", "SETUSER", "default", "+subscribe"});

  ASSERT_TRUE(listener.WaitFor(last));
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, last)));
  EXPECT_GE(a.Stats().subscribes, 2);
}

TEST(RedisFollowTest, SubscriberKilledWhileAnotherStoreCommitsLosesNothing) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  FollowerOfAnotherStore f(QuickRetry(redis->url()));
  ASSERT_NE(f.follow, nullptr);
  RedisSessionStore& a = f.a;
  RedisSessionStore& b = f.b;
  RecordingListener& listener = f.listener;

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) CommitFresh(b, "s1", 1, "b");
    done = true;
  });
  // Kill A's subscription three times while B commits, each time once A
  // has subscribed again.
  int kills = 0;
  for (int k = 0; k < 3 && !done; ++k) {
    if (!WaitSubscribed(a, k + 1)) break;
    kills += static_cast<int>(
        RunInteger(redis->url(), {"CLIENT", "KILL", "TYPE", "pubsub"}));
  }
  writer.join();

  ASSERT_TRUE(listener.WaitFor(301));
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, 301)));
  EXPECT_GE(kills, 1);
  EXPECT_TRUE(WaitSubscribed(a, kills + 1));
}

TEST(RedisFollowTest, FiftyFollowsCostNoMoreConnectionsOrThreadsThanOne) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.client.pool_size = 4;
  TestRedisSessionStore store(options);
  TestRedisSessionStore writer(OptionsFor(redis->url()));
  constexpr int kSessions = 50;
  for (int i = 0; i < kSessions; ++i)
    CreateSession(writer, absl::StrCat("s", i), 1);
  // A sanitizer's runtime (TSan) starts a thread of its own with the
  // process's first thread: make that happen before counting.
  std::thread([] {}).join();
  const int threads_before = ThreadCount();

  std::vector<std::unique_ptr<RecordingListener>> listeners;
  std::vector<std::unique_ptr<FollowHandle>> handles;
  for (int i = 0; i < kSessions; ++i) {
    listeners.push_back(std::make_unique<RecordingListener>());
    absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
        store.Follow(absl::StrCat("s", i), 0, listeners.back().get());
    ASSERT_TRUE(follow.ok()) << follow.status();
    handles.push_back(*std::move(follow));
  }
  // Both writers commit to every session: local and foreign deliveries.
  for (int i = 0; i < kSessions; ++i) {
    CommitFresh(writer, absl::StrCat("s", i), 2, "writer");
    CommitFresh(store, absl::StrCat("s", i), 1, "store");
  }
  for (int i = 0; i < kSessions; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(listeners[i]->WaitFor(4));
    EXPECT_THAT(listeners[i]->sequences(), ElementsAreArray(Range(1, 4)));
  }

  EXPECT_LE(store.Stats().connects, options.client.pool_size + 1);
  EXPECT_EQ(store.Stats().subscribes, 1);
  EXPECT_LE(ThreadCount() - threads_before, 2);  // Subscriber and catch-up.
}

// Records deliveries, and any that comes after its handle is gone. Can park
// inside its first live delivery until released.
class ParkingListener : public EventListener {
 public:
  explicit ParkingListener(int64_t park_at) : park_at_(park_at) {}

  void OnEvents(const std::vector<StoredEvent>& events) override {
    if (handle_gone_) ++after_gone_;
    {
      absl::MutexLock lock(&mu_);
      for (const StoredEvent& ev : events) sequences_.push_back(ev->sequence());
    }
    if (park_at_ > 0 && events.back()->sequence() >= park_at_ &&
        !parked_.HasBeenNotified()) {
      parked_.Notify();
      release_.WaitForNotificationWithTimeout(absl::Seconds(20));
    }
  }

  void HandleGone() { handle_gone_ = true; }
  int after_gone() const { return after_gone_; }
  std::vector<int64_t> sequences() const {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }
  absl::Notification& parked() { return parked_; }
  absl::Notification& release() { return release_; }

 private:
  const int64_t park_at_;
  std::atomic<bool> handle_gone_{false};
  std::atomic<int> after_gone_{0};
  mutable absl::Mutex mu_;
  std::vector<int64_t> sequences_ ABSL_GUARDED_BY(mu_);
  absl::Notification parked_;
  absl::Notification release_;
};

TEST(RedisFollowTest, DestroyingAHandleWaitsOnlyForTheDeliveryInProgress) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(store, "s1", 2);
  ParkingListener parking(/*park_at=*/3);
  RecordingListener witness;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      store.Follow("s1", 0, &parking);
  absl::StatusOr<std::unique_ptr<FollowHandle>> watching =
      store.Follow("s1", 0, &witness);
  ASSERT_TRUE(follow.ok() && watching.ok());

  // A commit whose delivery parks inside the listener.
  std::thread committer(
      [&] { EXPECT_TRUE(store.Commit(2, &record, Events(1, "parked")).ok()); });
  ASSERT_TRUE(
      parking.parked().WaitForNotificationWithTimeout(absl::Seconds(20)));
  absl::Notification destroyed;
  std::thread destroyer([&] {
    follow->reset();
    parking.HandleGone();
    destroyed.Notify();
  });
  parking.release().Notify();
  // Once that one call returns the handle goes, with no I/O to wait for.
  EXPECT_TRUE(destroyed.WaitForNotificationWithTimeout(absl::Seconds(20)));
  destroyer.join();
  committer.join();

  ASSERT_TRUE(CommitFresh(store, "s1", 2, "after") == 5);
  ASSERT_TRUE(witness.WaitFor(5));
  EXPECT_EQ(parking.after_gone(), 0);
  EXPECT_THAT(parking.sequences(), ElementsAreArray(Range(1, 3)));
}

TEST(RedisFollowTest, AListenerIsNeverCalledAfterItsHandleIsDestroyed) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(OptionsFor(redis->url()));
  TestRedisSessionStore b(OptionsFor(redis->url()));
  CreateSession(a, "s1", 1);
  RecordingListener witness;
  absl::StatusOr<std::unique_ptr<FollowHandle>> watching =
      a.Follow("s1", 0, &witness);
  ASSERT_TRUE(watching.ok());
  // Commits from both stores: deliveries on A's committing thread and on
  // its catch-up thread, while handles come and go.
  std::atomic<bool> stop{false};
  auto writer = [&](RedisSessionStore* store) {
    for (int i = 0; i < 2000 && !stop; ++i) CommitFresh(*store, "s1", 1, "w");
  };
  std::thread ta(writer, &a);
  std::thread tb(writer, &b);
  std::vector<std::unique_ptr<ParkingListener>> listeners;
  for (int round = 0; round < 20; ++round) {
    listeners.push_back(std::make_unique<ParkingListener>(/*park_at=*/0));
    absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
        a.Follow("s1", 0, listeners.back().get());
    ASSERT_TRUE(follow.ok());
    const int64_t seen = witness.sequences().back();
    ASSERT_TRUE(witness.WaitFor(seen + 2));  // Deliveries under way.
    follow->reset();
    listeners.back()->HandleGone();
  }
  stop = true;
  ta.join();
  tb.join();

  for (size_t i = 0; i < listeners.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(listeners[i]->after_gone(), 0);
    const std::vector<int64_t> got = listeners[i]->sequences();
    ASSERT_FALSE(got.empty());
    EXPECT_THAT(got, ElementsAreArray(Range(1, got.back())));
  }
}

TEST(RedisFollowTest, FollowersOfBothReplicasResumeWithNoGapAfterARestart) {
  RedisServerOptions server_options;
  server_options.appendonly = true;
  std::unique_ptr<RedisServer> redis = StartRedis(server_options);
  ASSERT_NE(redis, nullptr);
  TwoReplicasFollowing both(QuickRetry(redis->url()));
  ASSERT_TRUE(both.following());
  RedisSessionStore& a = both.a;
  RedisSessionStore& b = both.b;
  RecordingListener& on_a = both.on_a;
  RecordingListener& on_b = both.on_b;
  ASSERT_EQ(CommitFresh(b, "s1", 2, "before"), 3);
  ASSERT_TRUE(on_a.WaitFor(3));

  ASSERT_TRUE(redis->Stop().ok());
  ASSERT_TRUE(redis->Restart().ok());
  // Right after the restart, maybe before either subscriber is back.
  CommitFresh(b, "s1", 2, "b after");
  const int64_t last = CommitFresh(a, "s1", 1, "a after");
  ASSERT_EQ(last, 6);

  ASSERT_TRUE(on_a.WaitFor(last));
  ASSERT_TRUE(on_b.WaitFor(last));
  EXPECT_THAT(on_a.sequences(), ElementsAreArray(Range(1, last)));
  EXPECT_THAT(on_b.sequences(), ElementsAreArray(Range(1, last)));
  EXPECT_TRUE(WaitSubscribed(a, 2));
  EXPECT_TRUE(WaitSubscribed(b, 2));
}

}  // namespace
}  // namespace coachd
