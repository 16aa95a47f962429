// Timelines of the session engine, driven by a FakeClock: every test asserts
// the exact events and the exact times they happen at. Here: discomfort,
// switching to mobility, ending early, self-paced sets, refused commands,
// time scale, coach cues and every preset of the catalogue.
#include "services/session/session_engine.h"
#include "tests/session/engine_testing.h"

namespace coachd {
namespace engine_testing {
namespace {

TEST(SessionEngineTest, DiscomfortStopsTheExerciseAndIsRecorded) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree()),
                       Item("superman", Counted(1, 2, 2, 2, 0))}));
  h.Start();
  h.TickAt(h.T(20));
  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT, "sharp in my back",
                coach::v1::DEVICE_KIND_VOICE);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre("20 discomfort band-row", "20 safety"));

  const SessionEvent& reported = h.events()[h.events().size() - 2];
  EXPECT_EQ(reported.discomfort_reported().note(), "sharp in my back");
  EXPECT_EQ(reported.discomfort_reported().device_kind(), "DEVICE_KIND_VOICE");
  EXPECT_THAT(reported.discomfort_reported().options(),
              ElementsAre("skip", "switch to a mobility move", "end"));
  EXPECT_EQ(reported.card().accent(), "alert");
  EXPECT_THAT(reported.card().banner(), HasSubstr("sharp in my back"));
  EXPECT_THAT(reported.speech().text(), HasSubstr("Stop the exercise now"));
  EXPECT_THAT(h.last().safety_note().text(), HasSubstr("stop"));

  EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_FALSE(h.status().has_deadline());
  EXPECT_EQ(h.Deadline(), "none");
  const coach::v1::SessionSummary& summary = h.record().engine().summary();
  ASSERT_EQ(summary.discomfort_size(), 1);
  EXPECT_EQ(summary.discomfort(0).exercise_id(), "band-row");
  EXPECT_EQ(summary.discomfort(0).note(), "sharp in my back");
  EXPECT_EQ(TimeOf(summary.discomfort(0).at()), h.T(20));
  EXPECT_TRUE(summary.items(0).discomfort());
  EXPECT_FALSE(summary.items(1).discomfort());
  // Nothing moves on its own.
  EXPECT_THAT(h.TickAt(h.T(500)), ElementsAre());
}

TEST(SessionEngineTest, SkipAfterDiscomfortMovesToTheNextExercise) {
  for (CommandType skip :
       {coach::v1::COMMAND_TYPE_SKIP_EXERCISE, coach::v1::COMMAND_TYPE_NEXT}) {
    SCOPED_TRACE(coach::v1::CommandType_Name(skip));
    Harness h(RoutineOf({Item("band-row", ThreeThreeThree()),
                         Item("superman", Counted(1, 2, 2, 2, 0))}));
    h.Start();
    h.TickAt(h.T(20));
    ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT).ok());
    absl::StatusOr<std::vector<std::string>> events =
        h.CommandAt(h.T(25), skip);
    ASSERT_TRUE(events.ok()) << events.status();
    EXPECT_THAT(*events, ElementsAre("25 exercise_done band-row skipped"));
    EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_RUNNING);
    EXPECT_THAT(h.Step(),
                ElementsAre("28 intro superman", "28 safety", "28 safety"));
    const coach::v1::SessionSummary& summary = h.record().engine().summary();
    EXPECT_TRUE(summary.items(0).skipped());
    EXPECT_TRUE(summary.items(0).discomfort());
    EXPECT_EQ(summary.skips(), 1);
    h.RunToEnd();
    EXPECT_TRUE(h.last().session_done().summary().completed());
    // No rep of the row was finished; both of the superman: 2 of 9 + 2.
    EXPECT_EQ(h.last().session_done().summary().percent_done(), 2 * 100 / 11);
  }
}

TEST(SessionEngineTest, SwitchToMobilityReplacesTheExercise) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree()),
                       Item("superman", Counted(1, 2, 2, 2, 0))}));
  h.Start();
  h.TickAt(h.T(20));
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT).ok());
  const int estimate_before = h.record().routine().estimated_seconds();

  absl::StatusOr<std::vector<std::string>> events =
      h.CommandAt(h.T(30), coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre("30 switched band-row -> cat-cow",
                                   "30 intro cat-cow", "30 safety"));
  const Routine& routine = h.record().routine();
  ASSERT_EQ(routine.items_size(), 3);
  EXPECT_EQ(routine.items(0).exercise_id(), "band-row");
  EXPECT_EQ(routine.items(1).exercise_id(), "cat-cow");
  EXPECT_EQ(routine.items(2).exercise_id(), "superman");
  const Prescription& gentle = routine.items(1).prescription();
  EXPECT_TRUE(MessageDifferencer::Equals(
      gentle, RealCatalog().FindExercise("cat-cow")->beginner()));
  EXPECT_EQ(routine.estimated_seconds(),
            estimate_before + EstimateExerciseSeconds(gentle));
  EXPECT_EQ(h.record().engine().routine_version(), 1);

  const SessionEvent& switched = h.events()[h.events().size() - 3];
  EXPECT_TRUE(MessageDifferencer::Equals(switched.exercise_switched().routine(),
                                         routine));
  EXPECT_EQ(switched.card().title(), "Cat-Cow Stretch");
  EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_RUNNING);
  EXPECT_EQ(h.status().exercise_id(), "cat-cow");
  EXPECT_EQ(h.Deadline(), "45");

  const coach::v1::SessionSummary& summary = h.record().engine().summary();
  ASSERT_EQ(summary.items_size(), 3);
  EXPECT_TRUE(summary.items(0).skipped());
  EXPECT_TRUE(summary.items(0).discomfort());
  EXPECT_EQ(summary.items(1).exercise_id(), "cat-cow");
  EXPECT_EQ(summary.items(1).reps_prescribed(), 8);
  EXPECT_EQ(summary.items(2).exercise_id(), "superman");
  EXPECT_EQ(summary.skips(), 1);

  // The rest of the session plays the new routine: cat-cow, then superman.
  h.RunToEnd();
  std::vector<std::string> intros;
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_exercise_intro()) intros.push_back(h.Describe(ev));
  }
  EXPECT_THAT(intros, ElementsAre("0 intro band-row", "30 intro cat-cow",
                                  "99 intro superman"));
  const coach::v1::SessionSummary& final_summary =
      h.last().session_done().summary();
  EXPECT_TRUE(final_summary.completed());
  EXPECT_EQ(final_summary.items(1).reps_done(), 8);
  EXPECT_EQ(final_summary.items(2).reps_done(), 2);
  // 0 + 8 + 2 reps of 9 + 8 + 2.
  EXPECT_EQ(final_summary.percent_done(), 10 * 100 / 19);
}

TEST(SessionEngineTest, SwitchToMobilityFromAMobilityMoveIsRefused) {
  Harness h(RoutineOf({Item("cat-cow", Counted(1, 2, 6, 0, 0)),
                       Item("superman", Counted(1, 2, 2, 2, 0))}));
  h.Start();
  h.TickAt(h.T(20));
  const SessionRecord before = h.record();
  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(events.status().message(), HasSubstr("already gentle"));
  EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
}

TEST(SessionEngineTest, EndFinishesEarlyWithASummary) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(40));
  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_END);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre("40 session_done early"));
  const coach::v1::SessionDone& done = h.last().session_done();
  EXPECT_TRUE(done.ended_early());
  EXPECT_FALSE(done.summary().completed());
  EXPECT_EQ(done.summary().duration_ms(), 40000);
  EXPECT_EQ(done.summary().items(0).reps_done(), 3);
  EXPECT_EQ(done.summary().items(0).sets_done(), 1);
  EXPECT_EQ(done.summary().percent_done(), 33);
  EXPECT_EQ(h.last().speech().text(),
            "Session ended. Good on you for showing up. You did 33 percent of "
            "the plan in 1 minute.");
  EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_EQ(h.Deadline(), "none");
  EXPECT_TRUE(MessageDifferencer::Equals(h.record().engine().summary(),
                                         done.summary()));
  EXPECT_THAT(h.TickAt(h.T(1000)), ElementsAre());
}

TEST(SessionEngineTest, SelfPacedSetWaitsForDoneAndRemindsAFewTimes) {
  Harness h(RoutineOf(
      {Item("glute-bridge", Counted(2, 5, 3, 0, 20, /*per_side=*/false,
                                    /*self_paced=*/true))}));
  EXPECT_THAT(h.Start(),
              ElementsAre("0 session_started", "0 intro glute-bridge",
                          "0 safety", "0 safety"));
  EXPECT_THAT(h.Step(), ElementsAre("15 set 1/2"));
  EXPECT_TRUE(h.last().set_started().self_paced());
  // The set itself has no timer: only the reminder's. Every device is told
  // it now waits for "done".
  EXPECT_THAT(h.Step(), ElementsAre("18 step -1"));
  EXPECT_THAT(h.last().speech().text(), HasSubstr("Say done"));
  EXPECT_FALSE(h.last().card().has_deadline());
  EXPECT_EQ(h.status().step_kind(), coach::v1::STEP_KIND_AWAIT_DONE);
  EXPECT_EQ(h.Deadline(), absl::StrCat(18 + kDoneReminderSeconds));

  std::vector<std::string> reminders;
  for (int i = 1; i <= kMaxDoneReminders; ++i) {
    std::vector<std::string> got = h.Step();
    reminders.insert(reminders.end(), got.begin(), got.end());
  }
  std::vector<std::string> want;
  for (int i = 1; i <= kMaxDoneReminders; ++i) {
    want.push_back(
        absl::StrCat(18 + i * kDoneReminderSeconds, " reminder ", i));
  }
  EXPECT_THAT(reminders, ElementsAreArray(want));
  EXPECT_EQ(h.last().speech().text(),
            "Take your time. Say done when you finish the set.");
  // After the last reminder it waits quietly, for as long as it takes.
  EXPECT_EQ(h.Deadline(), "none");
  EXPECT_THAT(h.TickAt(h.T(1000)), ElementsAre());
  EXPECT_EQ(h.status().run_state(), coach::v1::RUN_STATE_RUNNING);

  absl::StatusOr<std::vector<std::string>> done =
      h.Command(coach::v1::COMMAND_TYPE_SET_DONE);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(*done,
              ElementsAre("1000 set_done 1/2", "1000 rest 20 until 1020"));
  EXPECT_THAT(h.Step(), ElementsAre("1020 set 2/2"));
  EXPECT_THAT(h.Step(), ElementsAre("1023 step -1"));
  // Reminders start again from one in the next set.
  EXPECT_THAT(h.Step(), ElementsAre(absl::StrCat(1023 + kDoneReminderSeconds,
                                                 " reminder 1")));
  done = h.CommandAt(h.T(1060), coach::v1::COMMAND_TYPE_SET_DONE);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(*done, ElementsAre("1060 set_done 2/2",
                                 "1060 exercise_done glute-bridge"));
  EXPECT_THAT(h.Step(), ElementsAre("1063 session_done"));
  const coach::v1::SessionSummary& summary = h.last().session_done().summary();
  EXPECT_EQ(summary.items(0).reps_done(), 10);
  EXPECT_EQ(summary.items(0).sets_done(), 2);
  EXPECT_EQ(summary.percent_done(), 100);
}

TEST(SessionEngineTest, PauseWhileWaitingForDoneKeepsTheReminderTime) {
  Harness h(
      RoutineOf({Item("glute-bridge", Counted(1, 5, 3, 0, 0, /*per_side=*/false,
                                              /*self_paced=*/true))}));
  h.Start();
  h.Step();
  h.Step();  // Waiting for "done" from 18; first reminder at 48.
  ASSERT_TRUE(h.CommandAt(h.T(28), coach::v1::COMMAND_TYPE_PAUSE).ok());
  EXPECT_EQ(h.Describe(h.last()), "28 paused 20000ms");
  ASSERT_TRUE(h.CommandAt(h.T(100), coach::v1::COMMAND_TYPE_RESUME).ok());
  EXPECT_THAT(h.Step(), ElementsAre("120 reminder 1"));
}

// A forbidden command: how to get there, then the command.
struct ForbiddenCase {
  std::string name;
  std::function<void(Harness&)> setup;
  CommandType command;
  absl::StatusCode code;
  std::string message;  // Expected in the error.
};

TEST(SessionEngineTest, ForbiddenCommandsAreRefusedAndChangeNothing) {
  auto running = [](Harness& h) { h.TickAt(h.T(20)); };
  auto paused = [](Harness& h) {
    h.TickAt(h.T(20));
    ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_PAUSE).ok());
  };
  auto hurting = [](Harness& h) {
    h.TickAt(h.T(20));
    ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT).ok());
  };
  auto finished = [](Harness& h) { h.RunToEnd(); };
  auto ended = [](Harness& h) {
    h.TickAt(h.T(20));
    ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_END).ok());
  };
  std::vector<ForbiddenCase> cases = {
      {"resume while running", running, coach::v1::COMMAND_TYPE_RESUME,
       absl::StatusCode::kFailedPrecondition,
       "resume: not allowed while the session is running"},
      {"pause while paused", paused, coach::v1::COMMAND_TYPE_PAUSE,
       absl::StatusCode::kFailedPrecondition,
       "pause: not allowed while the session is paused"},
      {"pause while stopped for discomfort", hurting,
       coach::v1::COMMAND_TYPE_PAUSE, absl::StatusCode::kFailedPrecondition,
       "while the session is stopped for discomfort"},
      {"set_done on a timed step", running, coach::v1::COMMAND_TYPE_SET_DONE,
       absl::StatusCode::kFailedPrecondition,
       "set_done: this set runs on its own timer; say next to skip it"},
      {"unspecified command", running, coach::v1::COMMAND_TYPE_UNSPECIFIED,
       absl::StatusCode::kInvalidArgument, "command: must be one of"},
      {"unknown command", running, static_cast<CommandType>(99),
       absl::StatusCode::kInvalidArgument, "command: must be one of"},
  };
  for (int c = coach::v1::CommandType_MIN + 1; c <= coach::v1::CommandType_MAX;
       ++c) {
    const CommandType type = static_cast<CommandType>(c);
    for (const auto& [how, setup] :
         std::vector<std::pair<std::string, std::function<void(Harness&)>>>{
             {"finished", finished}, {"ended", ended}}) {
      cases.push_back({absl::StrCat(coach::v1::CommandType_Name(type),
                                    " after the session ", how),
                       setup, type, absl::StatusCode::kFailedPrecondition,
                       "while the session is finished"});
    }
  }
  for (const ForbiddenCase& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
    h.Start();
    c.setup(h);
    const SessionRecord before = h.record();
    const size_t events_before = h.events().size();
    absl::StatusOr<std::vector<std::string>> events = h.Command(c.command);
    EXPECT_EQ(events.status().code(), c.code) << events.status();
    EXPECT_THAT(events.status().message(), HasSubstr(c.message));
    // People read these: no enum names (STEP_KIND_..., COMMAND_TYPE_...).
    EXPECT_THAT(events.status().message(),
                Not(AnyOf(HasSubstr("_KIND_"), HasSubstr("COMMAND_TYPE"))));
    EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
    EXPECT_EQ(h.events().size(), events_before);
  }
}

TEST(SessionEngineTest, SetDoneInDiscomfortNamesTheState) {
  Harness h(
      RoutineOf({Item("glute-bridge", Counted(1, 5, 3, 0, 0, /*per_side=*/false,
                                              /*self_paced=*/true))}));
  h.Start();
  h.Step();
  h.Step();
  ASSERT_EQ(h.status().step_kind(), coach::v1::STEP_KIND_AWAIT_DONE);
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT).ok());
  const SessionRecord before = h.record();
  absl::StatusOr<std::vector<std::string>> events =
      h.Command(coach::v1::COMMAND_TYPE_SET_DONE);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(events.status().message(),
              HasSubstr("set_done: not allowed while the session is stopped "
                        "for discomfort"));
  EXPECT_TRUE(MessageDifferencer::Equals(before, h.record()));
}

TEST(SessionEngineTest, TimeScaleDividesEveryDuration) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}),
            /*time_scale=*/10);
  std::vector<std::string> trace = h.Start();
  std::vector<std::string> rest = h.RunToEnd();
  trace.insert(trace.end(), rest.begin(), rest.end());
  // The same timeline as at normal speed, ten times faster.
  std::vector<std::string> first_set;
  for (const std::string& line : kFirstSetOf333) {
    const size_t space = line.find(' ');
    std::string what = line.substr(space);
    // The rest says how long it really lasts: 3 s at ten times the speed.
    if (what == " rest 30 until 63") what = " rest 3 until 6.3";
    first_set.push_back(
        absl::StrCat(std::stod(line.substr(0, space)) / 10, what));
  }
  ASSERT_GE(trace.size(), first_set.size());
  EXPECT_THAT(
      std::vector<std::string>(trace.begin(), trace.begin() + first_set.size()),
      ElementsAreArray(first_set));
  EXPECT_EQ(trace.back(), "13.2 session_done");
  EXPECT_EQ(h.last().session_done().summary().duration_ms(),
            h.record().routine().estimated_seconds() * 100);
  // Cards count down the real (scaled) time.
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_rest_started()) {
      EXPECT_EQ(ev.card().timer_seconds(), 3);
      EXPECT_EQ(TimeOf(ev.rest_started().deadline()) - TimeOf(ev.server_time()),
                absl::Seconds(3));
    }
  }
}

TEST(SessionEngineTest, CreateRefusesABadTimeScaleOrAnEmptyRoutine) {
  const Routine routine = RoutineOf({Item("band-row", ThreeThreeThree())});
  for (double scale : {0.0, -1.0}) {
    SCOPED_TRACE(scale);
    absl::StatusOr<std::unique_ptr<SessionEngine>> engine =
        SessionEngine::Create(&RealCatalog(), routine, scale);
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(engine.status().message(), HasSubstr("time_scale"));
  }
  absl::StatusOr<std::unique_ptr<SessionEngine>> empty =
      SessionEngine::Create(&RealCatalog(), Routine(), 1);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("routine"));
}

TEST(SessionEngineTest, CoachCueIsSpokenWithoutChangingTheTimeline) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(19.5));
  std::vector<SessionEvent> events = h.engine().CoachCue(
      "coach-1", "Nice form, keep the chin tucked", h.Now(), &h.record());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(h.Describe(events[0]),
            "19.5 coach Nice form, keep the chin tucked");
  EXPECT_EQ(events[0].speech().text(),
            "Your coach says: Nice form, keep the chin tucked");
  EXPECT_EQ(events[0].card().banner(),
            "Coach: Nice form, keep the chin tucked");
  EXPECT_EQ(h.Deadline(), "20");
  // REPEAT still says the last coaching cue, not the coach's words.
  absl::StatusOr<std::vector<std::string>> repeat =
      h.Command(coach::v1::COMMAND_TYPE_REPEAT);
  ASSERT_TRUE(repeat.ok());
  EXPECT_THAT(*repeat, ElementsAre("19.5 hold 3/3 (repeated)"));
}

TEST(SessionEngineTest, EveryPresetRunsToTheEndInItsEstimatedTime) {
  for (const coach::v1::RoutinePreset& preset :
       RealCatalog().file().presets()) {
    SCOPED_TRACE(preset.id());
    absl::StatusOr<Routine> routine =
        BuildPresetRoutine(RealCatalog(), preset.id());
    ASSERT_TRUE(routine.ok()) << routine.status();
    Harness h(*routine);
    h.Start();
    h.RunToEnd();
    ASSERT_TRUE(h.Finished());
    ASSERT_TRUE(h.last().has_session_done());
    const coach::v1::SessionDone& done = h.last().session_done();
    EXPECT_FALSE(done.ended_early());
    EXPECT_TRUE(done.summary().completed());
    EXPECT_EQ(done.summary().percent_done(), 100);
    // The builder's estimate is the time the engine really takes.
    EXPECT_EQ(TimeOf(h.last().server_time()) - h.t0(),
              absl::Seconds(routine->estimated_seconds()));
    EXPECT_EQ(done.summary().duration_ms(),
              int64_t{routine->estimated_seconds()} * 1000);
    ASSERT_EQ(done.summary().items_size(), routine->items_size());
    for (const coach::v1::ItemSummary& item : done.summary().items()) {
      SCOPED_TRACE(item.exercise_id());
      EXPECT_EQ(item.reps_done(), item.reps_prescribed());
      EXPECT_EQ(item.sets_done(), item.sets_prescribed());
      EXPECT_EQ(item.holds_kept(), item.holds_prescribed());
      EXPECT_FALSE(item.skipped());
    }
    // The last event's card says it is all done.
    EXPECT_EQ(h.last().card().progress_percent(), 100);
    EXPECT_EQ(h.last().card().accent(), "done");
  }
}

TEST(SessionEngineTest, EveryExerciseSpeaksItsSafetyNotesBeforeItsWork) {
  absl::StatusOr<Routine> routine =
      BuildPresetRoutine(RealCatalog(), "balanced-beginner");
  ASSERT_TRUE(routine.ok()) << routine.status();
  Harness h(*routine);
  h.Start();
  h.RunToEnd();
  for (int item = 0; item < routine->items_size(); ++item) {
    const coach::v1::Exercise* ex =
        RealCatalog().FindExercise(routine->items(item).exercise_id());
    SCOPED_TRACE(ex->id());
    std::vector<std::string> spoken;
    bool worked = false;
    for (const SessionEvent& ev : h.events()) {
      if (ev.status().item_index() != item) continue;
      if (ev.has_set_started() || ev.has_step_cue()) worked = true;
      if (ev.has_safety_note() && !worked) {
        spoken.push_back(ev.safety_note().text());
      }
    }
    EXPECT_THAT(spoken, ElementsAreArray(ex->safety()));
  }
}

TEST(SessionEngineTest, BreathCuesComeAtTheMomentTheyApply) {
  Harness h(RoutineOf({Item("band-row", Counted(1, 2, 4, 0, 0))}));
  h.Start();
  h.RunToEnd();
  std::vector<std::string> breaths;
  for (const SessionEvent& ev : h.events()) {
    if (ev.has_breath_cue()) {
      breaths.push_back(absl::StrCat(
          h.Describe(ev), ": ", ev.breath_cue().text(), " [",
          ev.status().step_kind() == coach::v1::STEP_KIND_REP ? "effort step"
                                                              : "return step",
          "]"));
    }
  }
  // Tempo 4: 2 s of effort, then 2 s back.
  EXPECT_THAT(breaths,
              ElementsAre("18 breath effort: Breathe out as you pull. [effort "
                          "step]",
                          "20 breath return: Breathe in as you let go. [return "
                          "step]",
                          "22 breath effort: Breathe out as you pull. [effort "
                          "step]",
                          "24 breath return: Breathe in as you let go. [return "
                          "step]"));
}

TEST(SessionEngineTest, EveryEventCarriesItsStatusAndRenderings) {
  absl::StatusOr<Routine> routine = BuildPresetRoutine(RealCatalog(), "demo");
  ASSERT_TRUE(routine.ok()) << routine.status();
  Harness h(*routine);
  h.Start();
  h.RunToEnd();
  int last_step = -1;
  for (const SessionEvent& ev : h.events()) {
    SCOPED_TRACE(h.Describe(ev));
    EXPECT_TRUE(ev.has_status());
    EXPECT_FALSE(ev.speech().text().empty());
    EXPECT_TRUE(absl::StartsWith(ev.speech().ssml(), "<speak>"));
    EXPECT_FALSE(ev.card().current_step().empty());
    EXPECT_GE(ev.status().step_index(), last_step);  // Never backwards.
    last_step = ev.status().step_index();
    if (ev.status().has_deadline()) {
      EXPECT_GT(TimeOf(ev.status().deadline()), TimeOf(ev.server_time()));
      // A hold's card counts down the rest of the hold, a second a tick.
      const absl::Duration past =
          ev.has_hold_countdown()
              ? absl::Seconds(ev.hold_countdown().seconds_left() - 1)
              : absl::ZeroDuration();
      EXPECT_EQ(TimeOf(ev.card().deadline()),
                TimeOf(ev.status().deadline()) + past);
    }
  }
}

TEST(SessionEngineTest, RepeatWhilePausedShowsNoRunningTimer) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();
  h.TickAt(h.T(20));  // Inside set 1: a timer runs.
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_PAUSE).ok());
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_REPEAT).ok());
  const SessionEvent& repeated = h.last();
  EXPECT_TRUE(repeated.repeated_cue());
  EXPECT_FALSE(repeated.card().has_deadline());
  EXPECT_EQ(repeated.card().timer_seconds(), 0);
  EXPECT_EQ(repeated.status().run_state(), coach::v1::RUN_STATE_PAUSED);
}

TEST(SessionEngineTest, OnlySkippedWorkCountsAsASkip) {
  Harness h(RoutineOf({Item("band-row", ThreeThreeThree())}));
  h.Start();  // In the intro: nothing to skip yet.
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_NEXT).ok());
  EXPECT_EQ(h.record().engine().summary().skips(), 0);
  ASSERT_TRUE(h.Command(coach::v1::COMMAND_TYPE_NEXT).ok());  // Skips set 1.
  EXPECT_EQ(h.record().engine().summary().skips(), 1);
  EXPECT_EQ(h.record().engine().summary().items(0).sets_done(), 0);
}

}  // namespace
}  // namespace engine_testing
}  // namespace coachd
