// Timelines of the session engine, driven by a FakeClock: every test asserts
// the exact events and the exact times they happen at.
#include "services/session/session_engine.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "services/catalog/routine_builder.h"
#include "services/catalog/timing.h"
#include "services/common/clock.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::coach::v1::CommandType;
using ::coach::v1::Prescription;
using ::coach::v1::Routine;
using ::coach::v1::RoutineItem;
using ::coach::v1::SessionEvent;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

// The 3-3-3 rule with a 2-second tempo: 1 s up, 3 one-second holds, 1 s down.
Prescription ThreeThreeThree() {
  Prescription p;
  p.set_sets(3);
  p.set_reps(3);
  p.set_hold_seconds(3);
  p.set_tempo_seconds(2);
  p.set_rest_seconds(30);
  p.set_label("3-3-3 rule");
  return p;
}

Prescription Counted(int sets, int reps, int tempo, int hold, int rest,
                     bool per_side = false, bool self_paced = false) {
  Prescription p;
  p.set_sets(sets);
  p.set_reps(reps);
  p.set_tempo_seconds(tempo);
  p.set_hold_seconds(hold);
  p.set_rest_seconds(rest);
  p.set_per_side(per_side);
  p.set_self_paced(self_paced);
  return p;
}

RoutineItem Item(const std::string& exercise_id, const Prescription& p) {
  const coach::v1::Exercise* ex = RealCatalog().FindExercise(exercise_id);
  EXPECT_NE(ex, nullptr) << exercise_id;
  RoutineItem item;
  item.set_exercise_id(exercise_id);
  item.set_exercise_name(ex != nullptr ? ex->name() : "");
  item.set_area(ex != nullptr ? ex->area() : coach::v1::AREA_UNSPECIFIED);
  *item.mutable_prescription() = p;
  item.set_estimated_seconds(EstimateExerciseSeconds(p));
  return item;
}

Routine RoutineOf(std::vector<RoutineItem> items) {
  Routine r;
  r.set_id("custom");
  r.set_title("Test routine");
  int total = 0;
  for (RoutineItem& item : items) {
    total += item.estimated_seconds();
    *r.add_items() = std::move(item);
  }
  r.set_estimated_seconds(total);
  return r;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Plays one session: a record, its engine and a FakeClock. Rebuilds the
// engine when a command changes the routine, as the runner does.
class Harness {
 public:
  explicit Harness(const Routine& routine, double time_scale = 1.0)
      : t0_(clock_.Now()) {
    *record_.mutable_routine() = routine;
    record_.set_time_scale(time_scale);
    Rebuild();
  }

  // Seconds since the start, as written in traces ("19", "50.75").
  std::string At(absl::Time t) const {
    return absl::StrCat(absl::ToDoubleSeconds(t - t0_));
  }
  absl::Time T(double seconds) const { return t0_ + absl::Seconds(seconds); }

  // One line per event: "<seconds> <payload summary>".
  std::string Describe(const SessionEvent& ev) const {
    std::string what;
    switch (ev.payload_case()) {
      case SessionEvent::kSessionStarted:
        what = "session_started";
        break;
      case SessionEvent::kWarmupStarted:
        what = absl::StrCat("warmup ", ev.warmup_started().seconds());
        break;
      case SessionEvent::kExerciseIntro:
        what = absl::StrCat("intro ", ev.exercise_intro().exercise_id());
        break;
      case SessionEvent::kStepCue:
        what = absl::StrCat("step ", ev.step_cue().step_index());
        break;
      case SessionEvent::kBreathCue:
        what = ev.breath_cue().phase() == coach::v1::BREATH_PHASE_EFFORT
                   ? "breath effort"
                   : "breath return";
        break;
      case SessionEvent::kSetStarted:
        what = absl::StrCat("set ", ev.set_started().set(), "/",
                            ev.set_started().sets(),
                            ev.set_started().side().empty() ? "" : " ",
                            ev.set_started().side());
        break;
      case SessionEvent::kRep:
        what =
            absl::StrCat("rep ", ev.rep().rep(), "/", ev.rep().reps(),
                         ev.rep().side().empty() ? "" : " ", ev.rep().side());
        break;
      case SessionEvent::kHoldCountdown:
        what = absl::StrCat("hold ", ev.hold_countdown().seconds_left(), "/",
                            ev.hold_countdown().hold_seconds());
        break;
      case SessionEvent::kSwitchSides:
        what = absl::StrCat("switch ", ev.switch_sides().side());
        break;
      case SessionEvent::kRestStarted:
        what = absl::StrCat("rest ", ev.rest_started().seconds(), " until ",
                            At(TimeOf(ev.rest_started().deadline())));
        break;
      case SessionEvent::kSetDone:
        what = absl::StrCat("set_done ", ev.set_done().set(), "/",
                            ev.set_done().sets());
        break;
      case SessionEvent::kDoneReminder:
        what = absl::StrCat("reminder ", ev.done_reminder().count());
        break;
      case SessionEvent::kSafetyNote:
        what = "safety";
        break;
      case SessionEvent::kPaused:
        what = absl::StrCat("paused ", ev.paused().remaining_ms(), "ms");
        break;
      case SessionEvent::kResumed:
        what = ev.resumed().has_deadline()
                   ? absl::StrCat("resumed until ",
                                  At(TimeOf(ev.resumed().deadline())))
                   : "resumed";
        break;
      case SessionEvent::kDiscomfortReported:
        what =
            absl::StrCat("discomfort ", ev.discomfort_reported().exercise_id());
        break;
      case SessionEvent::kCoachCue:
        what = absl::StrCat("coach ", ev.coach_cue().text());
        break;
      case SessionEvent::kExerciseDone:
        what = absl::StrCat("exercise_done ", ev.exercise_done().exercise_id(),
                            ev.exercise_done().skipped() ? " skipped" : "");
        break;
      case SessionEvent::kExerciseSwitched:
        what =
            absl::StrCat("switched ", ev.exercise_switched().from_exercise_id(),
                         " -> ", ev.exercise_switched().to_exercise_id());
        break;
      case SessionEvent::kSessionDone:
        what = ev.session_done().ended_early() ? "session_done early"
                                               : "session_done";
        break;
      default:
        what = "?";
        break;
    }
    return absl::StrCat(At(TimeOf(ev.server_time())), " ", what,
                        ev.repeated_cue() ? " (repeated)" : "");
  }

  std::vector<std::string> Trace(const std::vector<SessionEvent>& events) {
    std::vector<std::string> out;
    for (const SessionEvent& ev : events) out.push_back(Describe(ev));
    return out;
  }

  std::vector<std::string> Start() {
    return Log(engine_->Start(Now(), &record_));
  }

  // Moves the clock to `t` and fires what is due.
  std::vector<std::string> TickAt(absl::Time t) {
    clock_.Set(t);
    return Log(engine_->Tick(t, &record_));
  }

  // Moves the clock to the running timer's deadline and fires it.
  std::vector<std::string> Step() {
    const absl::Time next = SessionEngine::NextDeadline(record_);
    EXPECT_NE(next, absl::InfiniteFuture()) << "no timer runs";
    if (next == absl::InfiniteFuture()) return {};
    return TickAt(next);
  }

  // Steps until `done` holds for the last event, or the session finishes.
  std::vector<std::string> StepUntil(
      const std::function<bool(const SessionEvent&)>& done) {
    std::vector<std::string> out;
    for (int guard = 0; guard < 10000 && !Finished(); ++guard) {
      const size_t before = events_.size();
      for (std::string& line : Step()) out.push_back(std::move(line));
      for (size_t i = before; i < events_.size(); ++i) {
        if (done(events_[i])) return out;
      }
    }
    return out;
  }

  std::vector<std::string> RunToEnd() {
    return StepUntil([](const SessionEvent&) { return false; });
  }

  // Applies a command at the clock's time.
  absl::StatusOr<std::vector<std::string>> Command(
      CommandType type, const std::string& note = "",
      coach::v1::DeviceKind from = coach::v1::DEVICE_KIND_UNSPECIFIED) {
    EngineCommand command{type, note, from};
    const int version = record_.engine().routine_version();
    absl::StatusOr<std::vector<SessionEvent>> events =
        engine_->Apply(command, Now(), &record_);
    if (!events.ok()) return events.status();
    if (record_.engine().routine_version() != version) Rebuild();
    return Log(*std::move(events));
  }
  absl::StatusOr<std::vector<std::string>> CommandAt(
      absl::Time t, CommandType type, const std::string& note = "") {
    clock_.Set(t);
    return Command(type, note);
  }

  bool Finished() const {
    return record_.engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  }
  absl::Time Now() const { return clock_.Now(); }
  absl::Time t0() const { return t0_; }
  FakeClock& clock() { return clock_; }
  SessionRecord& record() { return record_; }
  const SessionEngine& engine() const { return *engine_; }
  const std::vector<SessionEvent>& events() const { return events_; }
  const SessionEvent& last() const { return events_.back(); }
  coach::v1::SessionStatus status() const { return engine_->Status(record_); }
  // The deadline of the running timer in trace seconds, or "none".
  std::string Deadline() const {
    const absl::Time d = SessionEngine::NextDeadline(record_);
    return d == absl::InfiniteFuture() ? "none" : At(d);
  }

 private:
  void Rebuild() {
    absl::StatusOr<std::unique_ptr<SessionEngine>> engine =
        SessionEngine::Create(&RealCatalog(), record_.routine(),
                              record_.time_scale());
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  std::vector<std::string> Log(std::vector<SessionEvent> events) {
    std::vector<std::string> out = Trace(events);
    for (SessionEvent& ev : events) events_.push_back(std::move(ev));
    return out;
  }

  FakeClock clock_;
  const absl::Time t0_;
  SessionRecord record_;
  std::unique_ptr<SessionEngine> engine_;
  std::vector<SessionEvent> events_;
};

// Events of the 3-3-3 band row from the start to the end of its first set.
const std::vector<std::string> kFirstSetOf333 = {
    "0 session_started",  "0 intro band-row", "0 safety",
    "0 safety",           "15 set 1/3",       "18 rep 1/3",
    "18 step 0",          "18 step 1",        "18 breath effort",
    "19 hold 3/3",        "20 hold 2/3",      "21 hold 1/3",
    "22 step 2",          "22 breath return", "23 rep 2/3",
    "23 breath effort",   "24 hold 3/3",      "25 hold 2/3",
    "26 hold 1/3",        "27 breath return", "28 rep 3/3",
    "28 breath effort",   "29 hold 3/3",      "30 hold 2/3",
    "31 hold 1/3",        "32 breath return", "33 set_done 1/3",
    "33 rest 30 until 63"};

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
  std::string next;      // The first event after resuming.
};

TEST(SessionEngineTest, PauseStopsEveryTimerAndResumeKeepsTheRemainingTime) {
  const std::vector<PauseCase> cases = {
      {"during a rest", 43, 143, 20000, "143 resumed until 163", "163 set 2/3"},
      {"inside a hold second", 19.25, 50, 750, "50 resumed until 50.75",
       "50.75 hold 2/3"},
      {"during the intro", 0, 7, 15000, "7 resumed until 22", "22 set 1/3"},
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
      EXPECT_TRUE(MessageDifferencer::Equals(ev.card().deadline(),
                                             ev.status().deadline()));
    }
  }
}

}  // namespace
}  // namespace coachd

namespace coachd {
namespace {

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
}  // namespace coachd
