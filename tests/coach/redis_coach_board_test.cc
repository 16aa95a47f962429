// RedisCoachBoard fed with hand-made commits, two boards ("replicas") on one
// real redis-server: what one publishes the other's watchers get, discomfort
// first; a late commit of a session comes without rows; resumes
// from Redis and from a replica's mirror; trimmed history and a board lost
// in Redis give a not-recovered snapshot; UNAVAILABLE while Redis is down;
// a person's own board across the replicas.
//
// Waits carry a generous limit only so that a broken test fails instead of
// hanging; no outcome depends on timing.
#include "services/coach/redis_coach_board.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/coach/redis_coach_link_store.h"
#include "services/redis/redis_url.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kHangGuard = absl::Seconds(60);

// `events` as a store returns them from a commit.
std::vector<StoredEvent> Stored(std::vector<SessionEvent> events) {
  std::vector<StoredEvent> stored;
  for (SessionEvent& event : events) {
    stored.push_back(StoredEvent::Make(std::move(event)));
  }
  return stored;
}

// Collects what a board delivers; waits for it.
class Collector : public LiveSink {
 public:
  void Deliver(const SharedUpdate& update) override {
    absl::MutexLock lock(&mu_);
    updates_.push_back(*update);
  }
  void Fail(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    failure_ = status;
  }

  // Waits for `n` updates (or a failure) and takes them.
  std::vector<LiveUpdate> Take(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return updates_.size() >= n || !failure_.ok();
    };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&ready), kHangGuard))
        << "waited for " << n << " updates, got " << updates_.size();
    std::vector<LiveUpdate> got = std::move(updates_);
    updates_.clear();
    return got;
  }

  // Waits for the first update that `stop` accepts; takes it and what
  // came before it.
  std::vector<LiveUpdate> TakeUntil(
      const std::function<bool(const LiveUpdate&)>& stop) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, &stop]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const LiveUpdate& u : updates_) {
        if (stop(u)) return true;
      }
      return false;
    };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&ready), kHangGuard));
    std::vector<LiveUpdate> got;
    size_t i = 0;
    for (; i < updates_.size(); ++i) {
      got.push_back(updates_[i]);
      if (stop(updates_[i])) break;
    }
    updates_.erase(updates_.begin(),
                   updates_.begin() + std::min(i + 1, updates_.size()));
    return got;
  }

  // Waits for a failure.
  absl::Status WaitFailure() {
    absl::MutexLock lock(&mu_);
    auto failed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !failure_.ok();
    };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&failed), kHangGuard));
    return failure_;
  }

  size_t Count() {
    absl::MutexLock lock(&mu_);
    return updates_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<LiveUpdate> updates_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

// One replica: its links store and board.
struct Replica {
  std::unique_ptr<RedisClient> client;  // First: outlives the stores.
  std::unique_ptr<RedisCoachLinkStore> links;
  std::unique_ptr<RedisCoachBoard> board;
};

class RedisCoachBoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    address_ = *ParseRedisUrl(redis_->url());
    a_ = NewReplica();
    b_ = NewReplica();
    ASSERT_TRUE(*a_.links->Link("alice", "coach-a", clock_.Now()));
  }

  Replica NewReplica(int window = 512) {
    Replica r;
    RedisClientOptions client;
    client.address = address_;
    r.client = std::make_unique<RedisClient>(client);
    r.links = std::make_unique<RedisCoachLinkStore>(
        r.client.get(), RedisCoachLinkStoreOptions{});
    RedisCoachBoardOptions board;
    board.window = window;
    board.follow_block = absl::Milliseconds(100);
    r.board = std::make_unique<RedisCoachBoard>(r.links.get(), &clock_,
                                                r.client.get(), board);
    return r;
  }

  static coach::internal::SessionRecord Record(const std::string& person,
                                               const std::string& id,
                                               int64_t sequence,
                                               bool finished = false) {
    coach::internal::SessionRecord record;
    record.set_session_id(id);
    record.set_owner(person);
    record.set_last_sequence(sequence);
    auto* item = record.mutable_routine()->add_items();
    item->set_exercise_id("band-row");
    item->set_exercise_name("Band row");
    if (finished) {
      record.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
    }
    return record;
  }

  static SessionEvent Event(
      int64_t sequence,
      coach::v1::RunState state = coach::v1::RUN_STATE_RUNNING) {
    SessionEvent event;
    event.set_sequence(sequence);
    event.mutable_status()->set_run_state(state);
    event.mutable_status()->set_exercise_id("band-row");
    event.mutable_status()->set_exercise_name("Band row");
    event.mutable_status()->set_set(1);
    event.mutable_status()->set_sets(3);
    return event;
  }

  // A set done, then a discomfort report: one commit, ending at `last`.
  static std::vector<StoredEvent> SetDoneThenDiscomfort(
      int64_t last, const std::string& note) {
    std::vector<SessionEvent> events{
        Event(last - 1), Event(last, coach::v1::RUN_STATE_DISCOMFORT)};
    events[0].mutable_set_done()->set_set(1);
    events[0].mutable_set_done()->set_sets(3);
    events[1].mutable_discomfort_reported()->set_exercise_id("band-row");
    events[1].mutable_discomfort_reported()->set_note(note);
    return Stored(std::move(events));
  }

  // Pause and resume of `person`'s session `id`: two updates.
  void PauseResume(RedisCoachBoard& board, const std::string& person,
                   const std::string& id, int64_t* sequence) {
    std::vector<SessionEvent> events{
        Event(++*sequence, coach::v1::RUN_STATE_PAUSED), Event(++*sequence)};
    events[0].mutable_paused();
    events[1].mutable_resumed();
    board.OnCommit(Record(person, id, *sequence), Stored(std::move(events)));
  }

  static std::vector<coach::v1::LiveUpdateKind> Kinds(
      const std::vector<LiveUpdate>& updates) {
    std::vector<coach::v1::LiveUpdateKind> kinds;
    for (const LiveUpdate& u : updates) kinds.push_back(u.kind());
    return kinds;
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> redis_;
  RedisAddress address_;
  Replica a_;
  Replica b_;
};

TEST_F(RedisCoachBoardTest, AReplicaSeesWhatAnotherPublishedDiscomfortFirst) {
  Collector sink;
  auto attachment = *b_.board->Attach("coach-a", nullptr, &sink);
  std::vector<LiveUpdate> first = sink.Take(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  EXPECT_TRUE(first[0].board().recovered());

  a_.board->OnCommit(Record("alice", "s1", 11),
                     SetDoneThenDiscomfort(11, "lower back"));
  a_.board->OnCommit(Record("carol", "c1", 11),  // Not a client.
                     SetDoneThenDiscomfort(11, "knee"));
  a_.board->Drain();
  std::vector<LiveUpdate> got = sink.Take(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_THAT(Kinds(got), ElementsAre(coach::v1::LIVE_UPDATE_KIND_DISCOMFORT,
                                      coach::v1::LIVE_UPDATE_KIND_SET_DONE));
  EXPECT_TRUE(got[0].flagged());
  EXPECT_EQ(got[0].note(), "lower back");
  EXPECT_EQ(got[0].sequence(), first[0].sequence() + 1);
  EXPECT_EQ(got[1].sequence(), first[0].sequence() + 2);
  for (const LiveUpdate& u : got) {
    EXPECT_EQ(u.epoch(), first[0].epoch());
    EXPECT_EQ(u.person_id(), "alice");
  }

  // Either replica knows alice's live session and her last report.
  for (Replica* r : {&a_, &b_}) {
    absl::StatusOr<PersonLive> alice = r->board->LiveOf("alice");
    ASSERT_TRUE(alice.ok()) << alice.status();
    ASSERT_EQ(alice->live.size(), 1u);
    EXPECT_EQ(alice->live[0].run_state(), coach::v1::RUN_STATE_DISCOMFORT);
    ASSERT_TRUE(alice->last_discomfort.has_value());
    EXPECT_EQ(alice->last_discomfort->note(), "lower back");
  }
  EXPECT_EQ(a_.board->Stats().published, 2);
}

TEST_F(RedisCoachBoardTest,
       AnOwnBoardFollowsThePersonOnEveryReplicaAndResumes) {
  Collector own;
  auto attachment = *b_.board->AttachOwn("carol", nullptr, &own);  // No coach.
  const LiveUpdate snapshot = own.Take(1).front();
  EXPECT_TRUE(snapshot.board().recovered());
  Collector coach;
  auto coach_watch = *b_.board->Attach("coach-a", nullptr, &coach);
  coach.Take(1);
  int64_t sequence = 0;
  PauseResume(*a_.board, "carol", "c1", &sequence);
  a_.board->OnCommit(Record("carol", "c1", 11),
                     SetDoneThenDiscomfort(11, "knee"));
  PauseResume(*a_.board, "alice", "a1", &sequence);  // Not carol's.
  a_.board->Drain();
  std::vector<LiveUpdate> got = own.Take(4);
  EXPECT_THAT(Kinds(got), ElementsAre(coach::v1::LIVE_UPDATE_KIND_PAUSED,
                                      coach::v1::LIVE_UPDATE_KIND_RESUMED,
                                      coach::v1::LIVE_UPDATE_KIND_DISCOMFORT,
                                      coach::v1::LIVE_UPDATE_KIND_SET_DONE));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].person_id(), "carol");
    EXPECT_EQ(got[i].epoch(), snapshot.epoch());
    EXPECT_EQ(got[i].sequence(), snapshot.sequence() + 1 + int64_t(i));
  }
  // alice's updates reach her coach's board, not carol's.
  got = coach.Take(2);
  EXPECT_EQ(got.size(), 2u);
  for (const LiveUpdate& u : got) EXPECT_EQ(u.person_id(), "alice");
  EXPECT_EQ(own.Count(), 0u);
  EXPECT_EQ(a_.board->Stats().published, 2);  // Coaches' boards only.

  // A resume on the other replica (which reads Redis) misses nothing.
  attachment.reset();
  coach::v1::ResumePosition where;
  where.set_epoch(snapshot.epoch());
  where.set_last_sequence(snapshot.sequence() + 2);
  Collector resumed;
  auto again = *a_.board->AttachOwn("carol", &where, &resumed);
  got = resumed.Take(2);
  EXPECT_THAT(Kinds(got), ElementsAre(coach::v1::LIVE_UPDATE_KIND_DISCOMFORT,
                                      coach::v1::LIVE_UPDATE_KIND_SET_DONE));
  // A fresh watch gets carol's live row; a coach id's own board is empty.
  Collector fresh, other;
  auto f = *a_.board->AttachOwn("carol", nullptr, &fresh);
  auto o = *a_.board->AttachOwn("coach-a", nullptr, &other);
  got = fresh.Take(1);
  ASSERT_EQ(got[0].board().sessions_size(), 1);
  EXPECT_EQ(got[0].board().sessions(0).session_id(), "c1");
  EXPECT_EQ(got[0].sequence(), snapshot.sequence() + 4);
  EXPECT_EQ(other.Take(1)[0].board().sessions_size(), 0);
}

TEST_F(RedisCoachBoardTest, ALateCommitIsAppendedWithoutRowsAndRowsStay) {
  Collector sink;
  auto attachment = *b_.board->Attach("coach-a", nullptr, &sink);
  sink.Take(1);
  int64_t sequence = 20;
  PauseResume(*a_.board, "alice", "s1", &sequence);  // Through 22.
  a_.board->Drain();
  // Committed before the pause (on another replica), published after it:
  // its rows would show the session at set 1, before the pause.
  b_.board->OnCommit(Record("alice", "s1", 20),
                     SetDoneThenDiscomfort(20, "sharp"));
  b_.board->Drain();
  std::vector<LiveUpdate> got = sink.Take(4);
  EXPECT_THAT(Kinds(got), ElementsAre(coach::v1::LIVE_UPDATE_KIND_PAUSED,
                                      coach::v1::LIVE_UPDATE_KIND_RESUMED,
                                      coach::v1::LIVE_UPDATE_KIND_DISCOMFORT,
                                      coach::v1::LIVE_UPDATE_KIND_SET_DONE));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[1].has_session());
  EXPECT_TRUE(got[2].flagged());
  EXPECT_EQ(got[2].note(), "sharp");
  EXPECT_FALSE(got[2].has_session());
  EXPECT_FALSE(got[3].has_session());
  EXPECT_EQ(b_.board->Stats().published, 2);
  Collector fresh;
  auto probe = *a_.board->Attach("coach-a", nullptr, &fresh);
  std::vector<LiveUpdate> snapshot = fresh.Take(1);
  ASSERT_EQ(snapshot.size(), 1u);
  ASSERT_EQ(snapshot[0].board().sessions_size(), 1);
  EXPECT_EQ(snapshot[0].board().sessions(0).session_sequence(), 22);
  EXPECT_EQ(snapshot[0].board().sessions(0).run_state(),
            coach::v1::RUN_STATE_RUNNING);
  absl::StatusOr<PersonLive> alice = a_.board->LiveOf("alice");
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->live.size(), 1u);
  EXPECT_EQ(alice->live[0].session_sequence(), 22);
  EXPECT_EQ(alice->last_discomfort->note(), "sharp");  // Still recorded.
}

TEST_F(RedisCoachBoardTest, ResumesFromRedisAndFromTheMirrorExactlyOnce) {
  int64_t sequence = 0;
  for (int i = 0; i < 3; ++i) PauseResume(*a_.board, "alice", "s1", &sequence);
  a_.board->Drain();
  // b has no reader for the coach yet: the resume reads Redis.
  Collector first_watch;
  auto fresh = *b_.board->Attach("coach-a", nullptr, &first_watch);
  const LiveUpdate snapshot = first_watch.Take(1).front();
  int64_t last = snapshot.sequence();
  ASSERT_EQ(last, 6);
  fresh.reset();

  for (int64_t from : {int64_t{0}, int64_t{3}, last}) {
    SCOPED_TRACE(absl::StrCat("resume after ", from));
    coach::v1::ResumePosition where;
    where.set_epoch(snapshot.epoch());
    where.set_last_sequence(from);
    Collector sink;
    auto resumed = *b_.board->Attach("coach-a", &where, &sink);
    PauseResume(*a_.board, "alice", "s1", &sequence);
    a_.board->Drain();
    std::vector<LiveUpdate> got = sink.TakeUntil(
        [&](const LiveUpdate& u) { return u.sequence() == last + 2; });
    ASSERT_EQ(got.size(), static_cast<size_t>(last + 2 - from));
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].sequence(), from + 1 + static_cast<int64_t>(i));
      EXPECT_EQ(got[i].epoch(), snapshot.epoch());
      EXPECT_NE(got[i].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    }
    last += 2;
  }
}

// A burst of commits on a busy replica: the worker publishes what has
// queued in a few round trips, in order, instead of two round trips per
// commit (coaches, then scripts). One at a time it fell seconds behind under
// load, and a replica stopping spent its shutdown grace draining it.
TEST_F(RedisCoachBoardTest, CommitsQueuedTogetherArePublishedTogetherInOrder) {
  Collector sink;
  auto attachment = *b_.board->Attach("coach-a", nullptr, &sink);
  const LiveUpdate snapshot = sink.Take(1).front();
  constexpr int kCommits = 200;
  const int64_t round_trips = a_.client->Stats().round_trips;
  int64_t sequence = 0;
  for (int i = 0; i < kCommits; ++i) {
    PauseResume(*a_.board, "alice", "s1", &sequence);
  }
  a_.board->Drain();
  // One commit at a time: 2 * kCommits. Batched: a round trip or two per
  // run of the worker, each run taking what queued during the last.
  EXPECT_LT(a_.client->Stats().round_trips - round_trips, kCommits / 2);
  const std::vector<LiveUpdate> got = sink.Take(2 * kCommits);
  ASSERT_EQ(got.size(), static_cast<size_t>(2 * kCommits));
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].sequence(),
              snapshot.sequence() + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(got[i].kind(), i % 2 == 0 ? coach::v1::LIVE_UPDATE_KIND_PAUSED
                                        : coach::v1::LIVE_UPDATE_KIND_RESUMED);
  }
  EXPECT_EQ(a_.board->Stats().published, 2 * kCommits);
}

TEST_F(RedisCoachBoardTest, TrimmedHistoryAndBadPositionsGetNotRecovered) {
  Replica small = NewReplica(/*window=*/8);
  int64_t sequence = 0;
  // Enough for Redis to drop whole stream nodes (MAXLEN ~ trims by node).
  for (int i = 0; i < 150; ++i) {
    PauseResume(*small.board, "alice", "s1", &sequence);
  }
  small.board->Drain();
  Collector now;
  auto probe = *small.board->Attach("coach-a", nullptr, &now);
  const LiveUpdate snapshot = now.Take(1).front();
  ASSERT_EQ(snapshot.sequence(), 300);
  probe.reset();

  struct Case {
    std::string name;
    std::string epoch;
    int64_t last;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"trimmed", snapshot.epoch(), 2, "history trimmed"},
      {"another epoch", "not-this-one", 299, "another epoch"},
      {"ahead", snapshot.epoch(), 301, "ahead"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    coach::v1::ResumePosition where;
    where.set_epoch(c.epoch);
    where.set_last_sequence(c.last);
    Collector sink;
    auto attachment = *b_.board->Attach("coach-a", &where, &sink);
    std::vector<LiveUpdate> got = sink.Take(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    EXPECT_FALSE(got[0].board().recovered());
    EXPECT_THAT(got[0].board().reason(), HasSubstr(c.reason));
    EXPECT_EQ(got[0].sequence(), 300);
    EXPECT_EQ(got[0].epoch(), snapshot.epoch());
    ASSERT_EQ(got[0].board().sessions_size(), 1);
  }
}

TEST_F(RedisCoachBoardTest, ABoardLostInRedisGivesWatchersANewEpochSnapshot) {
  Collector sink;
  auto attachment = *b_.board->Attach("coach-a", nullptr, &sink);
  const LiveUpdate before = sink.Take(1).front();
  int64_t sequence = 0;
  PauseResume(*a_.board, "alice", "s1", &sequence);
  a_.board->Drain();
  sink.Take(2);

  RedisConnection admin(RedisConnectionOptions{address_});
  ASSERT_TRUE(admin.Command({"FLUSHALL"}).ok());  // Redis lost everything.
  std::vector<LiveUpdate> got = sink.TakeUntil([](const LiveUpdate& u) {
    return u.kind() == coach::v1::LIVE_UPDATE_KIND_SNAPSHOT;
  });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].board().recovered());
  EXPECT_THAT(got[0].board().reason(), HasSubstr("lost"));
  EXPECT_NE(got[0].epoch(), before.epoch());
  EXPECT_EQ(got[0].sequence(), 0);
  EXPECT_EQ(got[0].board().sessions_size(), 0);

  // The board carries on in its new epoch.
  ASSERT_TRUE(*a_.links->Link("alice", "coach-a", clock_.Now()));
  PauseResume(*a_.board, "alice", "s1", &sequence);
  a_.board->Drain();
  got = sink.Take(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].sequence(), 1);
  EXPECT_EQ(got[0].epoch(), got[1].epoch());
  EXPECT_NE(got[0].epoch(), before.epoch());
}

TEST_F(RedisCoachBoardTest, RedisDownFailsNewWatchesAndReadsWithUnavailable) {
  ASSERT_TRUE(redis_->Stop().ok());
  Collector sink;
  auto attachment = *b_.board->Attach("coach-a", nullptr, &sink);
  const absl::Status failed = sink.WaitFailure();
  EXPECT_TRUE(absl::IsUnavailable(failed)) << failed;
  EXPECT_THAT(std::string(failed.message()), HasSubstr("unreachable"));
  EXPECT_EQ(sink.Count(), 0u);
  const absl::Status live = b_.board->LiveOf("alice").status();
  EXPECT_TRUE(absl::IsUnavailable(live)) << live;
}

}  // namespace
}  // namespace coachd
