// The coach console's board model and lines: updates applied once, the
// table with discomfort flagged first, and the plain lines scripts read.
#include "clients/coach/board_view.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using ::testing::HasSubstr;
using ::testing::Not;

coach::v1::LiveSession Row(const std::string& person, const std::string& id,
                           coach::v1::RunState state) {
  coach::v1::LiveSession row;
  row.set_person_id(person);
  row.set_session_id(id);
  row.set_run_state(state);
  row.set_exercise_name("Band row");
  row.set_set(2);
  row.set_sets(3);
  row.set_progress_percent(40);
  return row;
}

LiveUpdate Update(int64_t sequence, coach::v1::LiveUpdateKind kind,
                  const coach::v1::LiveSession& row) {
  LiveUpdate u;
  u.set_epoch("e1");
  u.set_sequence(sequence);
  u.set_kind(kind);
  u.set_person_id(row.person_id());
  u.set_session_id(row.session_id());
  u.set_exercise_name(row.exercise_name());
  *u.mutable_session() = row;
  return u;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(BoardModelTest, AppliesEachUpdateOnceAndFlagsDiscomfortFirst) {
  BoardModel model;
  LiveUpdate snapshot;
  snapshot.set_epoch("e1");
  snapshot.set_sequence(4);
  snapshot.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  *snapshot.mutable_board()->add_sessions() =
      Row("alice", "a1", coach::v1::RUN_STATE_RUNNING);
  ASSERT_TRUE(model.Apply(snapshot));

  coach::v1::LiveSession hurt =
      Row("zoe", "z1", coach::v1::RUN_STATE_DISCOMFORT);
  hurt.mutable_last_discomfort()->set_exercise_name("Superman");
  hurt.mutable_last_discomfort()->set_note("lower back");
  LiveUpdate discomfort =
      Update(5, coach::v1::LIVE_UPDATE_KIND_DISCOMFORT, hurt);
  discomfort.set_flagged(true);
  EXPECT_TRUE(model.Apply(discomfort));
  EXPECT_FALSE(model.Apply(discomfort));  // Seen already.
  EXPECT_FALSE(
      model.Apply(Update(3, coach::v1::LIVE_UPDATE_KIND_PAUSED, hurt)));
  EXPECT_EQ(model.last_sequence(), 5);

  std::vector<std::string> lines = Lines(model.Render(absl::UnixEpoch(), 200));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_THAT(lines[0], HasSubstr("2 clients, 2 training now"));
  EXPECT_THAT(lines[1], HasSubstr("!! zoe reported discomfort"));
  EXPECT_THAT(lines[1], HasSubstr("\"lower back\""));
  EXPECT_THAT(lines[2], HasSubstr("CLIENT"));
  // Zoe sorts before alice: discomfort first.
  EXPECT_THAT(lines[3], HasSubstr("zoe"));
  EXPECT_THAT(lines[3], HasSubstr("DISCOMFORT"));
  EXPECT_THAT(lines[4], HasSubstr("alice"));
  EXPECT_THAT(lines[4], HasSubstr("2/3"));
  EXPECT_THAT(lines[4], HasSubstr("40%"));
}

TEST(BoardModelTest, ColumnsStayAlignedWithLongNamesAndOneClientIsSingular) {
  for (int width : {60, 80, 120, 200}) {
    SCOPED_TRACE(width);
    BoardModel model;
    LiveUpdate snapshot;
    snapshot.set_epoch("e1");
    snapshot.set_sequence(1);
    snapshot.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    coach::v1::LiveSession long_name =
        Row("alexandra-long-name", "a1", coach::v1::RUN_STATE_RUNNING);
    long_name.set_exercise_name(
        "Single-Arm Dumbbell Row With A Very Long Name Indeed");
    *snapshot.mutable_board()->add_sessions() = long_name;
    ASSERT_TRUE(model.Apply(snapshot));
    std::vector<std::string> lines =
        Lines(model.Render(absl::UnixEpoch(), width));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_THAT(lines[0], HasSubstr("1 client, 1 training now"));
    for (const std::string& line : lines) {
      EXPECT_LE(static_cast<int>(line.size()), width) << line;
    }
    // The WEEK column starts at the same place in the header and the row.
    const size_t week = lines[1].find("WEEK");
    ASSERT_NE(week, std::string::npos);
    EXPECT_EQ(lines[2].substr(week, 1), "-") << lines[2];
    EXPECT_EQ(lines[2][week - 1], ' ') << lines[2];
    EXPECT_EQ(lines[1].find("STATUS"), lines[2].find("training"));
  }
  // With room, the whole name shows.
  BoardModel model;
  LiveUpdate snapshot;
  snapshot.set_epoch("e1");
  snapshot.set_sequence(1);
  snapshot.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  coach::v1::LiveSession row = Row("al", "a1", coach::v1::RUN_STATE_RUNNING);
  row.set_exercise_name("Single-Arm Dumbbell Row With A Long Name");
  *snapshot.mutable_board()->add_sessions() = row;
  ASSERT_TRUE(model.Apply(snapshot));
  EXPECT_THAT(model.Render(absl::UnixEpoch(), 120),
              HasSubstr("Single-Arm Dumbbell Row With A Long Name "));
}

TEST(BoardModelTest, EndedAndUnlinkedClientsLeaveTheLiveRows) {
  BoardModel model;
  coach::v1::ListClientsResponse list;
  auto* alice = list.add_clients();
  alice->set_person_id("alice");
  alice->mutable_progress()->set_sessions_done_this_week(1);
  alice->mutable_progress()->set_sessions_target_this_week(3);
  list.add_clients()->set_person_id("bob");
  model.SetClients(list);
  coach::v1::LiveSession row = Row("alice", "a1", coach::v1::RUN_STATE_RUNNING);
  ASSERT_TRUE(model.Apply(Update(1, coach::v1::LIVE_UPDATE_KIND_STARTED, row)));
  LiveUpdate ended = Update(2, coach::v1::LIVE_UPDATE_KIND_ENDED, row);
  ended.mutable_summary()->set_percent_done(85);
  ASSERT_TRUE(model.Apply(ended));
  std::string table = model.Render(absl::UnixEpoch(), 200);
  EXPECT_THAT(table, HasSubstr("2 clients, 0 training now"));
  EXPECT_THAT(table, HasSubstr("finished, 85% done"));
  EXPECT_THAT(table, HasSubstr("1/3"));  // This week's progress.

  LiveUpdate gone;
  gone.set_epoch("e1");
  gone.set_sequence(3);
  gone.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED);
  gone.set_person_id("alice");
  ASSERT_TRUE(model.Apply(gone));
  EXPECT_THAT(model.Render(absl::UnixEpoch(), 200), Not(HasSubstr("alice")));
}

TEST(PlainLineTest, OneLinePerKind) {
  coach::v1::LiveSession row = Row("alice", "a1", coach::v1::RUN_STATE_RUNNING);
  LiveUpdate set_done = Update(7, coach::v1::LIVE_UPDATE_KIND_SET_DONE, row);
  set_done.set_set(1);
  set_done.set_sets(3);
  LiveUpdate hurt = Update(8, coach::v1::LIVE_UPDATE_KIND_DISCOMFORT, row);
  hurt.set_flagged(true);
  hurt.set_note("ouch");
  LiveUpdate ended = Update(9, coach::v1::LIVE_UPDATE_KIND_ENDED, row);
  ended.mutable_summary()->set_percent_done(60);
  ended.set_ended_early(true);
  LiveUpdate snapshot;
  snapshot.set_sequence(9);
  snapshot.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  snapshot.mutable_board()->set_reason("history trimmed");
  struct Case {
    LiveUpdate update;
    std::string want;
  };
  const Case cases[] = {
      {set_done, "#7 SET_DONE alice s=a1 Band row set 1/3"},
      {hurt, "#8 !! DISCOMFORT alice s=a1 Band row: \"ouch\""},
      {ended, "#9 ENDED alice s=a1 60% done, pauses=0 skips=0 (ended early)"},
      {snapshot, "#9 SNAPSHOT sessions=0 recovered=no (history trimmed)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(PlainLine(c.update), c.want);
  }
}

TEST(FollowLineTest, CoachCuesAndDiscomfortStandOut) {
  coach::v1::SessionEvent cue;
  cue.set_sequence(40);
  cue.mutable_coach_cue()->set_coach_id("coach-bob");
  cue.mutable_coach_cue()->set_text("chin tucked");
  EXPECT_EQ(FollowLine(cue), "#40 COACH coach-bob: chin tucked");

  coach::v1::SessionEvent rep;
  rep.set_sequence(41);
  rep.mutable_rep()->set_rep(3);
  rep.mutable_status()->set_exercise_name("Band row");
  rep.mutable_status()->set_set(2);
  rep.mutable_status()->set_sets(3);
  rep.mutable_status()->set_rep(3);
  rep.mutable_status()->set_reps(8);
  rep.mutable_speech()->set_text("Three.");
  EXPECT_EQ(FollowLine(rep), "#41 Band row set 2/3 rep 3/8 | Three.");
}

TEST(RenderSummaryTest, ListsDoneAgainstPrescribed) {
  coach::v1::SessionSummaryView view;
  view.set_session_id("a1");
  view.set_person_id("alice");
  view.set_run_state(coach::v1::RUN_STATE_FINISHED);
  view.set_duration_ms(600000);
  auto* item = view.mutable_summary()->add_items();
  item->set_exercise_name("Superman");
  item->set_sets_done(1);
  item->set_sets_prescribed(2);
  item->set_reps_done(5);
  item->set_reps_prescribed(16);
  item->set_skipped(true);
  item->set_discomfort(true);
  view.add_discomfort()->set_exercise_name("Superman");
  std::string text = RenderSummary(view);
  EXPECT_THAT(text, HasSubstr("ended early"));
  EXPECT_THAT(text, HasSubstr("duration 10m"));
  EXPECT_THAT(text, HasSubstr("1/2"));
  EXPECT_THAT(text, HasSubstr("5/16"));
  EXPECT_THAT(text, HasSubstr("skipped, discomfort"));
  EXPECT_THAT(text, HasSubstr("discomfort "));
}

}  // namespace
}  // namespace coachd
