// Timer leases and the driver, with in-process "replicas" (each its own
// runner, timer queue, hub and driver) sharing one embedded store and a fake
// lease table on a FakeClock: who ticks, how a change made on another
// replica reaches the holder, takeover after expiry with nothing lost or
// repeated, lost leases, bounded sweeps, finishing. Due timers are ticked
// by hand, so every step is deterministic.
#include "services/session/timer_driver.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/session/access_policy.h"
#include "services/session/session_engine.h"
#include "services/session/session_hub.h"
#include "services/session/session_runner.h"
#include "services/session/timer_leases.h"
#include "services/session/timer_queue.h"
#include "services/store/memory_session_store.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::coach::v1::CommandType;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::Duration kTtl = absl::Seconds(3);
const Identity kAlice{"alice", Role::kUser};

// The embedded store, counting loads (a load is a round trip on Redis).
class CountingStore : public SessionStore {
 public:
  absl::StatusOr<std::vector<StoredEvent>> Create(
      SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override {
    return store_.Create(record, std::move(events));
  }
  absl::StatusOr<SessionRecord> Load(absl::string_view session_id) override {
    loads_.fetch_add(1);
    return store_.Load(session_id);
  }
  absl::StatusOr<std::vector<StoredEvent>> Commit(
      int64_t expected_sequence, SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override {
    return store_.Commit(expected_sequence, record, std::move(events));
  }
  absl::StatusOr<HistoryRead> ReadHistory(absl::string_view session_id,
                                          absl::string_view epoch,
                                          int64_t after_sequence,
                                          int max_events) override {
    return store_.ReadHistory(session_id, epoch, after_sequence, max_events);
  }
  absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, int64_t after_sequence,
      EventListener* listener) override {
    return store_.Follow(session_id, after_sequence, listener);
  }
  absl::StatusOr<std::vector<std::string>> ListLive() override {
    return store_.ListLive();
  }
  absl::Status Ping() override { return store_.Ping(); }

  int loads() const { return loads_.load(); }

 private:
  MemorySessionStore store_;
  std::atomic<int> loads_{0};
};

// What Redis holds for leases: session -> (holder, expiry), on a FakeClock.
class LeaseTable {
 public:
  explicit LeaseTable(const FakeClock* clock) : clock_(clock) {}

  // SET NX PX, or already the holder's (then extended).
  bool TryTake(const std::string& id, const std::string& holder) {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.second > clock_->Now() &&
        it->second.first != holder) {
      return false;
    }
    leases_[id] = {holder, clock_->Now() + kTtl};
    return true;
  }
  // Compare-and-PEXPIRE.
  bool Extend(const std::string& id, const std::string& holder) {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.second <= clock_->Now() ||
        it->second.first != holder) {
      return false;
    }
    it->second.second = clock_->Now() + kTtl;
    return true;
  }
  // Compare-and-DEL.
  void Erase(const std::string& id, const std::string& holder) {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(id);
    if (it != leases_.end() && it->second.first == holder) leases_.erase(it);
  }
  // The live holder, or "".
  std::string Holder(const std::string& id) const {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.second <= clock_->Now()) return "";
    return it->second.first;
  }
  // Another holder takes the lease (as after an expiry nobody noticed).
  void GiveTo(const std::string& id, const std::string& holder) {
    absl::MutexLock lock(&mu_);
    leases_[id] = {holder, clock_->Now() + kTtl};
  }
  // The leases `holder` has, with their expiry (to restore after a crash).
  std::vector<std::pair<std::string, absl::Time>> HeldBy(
      const std::string& holder) const {
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<std::string, absl::Time>> held;
    for (const auto& [id, lease] : leases_) {
      if (lease.first == holder) held.emplace_back(id, lease.second);
    }
    return held;
  }
  void Restore(const std::string& holder,
               const std::vector<std::pair<std::string, absl::Time>>& held) {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, until] : held) leases_[id] = {holder, until};
  }
  void set_unreachable(bool unreachable) {
    absl::MutexLock lock(&mu_);
    unreachable_ = unreachable;
  }
  bool unreachable() const {
    absl::MutexLock lock(&mu_);
    return unreachable_;
  }

 private:
  const FakeClock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::pair<std::string, absl::Time>> leases_
      ABSL_GUARDED_BY(mu_);
  bool unreachable_ ABSL_GUARDED_BY(mu_) = false;
};

// TimerLeases over the table, with the semantics of RedisTimerLeases.
class FakeLeases : public TimerLeases {
 public:
  FakeLeases(LeaseTable* table, std::string holder, const FakeClock* clock)
      : table_(table), holder_(std::move(holder)), clock_(clock) {}

  const std::string& holder_id() const override { return holder_; }
  bool shared() const override { return true; }
  absl::Duration ttl() const override { return kTtl; }
  absl::StatusOr<std::vector<std::string>> Acquire(
      const std::vector<std::string>& ids) override {
    if (table_->unreachable()) return absl::UnavailableError("leases down");
    std::vector<std::string> taken;
    absl::MutexLock lock(&mu_);
    for (const std::string& id : ids) {
      if (table_->TryTake(id, holder_)) {
        held_[id] = clock_->Now() + kTtl;
        taken.push_back(id);
      }
    }
    return taken;
  }
  bool Holds(absl::string_view id) const override {
    absl::MutexLock lock(&mu_);
    auto it = held_.find(id);
    return it != held_.end() && clock_->Now() < it->second;
  }
  std::vector<std::string> RenewHeld() override {
    std::vector<std::string> lost;
    absl::MutexLock lock(&mu_);
    for (auto it = held_.begin(); it != held_.end();) {
      const bool unreachable = table_->unreachable();
      if (!unreachable && it->second > clock_->Now() &&
          table_->Extend(it->first, holder_)) {
        it->second = clock_->Now() + kTtl;
        ++it;
      } else if (unreachable && it->second > clock_->Now()) {
        ++it;  // Try again later.
      } else {
        lost.push_back(it->first);
        held_.erase(it++);
      }
    }
    return lost;
  }
  void Release(absl::string_view id) override {
    absl::MutexLock lock(&mu_);
    held_.erase(id);
    table_->Erase(std::string(id), holder_);
  }
  std::vector<std::string> Held() const override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    for (const auto& [id, until] : held_) ids.push_back(id);
    return ids;
  }

 private:
  LeaseTable* table_;
  const std::string holder_;
  const FakeClock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> held_ ABSL_GUARDED_BY(mu_);
};

// One coachd replica's session parts, in process.
struct Replica {
  Replica(const std::string& name, SessionStore* store, FakeClock* clock,
          LeaseTable* table, TimerDriverOptions options = {})
      : clock(clock),
        leases(table, name, clock),
        timers(clock),
        cleanup(1),
        hub(store, clock, &cleanup),
        driver(&leases, store, &timers, &hub, clock, options),
        runner(&RealCatalog(), store, clock, &driver, &policy, {}) {}
  ~Replica() { driver.Stop(); }

  std::string Start() {
    absl::StatusOr<coach::v1::SessionView> view = runner.Start(kAlice, Demo());
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? view->session_id() : "";
  }

  static coach::v1::StartSessionRequest Demo() {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    return request;
  }

  absl::Status Command(const std::string& id, CommandType type) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command_id(absl::StrCat("cmd-", ++commands));
    request.set_command(type);
    return runner.Command(kAlice, request).status();
  }

  // Ticks the sessions due now (as the timer loop would): those a change
  // made on another replica made due at once. Returns how many.
  int TickDueNow() {
    int ticked = 0;
    for (const std::string& id : timers.TakeDue()) {
      const absl::Status status = runner.Tick(id);
      EXPECT_TRUE(status.ok()) << status;
      ++ticked;
    }
    return ticked;
  }

  // Ticks every session due by the clock (as the timer thread would).
  void FireDue() {
    for (const std::string& id : timers.TakeDue()) {
      const absl::Status ticked = runner.Tick(id);
      EXPECT_TRUE(ticked.ok()) << ticked;
    }
  }

  FakeClock* clock;
  FakeLeases leases;
  TimerQueue timers;
  Executor cleanup;
  SessionHub hub;
  OwnerOnlyPolicy policy;
  TimerDriver driver;
  SessionRunner runner;
  int commands = 0;
};

// What an event says, without its session id or time: two runs of the same
// routine at the same deadlines say the same things in the same order.
using EventKey = std::tuple<int, int, int, int>;  // payload, step, set, rep

class TimerDriverTest : public ::testing::Test {
 protected:
  TimerDriverTest() : table_(&clock_) {}

  // A replica, running until Remove or Crash (or the test's end).
  Replica& Add(const std::string& name, TimerDriverOptions options = {}) {
    auto& slot = replicas_[name];
    slot = std::make_unique<Replica>(name, &store_, &clock_, &table_, options);
    return *slot;
  }
  // Stops a replica gracefully (it releases its leases).
  void Remove(const std::string& name) { replicas_.erase(name); }
  // Kills a replica: its leases stay in the table until they expire.
  void Crash(const std::string& name) {
    const auto held = table_.HeldBy(name);
    replicas_.erase(name);
    table_.Restore(name, held);
  }

  // Moves the clock to `t` in steps of a second, every replica renewing
  // its leases after each step, as their renew threads would.
  void MoveClockTo(absl::Time t) {
    while (clock_.Now() < t) {
      clock_.Advance(std::min(t - clock_.Now(), absl::Seconds(1)));
      for (auto& [name, r] : replicas_) r->driver.Renew();
    }
  }

  // Moves the clock from timer to timer (of any replica) up to `until`,
  // each replica ticking what it has due.
  void DriveUntil(absl::Time until) {
    for (;;) {
      absl::Time next = absl::InfiniteFuture();
      for (auto& [name, r] : replicas_) {
        next = std::min(next, r->timers.NextDeadline());
      }
      if (next == absl::InfiniteFuture() || next > until) return;
      MoveClockTo(next);
      for (auto& [name, r] : replicas_) r->FireDue();
    }
  }

  SessionRecord Stored(const std::string& id) {
    absl::StatusOr<SessionRecord> record = store_.Load(id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : SessionRecord();
  }

  // The session's history as keys; fails unless sequences are 1..last.
  std::vector<EventKey> Keys(const std::string& id) {
    const SessionRecord record = Stored(id);
    absl::StatusOr<HistoryRead> read =
        store_.ReadHistory(id, record.epoch(), 0, 1000000);
    EXPECT_TRUE(read.ok()) << read.status();
    std::vector<EventKey> keys;
    if (!read.ok()) return keys;
    EXPECT_EQ(static_cast<int64_t>(read->events.size()),
              record.last_sequence());
    for (size_t i = 0; i < read->events.size(); ++i) {
      const coach::v1::SessionEvent& e = *read->events[i];
      EXPECT_EQ(e.sequence(), static_cast<int64_t>(i) + 1);
      keys.emplace_back(e.payload_case(), e.status().step_index(),
                        e.status().set(), e.status().rep());
    }
    return keys;
  }

  FakeClock clock_;
  CountingStore store_;
  LeaseTable table_;
  std::map<std::string, std::unique_ptr<Replica>> replicas_;
};

TEST_F(TimerDriverTest, OnlyTheLeaseHolderTicks) {
  Replica& a = Add("a");
  Replica& b = Add("b");
  const std::string id = a.Start();
  EXPECT_TRUE(a.driver.Drives(id));
  EXPECT_FALSE(b.driver.Drives(id));
  EXPECT_EQ(table_.Holder(id), "a");
  EXPECT_EQ(a.timers.NextDeadline(), SessionEngine::NextDeadline(Stored(id)));
  EXPECT_EQ(b.timers.size(), 0);

  MoveClockTo(a.timers.NextDeadline());
  const int64_t before = Stored(id).last_sequence();
  ASSERT_TRUE(b.runner.Tick(id).ok());
  EXPECT_EQ(Stored(id).last_sequence(), before) << "b ticked a's session";
  ASSERT_TRUE(a.runner.Tick(id).ok());
  EXPECT_GT(Stored(id).last_sequence(), before);
}

TEST_F(TimerDriverTest, CommandOnAnotherReplicaReschedulesTheHolder) {
  Replica& a = Add("a");
  Replica& b = Add("b");
  const std::string id = a.Start();
  DriveUntil(clock_.Now() + absl::Seconds(20));

  ASSERT_TRUE(b.Command(id, coach::v1::COMMAND_TYPE_PAUSE).ok());
  EXPECT_EQ(b.timers.size(), 0) << "b must not drive a's session";
  EXPECT_EQ(a.TickDueNow(), 1);
  EXPECT_EQ(a.timers.NextDeadline(), absl::InfiniteFuture())
      << "a still times a paused session";

  MoveClockTo(clock_.Now() + absl::Minutes(5));  // Paused: nothing is due.
  ASSERT_TRUE(b.Command(id, coach::v1::COMMAND_TYPE_RESUME).ok());
  EXPECT_EQ(a.TickDueNow(), 1);
  const absl::Time resumed = SessionEngine::NextDeadline(Stored(id));
  ASSERT_NE(resumed, absl::InfiniteFuture());
  EXPECT_EQ(a.timers.NextDeadline(), resumed);

  ASSERT_TRUE(b.Command(id, coach::v1::COMMAND_TYPE_NEXT).ok());
  EXPECT_EQ(a.TickDueNow(), 1);
  EXPECT_EQ(a.timers.NextDeadline(), SessionEngine::NextDeadline(Stored(id)));
  EXPECT_EQ(b.timers.size(), 0);
}

TEST_F(TimerDriverTest, OwnCommitsNeedNoReload) {
  Replica& a = Add("a");
  const std::string id = a.Start();
  const int64_t before = Stored(id).last_sequence();
  const int loads = store_.loads();
  DriveUntil(absl::InfiniteFuture());  // The whole session.
  EXPECT_EQ(store_.loads(), loads) << "the holder reloaded its own commits";
  const SessionRecord done = Stored(id);
  EXPECT_EQ(done.engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_GT(done.last_sequence(), before + 100);
}

TEST_F(TimerDriverTest, TakeoverLosesAndRepeatsNothing) {
  // Reference: one replica drives the whole session.
  std::vector<EventKey> reference;
  {
    Replica& solo = Add("solo");
    const std::string id = solo.Start();
    DriveUntil(absl::InfiniteFuture());
    ASSERT_EQ(Stored(id).engine().run_state(), coach::v1::RUN_STATE_FINISHED);
    reference = Keys(id);
    Remove("solo");
  }
  clock_.Set(FakeClock().Now());

  Replica& a = Add("a");
  const std::string id = a.Start();
  DriveUntil(clock_.Now() + absl::Seconds(100));
  Crash("a");
  Replica& b = Add("b");
  ASSERT_TRUE(b.driver.Sweep().ok());
  EXPECT_FALSE(b.driver.Drives(id)) << "a's lease has not expired yet";
  // Nobody drives until well past the stored deadline.
  MoveClockTo(SessionEngine::NextDeadline(Stored(id)) + absl::Seconds(10));
  ASSERT_TRUE(b.driver.Sweep().ok());
  ASSERT_TRUE(b.driver.Drives(id));
  EXPECT_EQ(table_.Holder(id), "b");
  // The stored deadline passed while nobody drove: due at once.
  EXPECT_LE(b.timers.NextDeadline(), clock_.Now());
  DriveUntil(absl::InfiniteFuture());

  EXPECT_EQ(Stored(id).engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_EQ(Keys(id), reference);
  EXPECT_FALSE(b.driver.Drives(id));
  EXPECT_EQ(table_.Holder(id), "") << "a finished session kept its lease";
}

TEST_F(TimerDriverTest, AStaleHolderCommitsNothingTwice) {
  Replica& a = Add("a");
  Replica& b = Add("b");
  const std::string id = a.Start();
  DriveUntil(clock_.Now() + absl::Seconds(30));
  const absl::Time due = a.timers.NextDeadline();
  MoveClockTo(due - absl::Milliseconds(1));
  ASSERT_TRUE(b.driver.Sweep().ok());
  EXPECT_FALSE(b.driver.Drives(id)) << "a's lease is live";
  // a's lease expires in the table before a notices (it has not renewed).
  table_.Erase(id, "a");
  ASSERT_TRUE(b.driver.Sweep().ok());
  ASSERT_TRUE(b.driver.Drives(id));
  ASSERT_TRUE(a.driver.Drives(id)) << "a has not renewed: still believes";

  ASSERT_EQ(b.timers.NextDeadline(), due);
  clock_.Set(due);
  b.FireDue();
  const int64_t after_b = Stored(id).last_sequence();
  ASSERT_GT(after_b, 0);
  a.FireDue();  // The same deadline: b's events are there, a adds none.
  EXPECT_EQ(Stored(id).last_sequence(), after_b);
  a.driver.Renew();
  EXPECT_FALSE(a.driver.Drives(id));
  DriveUntil(absl::InfiniteFuture());
  EXPECT_EQ(Stored(id).engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  Keys(id);  // Contiguous.
}

TEST_F(TimerDriverTest, LostLeaseStopsDriving) {
  Replica& a = Add("a");
  const std::string id = a.Start();
  table_.GiveTo(id, "z");
  a.driver.Renew();
  EXPECT_FALSE(a.driver.Drives(id));
  EXPECT_THAT(a.driver.Driven(), IsEmpty());
  EXPECT_EQ(a.timers.size(), 0);
  EXPECT_EQ(table_.Holder(id), "z") << "a must not release z's lease";
}

TEST_F(TimerDriverTest, UnrenewedLeaseIsLostAfterItsTtl) {
  Replica& a = Add("a");
  const std::string id = a.Start();
  table_.set_unreachable(true);
  MoveClockTo(clock_.Now() + kTtl / 3);
  EXPECT_TRUE(a.driver.Drives(id)) << "within the ttl a keeps driving";
  clock_.Advance(kTtl);
  EXPECT_FALSE(a.driver.Drives(id));
  a.driver.Renew();
  EXPECT_THAT(a.driver.Driven(), IsEmpty());
  EXPECT_EQ(a.timers.size(), 0);

  table_.set_unreachable(false);  // Back: the sweep takes it again.
  ASSERT_TRUE(a.driver.Sweep().ok());
  EXPECT_TRUE(a.driver.Drives(id));
  EXPECT_EQ(a.timers.NextDeadline(), SessionEngine::NextDeadline(Stored(id)));
}

TEST_F(TimerDriverTest, SessionStartedWhileLeasesAreDownIsSweptUp) {
  Replica& a = Add("a");
  table_.set_unreachable(true);
  const std::string id = a.Start();
  EXPECT_FALSE(a.driver.Drives(id));
  EXPECT_EQ(a.timers.size(), 0);
  EXPECT_EQ(a.driver.Sweep().code(), absl::StatusCode::kUnavailable);
  table_.set_unreachable(false);
  ASSERT_TRUE(a.driver.Sweep().ok());
  EXPECT_TRUE(a.driver.Drives(id));
  EXPECT_EQ(a.timers.NextDeadline(), SessionEngine::NextDeadline(Stored(id)));
}

TEST_F(TimerDriverTest, FinishingOnAnotherReplicaReleasesTheLease) {
  Replica& a = Add("a");
  Replica& b = Add("b");
  const std::string id = a.Start();
  ASSERT_TRUE(b.Command(id, coach::v1::COMMAND_TYPE_END).ok());
  EXPECT_EQ(a.TickDueNow(), 1);
  EXPECT_FALSE(a.driver.Drives(id));
  EXPECT_THAT(a.driver.Driven(), IsEmpty());
  EXPECT_EQ(a.timers.size(), 0);
  EXPECT_EQ(table_.Holder(id), "");
}

TEST_F(TimerDriverTest, SweepTakesOverABoundedNumberPerPass) {
  std::vector<std::string> ids;
  Replica& dead = Add("dead");
  for (int i = 0; i < 5; ++i) ids.push_back(dead.Start());
  Crash("dead");
  MoveClockTo(clock_.Now() + kTtl);  // Its leases expire.
  TimerDriverOptions options;
  options.max_takeovers_per_sweep = 2;
  Replica& b = Add("b", options);
  const std::vector<size_t> expected = {2, 4, 5, 5};
  for (size_t pass = 0; pass < expected.size(); ++pass) {
    SCOPED_TRACE(pass);
    ASSERT_TRUE(b.driver.Sweep().ok());
    EXPECT_EQ(b.driver.Driven().size(), expected[pass]);
    EXPECT_EQ(b.timers.size(), static_cast<int>(expected[pass]));
  }
  for (const std::string& id : ids) EXPECT_EQ(table_.Holder(id), "b");
}

TEST_F(TimerDriverTest, StopReleasesEveryLease) {
  Replica& a = Add("a");
  std::vector<std::string> ids = {a.Start(), a.Start()};
  std::sort(ids.begin(), ids.end());
  a.driver.Stop();
  EXPECT_THAT(a.driver.Driven(), IsEmpty());
  for (const std::string& id : ids) EXPECT_EQ(table_.Holder(id), "");
  Replica& b = Add("b");
  ASSERT_TRUE(b.driver.Sweep().ok());
  EXPECT_EQ(b.driver.Driven(), ids);
}

TEST(MemoryTimerLeasesTest, GrantsEverythingAndNeverExpires) {
  MemoryTimerLeases leases;
  EXPECT_FALSE(leases.shared());
  EXPECT_EQ(leases.ttl(), absl::InfiniteDuration());
  absl::StatusOr<std::vector<std::string>> held = leases.Acquire({"x", "y"});
  ASSERT_TRUE(held.ok());
  EXPECT_THAT(*held, ElementsAre("x", "y"));
  EXPECT_TRUE(leases.Holds("x"));
  EXPECT_THAT(leases.RenewHeld(), IsEmpty());
}

}  // namespace
}  // namespace coachd
