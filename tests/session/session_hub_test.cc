// The session hub's fan-out and resume over the embedded store: every event
// after a subscriber's position exactly once, or an explicit "not recovered"
// snapshot first. Sessions are played by the runner on a FakeClock.
#include "services/session/session_hub.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

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
#include "services/session/session_runner.h"
#include "services/session/timer_driver.h"
#include "services/session/timer_leases.h"
#include "services/session/timer_queue.h"
#include "services/store/memory_session_store.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::coach::v1::ResumePosition;
using ::testing::HasSubstr;

const Identity kAlice{"alice", Role::kUser};

// Keeps what the hub delivers.
class FakeSink : public EventSink {
 public:
  void Deliver(const StoredEvent& event) override {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  std::vector<StoredEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Sequences of the events that are not snapshots.
  std::vector<int64_t> Sequences() const {
    std::vector<int64_t> out;
    for (const StoredEvent& ev : events()) {
      if (!ev->has_snapshot()) out.push_back(ev->sequence());
    }
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<StoredEvent> events_ ABSL_GUARDED_BY(mu_);
};

std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> out;
  for (int64_t i = first; i <= last; ++i) out.push_back(i);
  return out;
}

ResumePosition Position(const std::string& epoch, int64_t last_sequence) {
  ResumePosition p;
  p.set_epoch(epoch);
  p.set_last_sequence(last_sequence);
  return p;
}

// The embedded store, counting history reads and follows.
class CountingStore : public MemorySessionStore {
 public:
  using MemorySessionStore::MemorySessionStore;
  absl::StatusOr<HistoryRead> ReadHistory(absl::string_view session_id,
                                          absl::string_view epoch,
                                          int64_t after_sequence,
                                          int max_events) override {
    reads_.fetch_add(1);
    return MemorySessionStore::ReadHistory(session_id, epoch, after_sequence,
                                           max_events);
  }
  absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, int64_t after_sequence,
      EventListener* listener) override {
    follows_.fetch_add(1);
    return MemorySessionStore::Follow(session_id, after_sequence, listener);
  }
  int reads() const { return reads_.load(); }
  int follows() const { return follows_.load(); }

 private:
  std::atomic<int> reads_{0};
  std::atomic<int> follows_{0};
};

// A store, a runner that plays sessions on it, and a hub that follows it.
class Fixture {
 public:
  explicit Fixture(MemorySessionStoreOptions store_options = {},
                   HubOptions hub_options = {})
      : store_(store_options),
        timers_(&clock_),
        driver_(&leases_, &store_, &timers_, nullptr, &clock_),
        runner_(&RealCatalog(), &store_, &clock_, &driver_, &policy_, {}),
        cleanup_(1),
        hub_(&store_, &clock_, &cleanup_, hub_options) {}

  std::string Start() {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    absl::StatusOr<coach::v1::SessionView> view =
        runner_.Start(kAlice, request);
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? view->session_id() : "";
  }

  // Fires timers until the session has none left (it finished); false if
  // it still had one after `max_timers`.
  bool PlayToTheEnd(int max_timers = 5000) {
    for (int i = 0; i < max_timers; ++i) {
      const absl::Time next = timers_.NextDeadline();
      if (next == absl::InfiniteFuture()) return true;
      clock_.Set(next);
      for (const std::string& id : timers_.TakeDue()) {
        if (!runner_.Tick(id).ok()) return false;
      }
    }
    return false;
  }

  // Fires the next `n` timers.
  void Play(int n) {
    for (int i = 0; i < n; ++i) {
      const absl::Time next = timers_.NextDeadline();
      ASSERT_NE(next, absl::InfiniteFuture());
      clock_.Set(next);
      for (const std::string& id : timers_.TakeDue()) {
        ASSERT_TRUE(runner_.Tick(id).ok());
      }
    }
  }

  SessionRecord Record(const std::string& id) {
    absl::StatusOr<SessionRecord> record = store_.Load(id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : SessionRecord();
  }

  std::unique_ptr<HubAttachment> Attach(const std::string& id,
                                        const ResumePosition* position,
                                        EventSink* sink) {
    absl::StatusOr<std::unique_ptr<HubAttachment>> a =
        hub_.Attach(Record(id), position, sink);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? *std::move(a) : nullptr;
  }

  SessionRunner& runner() { return runner_; }
  SessionHub& hub() { return hub_; }
  const CountingStore& store() const { return store_; }

 private:
  FakeClock clock_;
  CountingStore store_;
  TimerQueue timers_;
  MemoryTimerLeases leases_;
  TimerDriver driver_;
  OwnerOnlyPolicy policy_;
  SessionRunner runner_;
  Executor cleanup_;  // Declared after the store it unfollows.
  SessionHub hub_;
};

TEST(SessionHubTest, ResumeDeliversEveryLaterEventExactlyOnce) {
  for (const char* where :
       {"start", "second", "middle", "one before the end", "the end"}) {
    SCOPED_TRACE(absl::StrCat("resume from ", where));
    Fixture f;
    const std::string id = f.Start();
    f.Play(12);
    const SessionRecord record = f.Record(id);
    const int64_t last = record.last_sequence();
    ASSERT_GT(last, 10);
    const std::string w = where;
    const int64_t n = w == "start"     ? 0
                      : w == "second"  ? 1
                      : w == "middle"  ? last / 2
                      : w == "the end" ? last
                                       : last - 1;
    FakeSink sink;
    const ResumePosition position = Position(record.epoch(), n);
    std::unique_ptr<HubAttachment> a = f.Attach(id, &position, &sink);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(sink.Sequences(), Range(n + 1, last));
    for (const StoredEvent& ev : sink.events()) {
      EXPECT_FALSE(ev->has_snapshot());
      EXPECT_EQ(ev->epoch(), record.epoch());
    }
    // Then the live ones, still exactly once.
    f.Play(3);
    const int64_t now = f.Record(id).last_sequence();
    ASSERT_GT(now, last);
    EXPECT_EQ(sink.Sequences(), Range(n + 1, now));
    // Detached: nothing more arrives.
    a.reset();
    const size_t delivered = sink.events().size();
    f.Play(2);
    EXPECT_EQ(sink.events().size(), delivered);
  }
}

TEST(SessionHubTest, ResumeFromAnyPositionOfALiveChannel) {
  Fixture f;
  const std::string id = f.Start();
  // A first subscriber keeps the channel (and its window) open.
  FakeSink first;
  std::unique_ptr<HubAttachment> keep = f.Attach(id, nullptr, &first);
  f.Play(12);
  const SessionRecord record = f.Record(id);
  const int64_t last = record.last_sequence();
  for (int64_t n = 0; n <= last; ++n) {
    SCOPED_TRACE(absl::StrCat("resume after ", n));
    FakeSink sink;
    const ResumePosition position = Position(record.epoch(), n);
    std::unique_ptr<HubAttachment> a = f.Attach(id, &position, &sink);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(sink.Sequences(), Range(n + 1, last));
  }
  EXPECT_EQ(f.hub().ChannelCount(), 1);
}

TEST(SessionHubTest, EverySubscriberSeesTheSameSequence) {
  Fixture f;
  const std::string id = f.Start();
  const SessionRecord record = f.Record(id);
  FakeSink voice, display;
  const ResumePosition start = Position(record.epoch(), 0);
  std::unique_ptr<HubAttachment> a = f.Attach(id, &start, &voice);
  f.Play(4);
  const ResumePosition mid =
      Position(record.epoch(), f.Record(id).last_sequence() - 2);
  std::unique_ptr<HubAttachment> b = f.Attach(id, &mid, &display);
  f.Play(6);
  const int64_t last = f.Record(id).last_sequence();
  EXPECT_EQ(voice.Sequences(), Range(1, last));
  EXPECT_EQ(display.Sequences(), Range(mid.last_sequence() + 1, last));
  // The very same stored events, not copies.
  const std::vector<StoredEvent> v = voice.events();
  const std::vector<StoredEvent> d = display.events();
  EXPECT_EQ(v.back().get(), d.back().get());
}

TEST(SessionHubTest, NoPositionGivesARecoveredSnapshotThenLiveEvents) {
  Fixture f;
  const std::string id = f.Start();
  f.Play(5);
  const SessionRecord record = f.Record(id);
  FakeSink sink;
  std::unique_ptr<HubAttachment> a = f.Attach(id, nullptr, &sink);
  ASSERT_NE(a, nullptr);
  std::vector<StoredEvent> events = sink.events();
  ASSERT_EQ(events.size(), 1u);
  const coach::v1::SessionEvent& snap = *events[0];
  ASSERT_TRUE(snap.has_snapshot());
  EXPECT_TRUE(snap.snapshot().recovered());
  EXPECT_EQ(snap.sequence(), record.last_sequence());
  EXPECT_EQ(snap.epoch(), record.epoch());
  EXPECT_EQ(snap.snapshot().session().last_sequence(), record.last_sequence());
  EXPECT_EQ(snap.snapshot().session().owner(), "alice");
  EXPECT_EQ(snap.snapshot().session().routine().id(), "demo");
  EXPECT_EQ(snap.status().step_kind(), coach::v1::STEP_KIND_FLOW);
  EXPECT_FALSE(snap.card().title().empty());
  f.Play(2);
  EXPECT_EQ(sink.Sequences(),
            Range(record.last_sequence() + 1, f.Record(id).last_sequence()));
}

struct LostCase {
  std::string name;
  MemorySessionStoreOptions store;
  HubOptions hub;
  bool stale_epoch;
  bool ahead;
  std::string reason;
};

TEST(SessionHubTest, LostHistoryGivesAnUnrecoveredSnapshotFirst) {
  const std::vector<LostCase> cases = {
      {"stale epoch", {}, {}, /*stale_epoch=*/true, false, "epoch"},
      {"history trimmed", MemorySessionStoreOptions{4}, HubOptions{2}, false,
       false, "history no longer holds"},
      {"position ahead of history", {}, {}, false, /*ahead=*/true, "ahead"},
  };
  for (const LostCase& c : cases) {
    SCOPED_TRACE(c.name);
    Fixture f(c.store, c.hub);
    const std::string id = f.Start();
    f.Play(12);
    const SessionRecord record = f.Record(id);
    ASSERT_GT(record.last_sequence(), 10);
    const ResumePosition position =
        Position(c.stale_epoch ? "some-old-epoch" : record.epoch(),
                 c.ahead ? record.last_sequence() + 5 : 1);
    FakeSink sink;
    std::unique_ptr<HubAttachment> a = f.Attach(id, &position, &sink);
    ASSERT_NE(a, nullptr);
    std::vector<StoredEvent> events = sink.events();
    ASSERT_EQ(events.size(), 1u);
    ASSERT_TRUE(events[0]->has_snapshot());
    EXPECT_FALSE(events[0]->snapshot().recovered());
    EXPECT_THAT(events[0]->snapshot().reason(), HasSubstr(c.reason));
    EXPECT_EQ(events[0]->sequence(), record.last_sequence());
    EXPECT_EQ(events[0]->epoch(), record.epoch());
    // Live events follow the snapshot with no gap.
    f.Play(3);
    EXPECT_EQ(sink.Sequences(),
              Range(record.last_sequence() + 1, f.Record(id).last_sequence()));
  }
}

TEST(SessionHubTest, WindowServesResumesThatTheStoreHasTrimmed) {
  // The store keeps 4 events, the channel's window 512: a subscriber that
  // was attached when they happened can resume from the window.
  Fixture f(MemorySessionStoreOptions{4}, HubOptions{512});
  const std::string id = f.Start();
  FakeSink keep_open;
  std::unique_ptr<HubAttachment> keep = f.Attach(id, nullptr, &keep_open);
  const int64_t attached_at = f.Record(id).last_sequence();
  f.Play(12);
  const SessionRecord record = f.Record(id);
  ASSERT_GT(record.last_sequence() - attached_at, 4);
  FakeSink sink;
  const ResumePosition position = Position(record.epoch(), attached_at + 1);
  std::unique_ptr<HubAttachment> a = f.Attach(id, &position, &sink);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(sink.Sequences(), Range(attached_at + 2, record.last_sequence()));
  for (const StoredEvent& ev : sink.events()) EXPECT_FALSE(ev->has_snapshot());
}

TEST(SessionHubTest, OneStoreReadServesEveryResumeWithinTheWindow) {
  // Events committed before any channel existed: the first attach reads the
  // newest window of them once; later resumes from inside it read nothing.
  Fixture f;
  const std::string id = f.Start();
  f.Play(12);
  const SessionRecord record = f.Record(id);
  ASSERT_GT(record.last_sequence(), 10);
  const int reads_before = f.store().reads();
  FakeSink voice, display;
  const ResumePosition from_start = Position(record.epoch(), 0);
  std::unique_ptr<HubAttachment> a = f.Attach(id, &from_start, &voice);
  EXPECT_EQ(f.store().reads() - reads_before, 1);
  const ResumePosition from_second = Position(record.epoch(), 2);
  std::unique_ptr<HubAttachment> b = f.Attach(id, &from_second, &display);
  EXPECT_EQ(f.store().reads() - reads_before, 1);
  EXPECT_EQ(voice.Sequences(), Range(1, record.last_sequence()));
  EXPECT_EQ(display.Sequences(), Range(3, record.last_sequence()));
}

TEST(SessionHubTest, SnapshotsCarryTheLastCardWhenHistoryIsShorter) {
  // The store keeps 4 events, the window is 512: the channel cannot seed a
  // whole window, but a joining device's snapshot still shows the moment.
  Fixture f(MemorySessionStoreOptions{4}, HubOptions{512});
  const std::string id = f.Start();
  f.Play(12);
  FakeSink sink;
  std::unique_ptr<HubAttachment> a = f.Attach(id, nullptr, &sink);
  ASSERT_NE(a, nullptr);
  const std::vector<StoredEvent> got = sink.events();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0]->has_snapshot());
  EXPECT_FALSE(got[0]->card().title().empty());
  EXPECT_EQ(got[0]->snapshot().session().card().title(),
            got[0]->card().title());
}

TEST(SessionHubTest, LastSubscriberLeavingClosesTheChannel) {
  Fixture f;
  const std::string id = f.Start();
  FakeSink a_sink, b_sink;
  std::unique_ptr<HubAttachment> a = f.Attach(id, nullptr, &a_sink);
  std::unique_ptr<HubAttachment> b = f.Attach(id, nullptr, &b_sink);
  EXPECT_EQ(f.hub().ChannelCount(), 1);
  a.reset();
  EXPECT_EQ(f.hub().ChannelCount(), 1);
  f.Play(1);
  EXPECT_FALSE(b_sink.Sequences().empty());
  b.reset();
  EXPECT_EQ(f.hub().ChannelCount(), 0);
  // A new subscriber gets a fresh channel that still resumes exactly.
  FakeSink c_sink;
  const SessionRecord record = f.Record(id);
  const ResumePosition position = Position(record.epoch(), 2);
  std::unique_ptr<HubAttachment> c = f.Attach(id, &position, &c_sink);
  EXPECT_EQ(c_sink.Sequences(), Range(3, record.last_sequence()));
}

TEST(SessionHubTest, AFinishedSessionIsReplayedWithoutFollowingTheStore) {
  Fixture f;
  const std::string live = f.Start();
  const std::string done = f.Start();
  FakeSink on_live;
  const SessionRecord live_record = f.Record(live);
  const ResumePosition from_live_start = Position(live_record.epoch(), 0);
  std::unique_ptr<HubAttachment> a = f.Attach(live, &from_live_start, &on_live);
  EXPECT_EQ(f.store().follows(), 1);  // A live session is followed.

  ASSERT_TRUE(f.PlayToTheEnd());
  const SessionRecord record = f.Record(done);
  ASSERT_EQ(record.engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  FakeSink sink;
  const ResumePosition position = Position(record.epoch(), 0);
  std::unique_ptr<HubAttachment> b = f.Attach(done, &position, &sink);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(sink.Sequences(), Range(1, record.last_sequence()));
  EXPECT_EQ(f.store().follows(), 1);  // Nothing can follow a finished one.
  // The live session's subscriber saw it to its end through its follow.
  EXPECT_EQ(on_live.Sequences(), Range(1, f.Record(live).last_sequence()));
}

}  // namespace
}  // namespace coachd
