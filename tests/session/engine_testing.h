// Shared by the session engine's timeline tests: routines in the shapes the
// guide uses (the 3-3-3 rule, counted sets) and Harness, which plays a
// session on a FakeClock and records every event with the second it
// happened at.
#ifndef TESTS_SESSION_ENGINE_TESTING_H_
#define TESTS_SESSION_ENGINE_TESTING_H_

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
#include "services/session/session_engine.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace engine_testing {

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

inline Prescription ThreeThreeThree() {
  Prescription p;
  p.set_sets(3);
  p.set_reps(3);
  p.set_hold_seconds(3);
  p.set_tempo_seconds(2);
  p.set_rest_seconds(30);
  p.set_label("3-3-3 rule");
  return p;
}

inline Prescription Counted(int sets, int reps, int tempo, int hold, int rest,
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

inline RoutineItem Item(const std::string& exercise_id, const Prescription& p) {
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

inline Routine RoutineOf(std::vector<RoutineItem> items) {
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

inline absl::Time TimeOf(const google::protobuf::Timestamp& t) {
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
inline const std::vector<std::string> kFirstSetOf333 = {
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

}  // namespace engine_testing
}  // namespace coachd

#endif  // TESTS_SESSION_ENGINE_TESTING_H_
