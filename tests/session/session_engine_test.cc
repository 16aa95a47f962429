// Timelines of the session engine, driven by a FakeClock: every test asserts
// the exact events and the exact times they happen at. Here: sets, reps,
// holds, sides and rests, pause and resume, next/previous and repeat.
#include "services/session/session_engine.h"

#include "tests/session/engine_testing.h"

namespace coachd {
namespace engine_testing {
namespace {

TEST(SessionEngineTest, ThreeThreeThreeHoldCountsDownOneSecondApart) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  std::vector<std::string> trace = h.Start();
  while (trace.size() < kFirstSetOf333.size()) {
    std::vector<std::string> more = h.Step();
    ASSERT_FALSE(more.empty()) << "a timer fired without an event";
    trace.insert(trace.end(), more.begin(), more.end());
  }
  EXPECT_THAT(trace, ElementsAreArray(kFirstSetOf333));

  // The first hold, as a speaker hears it and a display shows it.
  std::vector<const SessionEvent*> holds;
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_hold_countdown()) holds.push_back(&ev);
  }
  ASSERT_GE(holds.size(), 3u);
  EXPECT_EQ(holds[0]->speech().text(), "Hold, three.");
  EXPECT_EQ(holds[1]->speech().text(), "Two.");
  EXPECT_EQ(holds[2]->speech().text(), "One.");
  EXPECT_EQ(holds[0]->speech().ssml(), "<speak>Hold, three.</speak>");
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(holds[i]->hold_countdown().seconds_left(), 3 - i);
    EXPECT_EQ(holds[i]->hold_countdown().hold_seconds(), 3);
    EXPECT_EQ(TimeOf(holds[i]->server_time()), h.T(19 + i));
    EXPECT_EQ(TimeOf(holds[i]->status().deadline()), h.T(20 + i));
    // The display counts the whole hold down from one deadline, its end:
    // every tick's card says the same, so none restarts the countdown.
    EXPECT_EQ(TimeOf(holds[i]->card().deadline()), h.T(22));
    EXPECT_EQ(holds[i]->card().timer_seconds(), 3);
    EXPECT_EQ(holds[i]->status().step_kind(), coach::v1::STEP_KIND_HOLD);
    EXPECT_EQ(holds[i]->card().banner(), "Hold");
    EXPECT_EQ(holds[i]->card().set(), 1);
    EXPECT_EQ(holds[i]->card().rep(), 1);
  }
}

TEST(SessionEngineTest, OneSidedMoveDoesBothSidesWithTheSameReps) {
  Harness h(RoutineOf(
      {Item("single-arm-row", Counted(1, 2, 2, 0, 0, /*per_side=*/true))}));
  std::vector<std::string> trace = h.Start();
  std::vector<std::string> rest = h.RunToEnd();
  trace.insert(trace.end(), rest.begin(), rest.end());
  EXPECT_THAT(
      trace,
      ElementsAre("0 session_started", "0 intro single-arm-row", "0 safety",
                  "0 safety", "15 set 1/1 right", "18 rep 1/2 right",
                  "18 step 0", "18 step 1", "18 breath effort", "19 step 2",
                  "19 breath return", "20 rep 2/2 right", "20 breath effort",
                  "21 breath return", "22 switch left", "27 set 1/1 left",
                  "30 rep 1/2 left", "30 step 0", "30 step 1",
                  "30 breath effort", "31 step 2", "31 breath return",
                  "32 rep 2/2 left", "32 breath effort", "33 breath return",
                  "34 set_done 1/1", "34 exercise_done single-arm-row",
                  "37 session_done"));
  const coach::v1::ItemSummary& item =
      h.last().session_done().summary().items(0);
  EXPECT_EQ(item.reps_prescribed(), 4);
  EXPECT_EQ(item.reps_done(), 4);
  EXPECT_EQ(item.sets_done(), 1);
  EXPECT_EQ(h.last().session_done().summary().duration_ms(),
            h.record().routine().estimated_seconds() * 1000);
}

TEST(SessionEngineTest, EverySetOfAOneSidedMoveWorksBothSides) {
  Harness h(RoutineOf(
      {Item("single-arm-row", Counted(2, 3, 2, 1, 10, /*per_side=*/true))}));
  h.Start();
  h.RunToEnd();
  std::vector<std::string> reps;
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_rep()) {
      reps.push_back(absl::StrCat(ev.status().set(), ":", ev.rep().side(), ":",
                                  ev.rep().rep(), "/", ev.rep().reps()));
    }
    if (ev.has_switch_sides())
      reps.push_back("switch " + ev.switch_sides().side());
  }
  EXPECT_THAT(reps, ElementsAre("1:right:1/3", "1:right:2/3", "1:right:3/3",
                                "switch left", "1:left:1/3", "1:left:2/3",
                                "1:left:3/3", "2:right:1/3", "2:right:2/3",
                                "2:right:3/3", "switch left", "2:left:1/3",
                                "2:left:2/3", "2:left:3/3"));
  const coach::v1::SessionSummary& summary = h.last().session_done().summary();
  EXPECT_EQ(summary.items(0).reps_done(), 12);
  EXPECT_EQ(summary.items(0).holds_kept(), 12);
  EXPECT_EQ(summary.percent_done(), 100);
}

TEST(SessionEngineTest, RestHasADeadlineAndTheNextSetStartsExactlyThen) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.StepUntil([](const SessionEvent& ev) { return ev.has_rest_started(); });
  const SessionEvent& rest = h.last();
  const absl::Time rest_start = TimeOf(rest.server_time());
  EXPECT_EQ(rest_start, h.T(33));
  EXPECT_EQ(TimeOf(rest.rest_started().deadline()),
            rest_start + absl::Seconds(30));
  EXPECT_EQ(rest.rest_started().seconds(), 30);
  EXPECT_EQ(TimeOf(rest.status().deadline()), rest_start + absl::Seconds(30));
  EXPECT_EQ(TimeOf(rest.card().deadline()), rest_start + absl::Seconds(30));
  EXPECT_EQ(rest.card().timer_seconds(), 30);
  EXPECT_EQ(rest.card().accent(), "rest");
  EXPECT_EQ(rest.speech().text(),
            "Rest for 30 seconds. Shake it out and breathe.");

  // Nothing happens a microsecond early; the set starts at the deadline.
  EXPECT_THAT(h.TickAt(h.T(63) - absl::Microseconds(1)), ElementsAre());
  EXPECT_THAT(h.TickAt(h.T(63)), ElementsAre("63 set 2/3"));
  EXPECT_EQ(h.Deadline(), "66");
}

TEST(SessionEngineTest, LateTickFiresEachStepAtItsOwnDeadline) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  // One tick long after: every step due since fires, and the timers keep
  // their schedule (no drift): the rest still ends at 63.
  std::vector<std::string> trace = h.TickAt(h.T(40));
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back(), "40 rest 30 until 63");
  EXPECT_EQ(h.Deadline(), "63");
}

struct PauseCase {
  std::string name;
  double pause_at;  // Seconds since the start.
  double resume_at;
  int64_t remaining_ms;  // Left when paused.
  std::string resumed;   // The Resumed event.
  double card_until;     // Its card's deadline (a hold's: the hold's end).
  std::string next;      // The first event after resuming.
};

TEST(SessionEngineTest, PauseStopsEveryTimerAndResumeKeepsTheRemainingTime) {
  const std::vector<PauseCase> cases = {
      {"during a rest", 43, 143, 20000, "143 resumed until 163", 163,
       "163 set 2/3"},
      {"inside a hold second", 19.25, 50, 750, "50 resumed until 50.75", 52.75,
       "50.75 hold 2/3"},
      {"during the intro", 0, 7, 15000, "7 resumed until 22", 22, "22 set 1/3"},
  };
  for (const PauseCase& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
    h.Start();
    h.TickAt(h.T(c.pause_at));
    absl::StatusOr<std::vector<std::string>> paused =
        h.Command(coach::v1::COMMAND_TYPE_PAUSE);
    ASSERT_TRUE(paused.ok()) << paused.status();
    EXPECT_THAT(*paused,
                ElementsAre(absl::StrCat(h.At(h.T(c.pause_at)), " paused ",
                                         c.remaining_ms, "ms")));
    EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_PAUSED);
    EXPECT_FALSE(h.status().has_deadline());
    EXPECT_EQ(h.status().remaining_ms(), c.remaining_ms);
    EXPECT_FALSE(h.last().card().has_deadline());
    EXPECT_EQ(h.last().card().accent(), "paused");
    EXPECT_EQ(h.Deadline(), "none");
    // Time passes; no timer fires while paused.
    EXPECT_THAT(h.TickAt(h.T(c.resume_at)), ElementsAre());

    absl::StatusOr<std::vector<std::string>> resumed =
        h.Command(coach::v1::COMMAND_TYPE_RESUME);
    ASSERT_TRUE(resumed.ok()) << resumed.status();
    EXPECT_THAT(*resumed, ElementsAre(c.resumed));
    EXPECT_EQ(TimeOf(h.last().card().deadline()), h.T(c.card_until));
    EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_RUNNING);
    EXPECT_EQ(TimeOf(h.status().deadline()),
              h.T(c.resume_at) + absl::Milliseconds(c.remaining_ms));
    EXPECT_THAT(h.TickAt(h.T(c.resume_at) + absl::Milliseconds(c.remaining_ms) -
                         absl::Microseconds(1)),
                ElementsAre());
    std::vector<std::string> next = h.Step();
    ASSERT_FALSE(next.empty());
    EXPECT_EQ(next.front(), c.next);
    EXPECT_EQ(h.record().engine().summary().pauses(), 1);
  }
}

TEST(SessionEngineTest, PausesAreIncludedInTheSessionDuration) {
  Harness h(RoutineOf({Item("band-row", Counted(1, 1, 2, 0, 0))}));
  h.Start();
  h.TickAt(h.T(5));
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_PAUSE).ok());
  ASSERT_TRUE(h.CommandAt(h.T(105), coach::v1::COMMAND_TYPE_RESUME).ok());
  h.RunToEnd();
  // 15 + 3 + 2 + 3 = 23 s of timeline plus 100 s paused.
  EXPECT_EQ(h.Describe(h.last()), "123 session_done");
  EXPECT_EQ(h.last().session_done().summary().duration_ms(), 123000);
  EXPECT_EQ(h.last().session_done().summary().pauses(), 1);
}

struct JumpCase {
  std::string name;
  double at;
  CommandType command;
  std::vector<std::string> events;
  std::string deadline;
};

TEST(SessionEngineTest, NextAndPreviousJumpBetweenParts) {
  const std::vector<JumpCase> cases = {
      {"next from the intro starts set 1",
       5,
       coach::v1::COMMAND_TYPE_NEXT,
       {"5 set 1/3"},
       "8"},
      {"next inside set 1 goes to the rest",
       20,
       coach::v1::COMMAND_TYPE_NEXT,
       {"20 rest 30 until 50"},
       "50"},
      {"next in the rest starts set 2",
       40,
       coach::v1::COMMAND_TYPE_NEXT,
       {"40 set 2/3"},
       "43"},
      {"previous inside set 1 goes back to the intro",
       20,
       coach::v1::COMMAND_TYPE_PREVIOUS,
       {"20 intro band-row", "20 safety", "20 safety"},
       "35"},
      {"previous in the rest goes back to set 1",
       40,
       coach::v1::COMMAND_TYPE_PREVIOUS,
       {"40 set 1/3"},
       "43"},
      {"previous inside set 2 goes back to the rest",
       70,
       coach::v1::COMMAND_TYPE_PREVIOUS,
       {"70 rest 30 until 100"},
       "100"},
  };
  for (const JumpCase& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
    h.Start();
    h.TickAt(h.T(c.at));
    absl::StatusOr<std::vector<std::string>> events = h.Command(c.command);
    ASSERT_TRUE(events.ok()) << events.status();
    EXPECT_THAT(*events, ElementsAreArray(c.events));
    EXPECT_EQ(h.Deadline(), c.deadline);
    EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_RUNNING);
  }
}

TEST(SessionEngineTest, NextCountsASkipAndDoesNotCountTheSetAsDone) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(20));
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_NEXT).ok());
  EXPECT_EQ(h.record().engine().summary().skips(), 1);
  EXPECT_EQ(h.record().engine().summary().items(0).sets_done(), 0);
  EXPECT_EQ(h.record().engine().summary().items(0).reps_done(), 0);
}

TEST(SessionEngineTest, ASkippedWarmUpIsNamedInTheSummaryNotAllOfThePlan) {
  Prescription warmup;
  warmup.set_duration_seconds(60);
  Harness h(
      RoutineOf({Item("warmup", warmup), Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(5));  // In the warm-up.
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_NEXT).ok());
  h.RunToEnd();
  ASSERT_TRUE(h.last().has_session_done());
  const coach::v1::SessionSummary& summary = h.last().session_done().summary();
  EXPECT_EQ(summary.skips(), 1);
  EXPECT_TRUE(summary.items(0).skipped());
  EXPECT_FALSE(summary.items(1).skipped());
  EXPECT_EQ(summary.percent_done(), 100);  // Every rep of the band row.
  // What the person hears and sees counts the skipped warm-up.
  EXPECT_THAT(h.last().speech().text(),
              HasSubstr("You did 100 percent of the reps in "));
  EXPECT_THAT(h.last().speech().text(),
              HasSubstr("You skipped Light Cardio Warm-Up."));
  EXPECT_THAT(h.last().speech().text(), Not(HasSubstr("of the plan")));
  EXPECT_EQ(h.last().card().current_step(), "100% of the reps done, 1 skipped");
}

TEST(SessionEngineTest, PreviousAtTheFirstPartIsRefused) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(5));
  const SessionRecord before = h.record();
  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_PREVIOUS);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(events.status().message(), HasSubstr("first part"));
  EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
}

TEST(SessionEngineTest, PreviousReplaysStepsWithoutCountingThemTwice) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(40));  // In the rest after set 1.
  ASSERT_EQ(h.record().engine().summary().items(0).reps_done(), 3);
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_PREVIOUS).ok());  // Set 1.
  h.RunToEnd();
  const coach::v1::ItemSummary& item =
      h.last().session_done().summary().items(0);
  EXPECT_EQ(item.reps_done(), 9);
  EXPECT_EQ(item.holds_kept(), 9);
  EXPECT_EQ(h.last().session_done().summary().percent_done(), 100);
  // Set 1 again takes 18 s from 40, so the rest ends at 58 + 30.
  int rests = 0;
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_rest_started() && ++rests == 2) {
      EXPECT_EQ(h.Describe(ev), "58 rest 30 until 88");
    }
  }
}

TEST(SessionEngineTest, RepeatResendsTheLastCueAndChangesNothingElse) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(19.5));  // "Hold, three." was said at 19.
  const SessionRecord before = h.record();
  const SessionEvent said = h.last();
  ASSERT_TRUE(said.has_hold_countdown());

  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_REPEAT);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre("19.5 hold 3/3 (repeated)"));
  const SessionEvent& again = h.last();
  EXPECT_TRUE(again.repeated_cue());
  EXPECT_EQ(again.speech().text(), "Hold, three.");
  EXPECT_TRUE(MessageDifferencer::Equals(again.speech(), said.speech()));
  EXPECT_TRUE(MessageDifferencer::Equals(again.card(), said.card()));
  EXPECT_TRUE(MessageDifferencer::Equals(again.hold_countdown(),
                                         said.hold_countdown()));
  EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
  // The timeline goes on as if nothing happened.
  EXPECT_THAT(h.Step(), ElementsAre("20 hold 2/3"));
}

TEST(SessionEngineTest, RepeatAfterCuesDueInTheSameCallRepeatsTheNewest) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(19.5));  // "Hold, three." was said at 19.
  // The cue due at 20 fires first, in the same call: that one is repeated.
  absl::StatusOr<std::vector<std::string>> events =
      h.CommandAt(h.T(20.5), coach::v1::COMMAND_TYPE_REPEAT);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events,
              ElementsAre("20.5 hold 2/3", "20.5 hold 2/3 (repeated)"));
  EXPECT_EQ(h.record().engine().last_cue().speech().text(), "Two.");
}

TEST(SessionEngineTest, RepeatWhilePausedSaysTheLastCueNotThePause) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(19.5));
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_PAUSE).ok());
  const SessionRecord before = h.record();
  absl::StatusOr<std::vector<std::string>> events =
      h.CommandAt(h.T(25), coach::v1::COMMAND_TYPE_REPEAT);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre("25 hold 3/3 (repeated)"));
  EXPECT_EQ(h.last().status().run_state(), coach::v1::RUN_STATE_PAUSED);
  EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
}

}  // namespace
}  // namespace engine_testing
}  // namespace coachd
