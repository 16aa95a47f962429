// MemoryCoachBoard fed with hand-made commits: discomfort first, per-coach
// sequences, resume exactly once or a not-recovered snapshot, link changes,
// and each person's own board.
#include "services/coach/memory_coach_board.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;

// `events` as a store returns them from a commit.
std::vector<StoredEvent> Stored(std::vector<SessionEvent> events) {
  std::vector<StoredEvent> stored;
  for (SessionEvent& event : events) {
    stored.push_back(StoredEvent::Make(std::move(event)));
  }
  return stored;
}

// Collects what the board delivers.
class Collector : public LiveSink {
 public:
  void Deliver(const SharedUpdate& update) override {
    absl::MutexLock lock(&mu_);
    updates_.push_back(*update);
  }
  std::vector<LiveUpdate> Take() {
    absl::MutexLock lock(&mu_);
    return std::move(updates_);
  }

 private:
  absl::Mutex mu_;
  std::vector<LiveUpdate> updates_;
};

class MemoryCoachBoardTest : public ::testing::Test {
 protected:
  MemoryCoachBoardTest()
      : board_(&links_, &clock_, MemoryCoachBoardOptions{8}) {
    EXPECT_TRUE(links_.Link("alice", "coach-a", clock_.Now()).ok());
  }

  // A record of `person`'s session `id` as of `sequence`.
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

  // An event with `sequence` and a status in band row, set `set`.
  static SessionEvent Event(int64_t sequence, int set = 1) {
    SessionEvent event;
    event.set_sequence(sequence);
    event.mutable_status()->set_run_state(coach::v1::RUN_STATE_RUNNING);
    event.mutable_status()->set_exercise_id("band-row");
    event.mutable_status()->set_exercise_name("Band row");
    event.mutable_status()->set_set(set);
    event.mutable_status()->set_sets(3);
    return event;
  }

  // Commits pause + resume for `person`'s session `id` (two updates).
  void PauseResume(const std::string& person, const std::string& id,
                   int64_t* sequence) {
    std::vector<SessionEvent> events{Event(++*sequence), Event(++*sequence)};
    events[0].mutable_paused();
    events[1].mutable_resumed();
    board_.OnCommit(Record(person, id, *sequence), Stored(std::move(events)));
  }

  static std::vector<int64_t> Sequences(const std::vector<LiveUpdate>& u) {
    std::vector<int64_t> s;
    for (const LiveUpdate& update : u) s.push_back(update.sequence());
    return s;
  }

  FakeClock clock_;
  MemoryCoachLinkStore links_;
  MemoryCoachBoard board_;
};

TEST_F(MemoryCoachBoardTest,
       DiscomfortComesFirstAndFlaggedAheadOfRoutineUpdates) {
  Collector sink;
  auto attachment = *board_.Attach("coach-a", nullptr, &sink);
  std::vector<SessionEvent> events;
  events.push_back(Event(10));
  events.back().mutable_set_done()->set_set(1);
  events.back().mutable_set_done()->set_sets(3);
  events.push_back(Event(11));
  events.back().mutable_rep()->set_rep(1);  // Detail: no update.
  events.push_back(Event(12));
  events.back().mutable_exercise_intro()->set_exercise_id("band-row");
  events.back().mutable_exercise_intro()->set_name("Band row");
  events.push_back(Event(13));
  events.back().mutable_status()->set_run_state(
      coach::v1::RUN_STATE_DISCOMFORT);
  events.back().mutable_discomfort_reported()->set_exercise_id("band-row");
  events.back().mutable_discomfort_reported()->set_note("lower back");
  board_.OnCommit(Record("alice", "s1", 13), Stored(std::move(events)));
  board_.Drain();

  std::vector<LiveUpdate> got = sink.Take();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  EXPECT_TRUE(got[0].board().recovered());
  EXPECT_EQ(got[1].kind(), coach::v1::LIVE_UPDATE_KIND_DISCOMFORT);
  EXPECT_TRUE(got[1].flagged());
  EXPECT_EQ(got[1].note(), "lower back");
  EXPECT_EQ(got[1].exercise_name(), "Band row");
  EXPECT_EQ(got[2].kind(), coach::v1::LIVE_UPDATE_KIND_SET_DONE);
  EXPECT_FALSE(got[2].flagged());
  EXPECT_EQ(got[3].kind(), coach::v1::LIVE_UPDATE_KIND_EXERCISE_CHANGED);
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(0, 1, 2, 3));
  for (const LiveUpdate& u : got) EXPECT_EQ(u.epoch(), got[0].epoch());

  PersonLive alice = *board_.LiveOf("alice");
  ASSERT_EQ(alice.live.size(), 1u);
  EXPECT_EQ(alice.live[0].run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  ASSERT_TRUE(alice.last_discomfort.has_value());
  EXPECT_EQ(alice.last_discomfort->session_id(), "s1");
}

TEST_F(MemoryCoachBoardTest, UnlinkedPeopleNeverReachTheBoard) {
  Collector sink;
  auto attachment = *board_.Attach("coach-a", nullptr, &sink);
  int64_t carol = 0, alice = 0;
  PauseResume("carol", "c1", &carol);
  PauseResume("alice", "a1", &alice);
  board_.Drain();
  std::vector<LiveUpdate> got = sink.Take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].person_id(), "alice");
  EXPECT_EQ(got[2].person_id(), "alice");
  EXPECT_EQ(got[2].sequence(), 2);
}

TEST_F(MemoryCoachBoardTest, ResumeGetsEveryLaterUpdateExactlyOnce) {
  Collector first;
  auto attachment = *board_.Attach("coach-a", nullptr, &first);
  int64_t seq = 0;
  PauseResume("alice", "a1", &seq);
  board_.Drain();
  std::vector<LiveUpdate> seen = first.Take();
  const std::string epoch = seen.front().epoch();
  attachment.reset();  // The dashboard drops; the board goes on.
  PauseResume("alice", "a1", &seq);
  PauseResume("alice", "a1", &seq);
  board_.Drain();
  EXPECT_TRUE(first.Take().empty());

  Collector again;
  coach::v1::ResumePosition position;
  position.set_epoch(epoch);
  position.set_last_sequence(seen.back().sequence());
  auto resumed = *board_.Attach("coach-a", &position, &again);
  PauseResume("alice", "a1", &seq);
  board_.Drain();
  std::vector<LiveUpdate> got = again.Take();
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(3, 4, 5, 6, 7, 8));
  for (const LiveUpdate& u : got) {
    EXPECT_NE(u.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  }
}

TEST_F(MemoryCoachBoardTest, ImpossibleResumeGetsNotRecoveredSnapshot) {
  int64_t seq = 0;
  Collector probe;
  auto attachment = *board_.Attach("coach-a", nullptr, &probe);
  const std::string epoch = probe.Take().front().epoch();
  for (int i = 0; i < 6; ++i) PauseResume("alice", "a1", &seq);  // 12 > 8.
  board_.Drain();
  struct Case {
    std::string name;
    std::string epoch;
    int64_t last;
  };
  const Case cases[] = {
      {"another epoch", "stale", 12},
      {"history trimmed", epoch, 2},
      {"ahead of history", epoch, 40},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Collector sink;
    coach::v1::ResumePosition position;
    position.set_epoch(c.epoch);
    position.set_last_sequence(c.last);
    auto a = *board_.Attach("coach-a", &position, &sink);
    std::vector<LiveUpdate> got = sink.Take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    EXPECT_FALSE(got[0].board().recovered());
    EXPECT_FALSE(got[0].board().reason().empty());
    EXPECT_EQ(got[0].sequence(), 12);
    EXPECT_EQ(got[0].epoch(), epoch);
    ASSERT_EQ(got[0].board().sessions_size(), 1);
    EXPECT_EQ(got[0].board().sessions(0).session_id(), "a1");
  }
}

TEST_F(MemoryCoachBoardTest, LinkAndUnlinkAddAndDropTheClientsRows) {
  int64_t seq = 0;
  PauseResume("dave", "d1", &seq);  // Dave trains before linking coach-a.
  board_.Drain();
  Collector sink;
  auto attachment = *board_.Attach("coach-a", nullptr, &sink);
  ASSERT_TRUE(links_.Link("dave", "coach-a", clock_.Now()).ok());
  board_.OnLinked("dave", "coach-a");
  board_.Drain();
  std::vector<LiveUpdate> got = sink.Take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].board().sessions_size(), 0);
  EXPECT_EQ(got[1].kind(), coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
  EXPECT_EQ(got[1].session().session_id(), "d1");

  ASSERT_TRUE(*links_.Unlink("dave", "coach-a"));
  board_.OnUnlinked("dave", "coach-a");
  PauseResume("dave", "d1", &seq);
  board_.Drain();
  got = sink.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind(), coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED);
  EXPECT_EQ(got[0].person_id(), "dave");

  Collector fresh;
  auto again = *board_.Attach("coach-a", nullptr, &fresh);
  EXPECT_EQ(fresh.Take().front().board().sessions_size(), 0);
}

TEST_F(MemoryCoachBoardTest, EndedSessionLeavesTheBoardWithItsSummary) {
  int64_t seq = 0;
  PauseResume("alice", "a1", &seq);
  board_.Drain();
  // Watching from before the end (a channel keeps updates for resumes only
  // once watched: no position in it exists before).
  Collector probe_sink;
  auto probe = *board_.Attach("coach-a", nullptr, &probe_sink);
  std::vector<LiveUpdate> got = probe_sink.Take();
  ASSERT_EQ(got.size(), 1u);
  coach::v1::ResumePosition position;
  position.set_epoch(got[0].epoch());
  position.set_last_sequence(got[0].sequence());
  probe.reset();
  std::vector<SessionEvent> done{Event(++seq)};
  done[0].mutable_status()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  done[0].mutable_session_done()->mutable_summary()->set_pauses(1);
  done[0].mutable_session_done()->set_ended_early(true);
  board_.OnCommit(Record("alice", "a1", seq, /*finished=*/true),
                  Stored(std::move(done)));
  board_.Drain();
  Collector replay;
  auto a = *board_.Attach("coach-a", &position, &replay);
  got = replay.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind(), coach::v1::LIVE_UPDATE_KIND_ENDED);
  EXPECT_EQ(got[0].summary().pauses(), 1);
  EXPECT_TRUE(got[0].ended_early());
  EXPECT_TRUE(board_.LiveOf("alice")->live.empty());
  Collector fresh;
  auto f = *board_.Attach("coach-a", nullptr, &fresh);
  got = fresh.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].board().sessions_size(), 0);
}

TEST_F(MemoryCoachBoardTest,
       AChannelNoOneWatchedResumesNothingFromBeforeItsFirstWatch) {
  int64_t seq = 0;
  PauseResume("alice", "a1", &seq);
  board_.Drain();
  Collector first;
  auto probe = *board_.Attach("coach-a", nullptr, &first);
  std::vector<LiveUpdate> got = first.Take();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_GT(got[0].sequence(), 1);
  // A position before the first watch was never handed out: nothing was
  // kept for it, so it gets a snapshot that says so.
  coach::v1::ResumePosition position;
  position.set_epoch(got[0].epoch());
  position.set_last_sequence(got[0].sequence() - 1);
  Collector replay;
  auto a = *board_.Attach("coach-a", &position, &replay);
  got = replay.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].has_board());
  EXPECT_FALSE(got[0].board().recovered());
}

TEST_F(MemoryCoachBoardTest, APersonsOwnBoardHasAllTheirSessionsAndNoOneElses) {
  Collector alice_own, carol_own, coach_id_as_person;
  auto a = *board_.AttachOwn("alice", nullptr, &alice_own);
  auto c = *board_.AttachOwn("carol", nullptr, &carol_own);  // No coach.
  auto x = *board_.AttachOwn("coach-a", nullptr, &coach_id_as_person);
  Collector coach;
  auto b = *board_.Attach("coach-a", nullptr, &coach);
  int64_t alice = 0, carol = 0;
  PauseResume("alice", "a1", &alice);
  PauseResume("carol", "c1", &carol);
  PauseResume("carol", "c1", &carol);
  board_.Drain();

  std::vector<LiveUpdate> got = alice_own.Take();
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(0, 1, 2));
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].person_id(), "alice");
  }
  got = carol_own.Take();
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(0, 1, 2, 3, 4));
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].person_id(), "carol");
    EXPECT_EQ(got[i].epoch(), got[0].epoch());
  }
  // The coach's board numbers its own sequence, apart from alice's.
  got = coach.Take();
  EXPECT_THAT(Sequences(got), ::testing::ElementsAre(0, 1, 2));
  EXPECT_EQ(coach_id_as_person.Take().size(), 1u);  // Its snapshot only.
}

TEST_F(MemoryCoachBoardTest,
       AnOwnBoardWatchedOnlyAfterItsSessionsBeganSnapshotsThemThenFollows) {
  int64_t c1 = 0, c2 = 0;
  PauseResume("carol", "c1", &c1);
  PauseResume("carol", "c2", &c2);
  std::vector<SessionEvent> ended{Event(++c2)};
  ended[0].mutable_session_done();
  board_.OnCommit(Record("carol", "c2", c2, /*finished=*/true),
                  Stored(std::move(ended)));
  board_.Drain();

  Collector own;
  auto attachment = *board_.AttachOwn("carol", nullptr, &own);
  std::vector<LiveUpdate> got = own.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].board().recovered());
  EXPECT_EQ(got[0].sequence(), 0);
  ASSERT_EQ(got[0].board().sessions_size(), 1);  // c2 ended.
  EXPECT_EQ(got[0].board().sessions(0).session_id(), "c1");
  EXPECT_EQ(got[0].board().sessions(0).session_sequence(), 2);

  PauseResume("carol", "c1", &c1);
  board_.Drain();
  std::vector<LiveUpdate> later = own.Take();
  EXPECT_THAT(Sequences(later), ::testing::ElementsAre(1, 2));
  for (const LiveUpdate& update : later) {
    EXPECT_EQ(update.epoch(), got[0].epoch());
    EXPECT_EQ(update.session_id(), "c1");
  }
}

TEST_F(MemoryCoachBoardTest,
       AnOwnBoardResumesExactlyOnceAndSnapshotsTheLiveRows) {
  Collector first;
  auto attachment = *board_.AttachOwn("carol", nullptr, &first);
  int64_t seq = 0;
  PauseResume("carol", "c1", &seq);
  board_.Drain();
  std::vector<LiveUpdate> seen = first.Take();
  attachment.reset();
  PauseResume("carol", "c1", &seq);
  board_.Drain();

  Collector again;
  coach::v1::ResumePosition position;
  position.set_epoch(seen.front().epoch());
  position.set_last_sequence(seen.back().sequence());
  auto resumed = *board_.AttachOwn("carol", &position, &again);
  EXPECT_THAT(Sequences(again.Take()), ::testing::ElementsAre(3, 4));

  Collector stale;
  position.set_epoch("another");
  auto snapshot = *board_.AttachOwn("carol", &position, &stale);
  std::vector<LiveUpdate> got = stale.Take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].board().recovered());
  EXPECT_EQ(got[0].sequence(), 4);
  ASSERT_EQ(got[0].board().sessions_size(), 1);
  EXPECT_EQ(got[0].board().sessions(0).session_id(), "c1");
}

}  // namespace
}  // namespace coachd
