// Timelines: how routines unroll into steps, and that the steps take exactly
// the time the routine builder estimates.
#include "services/session/timeline.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "services/catalog/routine_builder.h"
#include "services/catalog/timing.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::v1::Prescription;
using ::coach::v1::Routine;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Routine OneItem(const std::string& exercise_id, const Prescription& p) {
  Routine r;
  coach::v1::RoutineItem* item = r.add_items();
  item->set_exercise_id(exercise_id);
  *item->mutable_prescription() = p;
  return r;
}

// "KIND seconds" per step, with set/rep/side/hold where they apply.
std::vector<std::string> Steps(const Timeline& t) {
  std::vector<std::string> out;
  for (int i = 0; i < t.size(); ++i) {
    const TimelineStep& s = t.step(i);
    std::string kind = coach::v1::StepKind_Name(s.kind).substr(10);
    std::string line = absl::StrCat(kind, " ", s.seconds);
    if (s.set > 0) absl::StrAppend(&line, " s", s.set);
    if (s.rep > 0) absl::StrAppend(&line, " r", s.rep);
    if (s.hold_left > 0) absl::StrAppend(&line, " h", s.hold_left);
    if (!s.side.empty()) absl::StrAppend(&line, " ", s.side);
    if (s.flow_index >= 0) absl::StrAppend(&line, " f", s.flow_index);
    if (s.segment_start) absl::StrAppend(&line, " *");
    out.push_back(line);
  }
  return out;
}

int TotalSeconds(const Timeline& t) {
  int total = 0;
  for (int i = 0; i < t.size(); ++i) total += t.step(i).seconds;
  return total;
}

TEST(TimelineTest, ThreeThreeThreeUnrollsRepsHoldsAndRests) {
  Prescription p;
  p.set_sets(2);
  p.set_reps(2);
  p.set_hold_seconds(3);
  p.set_tempo_seconds(3);  // 2 s up, 1 s down.
  p.set_rest_seconds(30);
  absl::StatusOr<Timeline> t =
      Timeline::Build(RealCatalog(), OneItem("band-row", p));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(
      Steps(*t),
      ElementsAre("INTRO 15 *", "SET_START 3 s1 *", "REP 2 s1 r1",
                  "HOLD 1 s1 r1 h3", "HOLD 1 s1 r1 h2", "HOLD 1 s1 r1 h1",
                  "REP_RETURN 1 s1 r1", "REP 2 s1 r2", "HOLD 1 s1 r2 h3",
                  "HOLD 1 s1 r2 h2", "HOLD 1 s1 r2 h1", "REP_RETURN 1 s1 r2",
                  "REST 30 s1 *", "SET_START 3 s2 *", "REP 2 s2 r1",
                  "HOLD 1 s2 r1 h3", "HOLD 1 s2 r1 h2", "HOLD 1 s2 r1 h1",
                  "REP_RETURN 1 s2 r1", "REP 2 s2 r2", "HOLD 1 s2 r2 h3",
                  "HOLD 1 s2 r2 h2", "HOLD 1 s2 r2 h1", "REP_RETURN 1 s2 r2",
                  "EXERCISE_DONE 3", "SESSION_DONE 0 *"));
  EXPECT_EQ(TotalSeconds(*t), EstimateExerciseSeconds(p));
  EXPECT_EQ(t->step(12).closes_set, 1);  // The rest closes set 1.
  EXPECT_EQ(t->step(24).closes_set, 2);  // The end closes the last set.
  EXPECT_TRUE(t->step(2).first_rep_of_set);
  EXPECT_FALSE(t->step(7).first_rep_of_set);
}

TEST(TimelineTest, OneSidedMoveSwitchesSidesInsideEachSet) {
  Prescription p;
  p.set_sets(2);
  p.set_reps(1);
  p.set_per_side(true);
  p.set_tempo_seconds(1);  // All effort, no return step.
  absl::StatusOr<Timeline> t =
      Timeline::Build(RealCatalog(), OneItem("single-arm-row", p));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(
      Steps(*t),
      ElementsAre("INTRO 15 *", "SET_START 3 s1 right *", "REP 1 s1 r1 right",
                  "SWITCH_SIDES 5 s1 left", "SET_START 3 s1 left *",
                  "REP 1 s1 r1 left", "SET_START 3 s2 right *",
                  "REP 1 s2 r1 right", "SWITCH_SIDES 5 s2 left",
                  "SET_START 3 s2 left *", "REP 1 s2 r1 left",
                  "EXERCISE_DONE 3", "SESSION_DONE 0 *"));
  // Without a rest, the next set's start closes the previous set.
  EXPECT_EQ(t->step(6).closes_set, 1);
  EXPECT_EQ(TotalSeconds(*t), EstimateExerciseSeconds(p));
}

TEST(TimelineTest, SidesWithoutNamesAreOneAndOther) {
  Prescription p;
  p.set_sets(1);
  p.set_reps(1);
  p.set_per_side(true);
  p.set_tempo_seconds(1);
  absl::StatusOr<Timeline> t =
      Timeline::Build(RealCatalog(), OneItem("superman", p));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->step(1).side, "one side");
  EXPECT_EQ(t->step(3).side, "other side");
}

TEST(TimelineTest, TimedItemSplitsItsDurationOverItsSteps) {
  Prescription p;
  p.set_duration_seconds(62);  // Five steps: 12 each, the rest on the last.
  Routine r = OneItem("warmup", p);
  absl::StatusOr<Timeline> t = Timeline::Build(RealCatalog(), r);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Steps(*t),
              ElementsAre("WARMUP 15 *", "FLOW 12 f0 *", "FLOW 12 f1",
                          "FLOW 12 f2", "FLOW 12 f3", "FLOW 14 f4",
                          "EXERCISE_DONE 3", "SESSION_DONE 0 *"));
  EXPECT_EQ(TotalSeconds(*t), EstimateExerciseSeconds(p));
}

TEST(TimelineTest, SelfPacedSetsWaitInsteadOfCountingReps) {
  Prescription p;
  p.set_sets(2);
  p.set_reps(8);
  p.set_tempo_seconds(3);
  p.set_rest_seconds(20);
  p.set_self_paced(true);
  absl::StatusOr<Timeline> t =
      Timeline::Build(RealCatalog(), OneItem("glute-bridge", p));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Steps(*t),
              ElementsAre("INTRO 15 *", "SET_START 3 s1 *", "AWAIT_DONE 0 s1",
                          "REST 20 s1 *", "SET_START 3 s2 *", "AWAIT_DONE 0 s2",
                          "EXERCISE_DONE 3", "SESSION_DONE 0 *"));
}

TEST(TimelineTest, EveryPrescriptionTakesExactlyItsEstimate) {
  std::vector<std::pair<std::string, Prescription>> cases;
  for (const coach::v1::Exercise& ex : RealCatalog().exercises()) {
    cases.push_back({ex.id() + " default", ex.prescription()});
    if (ex.has_beginner())
      cases.push_back({ex.id() + " beginner", ex.beginner()});
    if (ex.prescription().duration_seconds() > 0) continue;
    for (const coach::v1::NamedPrescription& named :
         RealCatalog().file().prescriptions()) {
      Prescription p = named.prescription();
      p.set_per_side(ex.prescription().per_side());
      cases.push_back({ex.id() + " " + named.id(), p});
    }
  }
  for (const auto& [name, p] : cases) {
    SCOPED_TRACE(name);
    const std::string id = name.substr(0, name.find(' '));
    absl::StatusOr<Timeline> t = Timeline::Build(RealCatalog(), OneItem(id, p));
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(TotalSeconds(*t), EstimateExerciseSeconds(p));
  }
}

TEST(TimelineTest, EveryPresetTakesExactlyItsEstimate) {
  for (const coach::v1::RoutinePreset& preset :
       RealCatalog().file().presets()) {
    SCOPED_TRACE(preset.id());
    absl::StatusOr<Routine> routine =
        BuildPresetRoutine(RealCatalog(), preset.id());
    ASSERT_TRUE(routine.ok()) << routine.status();
    absl::StatusOr<Timeline> t = Timeline::Build(RealCatalog(), *routine);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(TotalSeconds(*t), routine->estimated_seconds());
    EXPECT_EQ(t->step(0).kind, coach::v1::STEP_KIND_WARMUP);
    EXPECT_EQ(t->step(t->size() - 1).kind, coach::v1::STEP_KIND_SESSION_DONE);
  }
}

TEST(TimelineTest, SegmentsForNextAndPrevious) {
  Routine r;
  Prescription counted;
  counted.set_sets(2);
  counted.set_reps(1);
  counted.set_tempo_seconds(2);
  counted.set_rest_seconds(10);
  *r.add_items() = OneItem("band-row", counted).items(0);
  *r.add_items() = OneItem("superman", counted).items(0);
  absl::StatusOr<Timeline> t = Timeline::Build(RealCatalog(), r);
  ASSERT_TRUE(t.ok()) << t.status();
  // 0 INTRO* 1 SET_START* 2 REP 3 RET 4 REST* 5 SET_START* 6 REP 7 RET
  // 8 DONE, 9 INTRO* ... 17 DONE, 18 SESSION_DONE*.
  ASSERT_EQ(t->size(), 19);
  EXPECT_EQ(t->FirstStepOf(0), 0);
  EXPECT_EQ(t->FirstStepOf(1), 9);
  EXPECT_EQ(t->DoneStepOf(0), 8);
  EXPECT_EQ(t->DoneStepOf(1), 17);
  EXPECT_EQ(t->NextSegment(0), 1);
  EXPECT_EQ(t->NextSegment(2), 4);
  EXPECT_EQ(t->NextSegment(7), 9);
  EXPECT_EQ(t->NextSegment(17), 18);
  EXPECT_EQ(t->NextSegment(18), 18);
  EXPECT_EQ(t->PreviousSegment(0), -1);
  EXPECT_EQ(t->PreviousSegment(1), 0);
  EXPECT_EQ(t->PreviousSegment(3), 0);
  EXPECT_EQ(t->PreviousSegment(4), 1);
  EXPECT_EQ(t->PreviousSegment(6), 4);
  EXPECT_EQ(t->PreviousSegment(8), 4);
  EXPECT_EQ(t->PreviousSegment(10), 9);
  EXPECT_EQ(t->PreviousSegment(12), 9);
}

TEST(TimelineTest, BadRoutinesAreRefusedNamingTheItem) {
  struct Case {
    std::string name;
    Routine routine;
    std::string message;
  };
  Prescription no_reps;
  no_reps.set_sets(3);
  no_reps.set_tempo_seconds(2);
  Prescription fine;
  fine.set_sets(1);
  fine.set_reps(1);
  fine.set_tempo_seconds(1);
  Routine unknown = OneItem("band-row", fine);
  *unknown.add_items() = OneItem("moonwalk", fine).items(0);
  // Past the catalogue's limits (a stored routine, corrupt): refused, not
  // unrolled into millions of steps.
  Prescription huge = fine;
  huge.set_sets(100000);
  huge.set_reps(30000);
  Prescription long_hold = fine;
  long_hold.set_hold_seconds(31);
  Prescription negative_rest = fine;
  negative_rest.set_rest_seconds(-1);
  Prescription long_timed;
  long_timed.set_duration_seconds(1801);
  Routine many = OneItem("band-row", fine);
  for (int i = 0; i < kMaxRoutineItems; ++i) {
    *many.add_items() = many.items(0);
  }
  const std::vector<Case> cases = {
      {"unknown exercise", unknown,
       "routine.items[1].exercise_id: unknown exercise \"moonwalk\""},
      {"counted without reps", OneItem("band-row", no_reps),
       "routine.items[0].prescription: needs sets, reps and tempo"},
      {"huge sets and reps", OneItem("band-row", huge),
       "routine.items[0].prescription: outside the limits"},
      {"hold too long", OneItem("band-row", long_hold),
       "routine.items[0].prescription: outside the limits"},
      {"negative rest", OneItem("band-row", negative_rest),
       "routine.items[0].prescription: outside the limits"},
      {"timed too long", OneItem("warmup", long_timed),
       "routine.items[0].prescription.duration_seconds: 1801 is more than "
       "1800"},
      {"too many items", many, "routine.items: 257 items, more than 256"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Timeline> t = Timeline::Build(RealCatalog(), c.routine);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace coachd
