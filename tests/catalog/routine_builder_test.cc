#include "services/catalog/routine_builder.h"

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "services/catalog/timing.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::v1::Area;
using ::coach::v1::BuildRoutineRequest;
using ::coach::v1::Equipment;
using ::coach::v1::Focus;
using ::coach::v1::Level;
using ::coach::v1::Routine;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Equipment kAllEquipment[] = {coach::v1::EQUIPMENT_DUMBBELLS,
                                       coach::v1::EQUIPMENT_RESISTANCE_BAND,
                                       coach::v1::EQUIPMENT_BENCH};
constexpr Focus kFocuses[] = {coach::v1::FOCUS_BALANCED, coach::v1::FOCUS_UPPER,
                              coach::v1::FOCUS_MID, coach::v1::FOCUS_LOWER,
                              coach::v1::FOCUS_MOBILITY};
constexpr Level kLevels[] = {coach::v1::LEVEL_BEGINNER,
                             coach::v1::LEVEL_INTERMEDIATE,
                             coach::v1::LEVEL_ADVANCED};
constexpr Area kWorkAreas[] = {coach::v1::AREA_UPPER, coach::v1::AREA_MID,
                               coach::v1::AREA_LOWER, coach::v1::AREA_MOBILITY};

// The real catalogue, loaded once.

BuildRoutineRequest Request(Focus focus, std::vector<Equipment> equipment,
                            int minutes, Level level,
                            const std::string& prescription_id = "") {
  BuildRoutineRequest request;
  request.set_focus(focus);
  for (Equipment e : equipment) request.add_equipment(e);
  request.set_minutes(minutes);
  request.set_level(level);
  request.set_prescription_id(prescription_id);
  return request;
}

std::vector<Equipment> Subset(int mask) {
  std::vector<Equipment> equipment;
  for (int i = 0; i < 3; ++i) {
    if (mask & (1 << i)) equipment.push_back(kAllEquipment[i]);
  }
  return equipment;
}

bool CanDo(const coach::v1::Exercise& exercise,
           const BuildRoutineRequest& request) {
  for (int needed : exercise.equipment()) {
    bool found = false;
    for (int have : request.equipment()) found |= have == needed;
    if (!found) return false;
  }
  return true;
}

// Whether the catalogue has an exercise of `area` doable with the request's
// equipment.
bool AreaPossible(Area area, const BuildRoutineRequest& request) {
  for (const coach::v1::Exercise& ex : RealCatalog().exercises()) {
    if (ex.area() == area && CanDo(ex, request)) return true;
  }
  return false;
}

Area FocusArea(Focus focus) {
  switch (focus) {
    case coach::v1::FOCUS_UPPER:
      return coach::v1::AREA_UPPER;
    case coach::v1::FOCUS_MID:
      return coach::v1::AREA_MID;
    case coach::v1::FOCUS_LOWER:
      return coach::v1::AREA_LOWER;
    case coach::v1::FOCUS_MOBILITY:
      return coach::v1::AREA_MOBILITY;
    default:
      return coach::v1::AREA_UNSPECIFIED;
  }
}

// The properties every built routine has (routine_builder.h).
void ExpectRoutineProperties(const Routine& routine,
                             const BuildRoutineRequest& request) {
  const Catalog& catalog = RealCatalog();
  ASSERT_GE(routine.items_size(), 2);
  EXPECT_EQ(routine.items(0).exercise_id(), catalog.warmup().id());
  EXPECT_EQ(routine.items(0).area(), coach::v1::AREA_WARMUP);
  EXPECT_GE(routine.items(0).prescription().duration_seconds(), 300);
  EXPECT_TRUE(MessageDifferencer::Equals(routine.request(), request));
  int total = 0;
  std::set<std::string> seen;
  for (int i = 0; i < routine.items_size(); ++i) {
    const coach::v1::RoutineItem& item = routine.items(i);
    SCOPED_TRACE(item.exercise_id());
    const coach::v1::Exercise* ex = catalog.FindExercise(item.exercise_id());
    ASSERT_NE(ex, nullptr);
    EXPECT_TRUE(seen.insert(item.exercise_id()).second) << "repeated";
    EXPECT_EQ(item.exercise_name(), ex->name());
    EXPECT_EQ(item.area(), ex->area());
    EXPECT_TRUE(CanDo(*ex, request)) << "needs equipment not at hand";
    EXPECT_EQ(item.estimated_seconds(),
              EstimateExerciseSeconds(item.prescription()));
    EXPECT_EQ(item.prescription().per_side(), ex->prescription().per_side());
    if (i > 0) {
      EXPECT_NE(item.area(), coach::v1::AREA_WARMUP);
    }
    total += item.estimated_seconds();
  }
  EXPECT_EQ(routine.estimated_seconds(), total);
  EXPECT_LE(routine.estimated_seconds(), request.minutes() * 60);
  EXPECT_THAT(routine.title(), HasSubstr(" min"));

  std::set<Area> areas;
  int mobility = 0;
  for (const coach::v1::RoutineItem& item : routine.items()) {
    areas.insert(item.area());
    mobility += item.area() == coach::v1::AREA_MOBILITY;
  }
  const Focus focus = request.focus();
  if (focus == coach::v1::FOCUS_BALANCED ||
      focus == coach::v1::FOCUS_UNSPECIFIED) {
    // Balanced covers every area the equipment allows.
    for (Area area : kWorkAreas) {
      if (AreaPossible(area, request)) {
        EXPECT_EQ(areas.count(area), 1u) << "missing area " << area;
      }
    }
  } else {
    const Area area = FocusArea(focus);
    EXPECT_EQ(areas.count(area), 1u);
    for (const coach::v1::RoutineItem& item : routine.items()) {
      EXPECT_THAT(item.area(), testing::AnyOf(coach::v1::AREA_WARMUP, area,
                                              coach::v1::AREA_MOBILITY));
    }
    if (area != coach::v1::AREA_MOBILITY) {
      EXPECT_LE(mobility, 1);
    }
  }
}

TEST(RoutineBuilderTest, EveryEquipmentFocusAndLevelGivesAValidRoutine) {
  for (int mask = 0; mask < 8; ++mask) {
    for (Focus focus : kFocuses) {
      for (Level level : kLevels) {
        const BuildRoutineRequest request =
            Request(focus, Subset(mask), 60, level);
        SCOPED_TRACE(request.ShortDebugString());
        absl::StatusOr<Routine> routine = BuildRoutine(RealCatalog(), request);
        const Area area = FocusArea(focus);
        if (area != coach::v1::AREA_UNSPECIFIED &&
            !AreaPossible(area, request)) {
          EXPECT_EQ(routine.status().code(),
                    absl::StatusCode::kInvalidArgument);
          EXPECT_THAT(std::string(routine.status().message()),
                      StartsWith("equipment: no "));
          continue;
        }
        ASSERT_TRUE(routine.ok()) << routine.status();
        ExpectRoutineProperties(*routine, request);
      }
    }
  }
}

TEST(RoutineBuilderTest, MinutesAreRespected) {
  for (int mask : {0, 2, 7}) {
    for (Focus focus : kFocuses) {
      for (Level level : kLevels) {
        bool fitted_before = false;
        for (int minutes = 5; minutes <= 120; ++minutes) {
          const BuildRoutineRequest request =
              Request(focus, Subset(mask), minutes, level);
          SCOPED_TRACE(request.ShortDebugString());
          absl::StatusOr<Routine> routine =
              BuildRoutine(RealCatalog(), request);
          if (routine.ok()) {
            ExpectRoutineProperties(*routine, request);
            fitted_before = true;
          } else {
            EXPECT_EQ(routine.status().code(),
                      absl::StatusCode::kInvalidArgument);
            if (absl::StartsWith(std::string(routine.status().message()),
                                 "equipment:")) {
              continue;
            }
            EXPECT_THAT(std::string(routine.status().message()),
                        StartsWith("minutes: "));
            // More time never makes a routine impossible.
            EXPECT_FALSE(fitted_before);
          }
        }
      }
    }
  }
}

TEST(RoutineBuilderTest, ShortestRoutineIsTheWarmUpAndOneStretch) {
  const BuildRoutineRequest request =
      Request(coach::v1::FOCUS_MOBILITY, {}, 7, coach::v1::LEVEL_BEGINNER);
  absl::StatusOr<Routine> routine = BuildRoutine(RealCatalog(), request);
  ASSERT_TRUE(routine.ok()) << routine.status();
  ASSERT_EQ(routine->items_size(), 2);
  EXPECT_EQ(routine->items(1).area(), coach::v1::AREA_MOBILITY);

  absl::StatusOr<Routine> too_short = BuildRoutine(
      RealCatalog(),
      Request(coach::v1::FOCUS_MOBILITY, {}, 6, coach::v1::LEVEL_BEGINNER));
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(too_short.status().message()),
            "minutes: needs at least 7 minutes for the warm-up and one "
            "mobility exercise, got 6");
}

TEST(RoutineBuilderTest, Deterministic) {
  const Catalog copy = RealCatalog();
  for (Focus focus : kFocuses) {
    for (int minutes : {20, 30, 120}) {
      const BuildRoutineRequest request =
          Request(focus, Subset(7), minutes, coach::v1::LEVEL_INTERMEDIATE);
      SCOPED_TRACE(request.ShortDebugString());
      absl::StatusOr<Routine> first = BuildRoutine(RealCatalog(), request);
      absl::StatusOr<Routine> second = BuildRoutine(RealCatalog(), request);
      absl::StatusOr<Routine> from_copy = BuildRoutine(copy, request);
      ASSERT_TRUE(first.ok()) << first.status();
      ASSERT_TRUE(second.ok()) << second.status();
      ASSERT_TRUE(from_copy.ok()) << from_copy.status();
      std::string diff;
      MessageDifferencer differencer;
      differencer.ReportDifferencesToString(&diff);
      EXPECT_TRUE(differencer.Compare(*first, *second)) << diff;
      EXPECT_TRUE(MessageDifferencer::Equals(*first, *from_copy));
    }
  }
}

TEST(RoutineBuilderTest, BalancedCoversAllFourAreas) {
  for (Level level : kLevels) {
    const BuildRoutineRequest request =
        Request(coach::v1::FOCUS_BALANCED, Subset(7), 30, level);
    SCOPED_TRACE(request.ShortDebugString());
    absl::StatusOr<Routine> routine = BuildRoutine(RealCatalog(), request);
    ASSERT_TRUE(routine.ok()) << routine.status();
    std::vector<Area> areas;
    for (const coach::v1::RoutineItem& item : routine->items()) {
      if (areas.empty() || areas.back() != item.area()) {
        areas.push_back(item.area());
      }
    }
    // Warm-up, then top of the back to the bottom, stretches last.
    EXPECT_THAT(areas,
                ElementsAre(coach::v1::AREA_WARMUP, coach::v1::AREA_UPPER,
                            coach::v1::AREA_MID, coach::v1::AREA_LOWER,
                            coach::v1::AREA_MOBILITY));
  }
}

TEST(RoutineBuilderTest, UnspecifiedMeansBalancedBeginner) {
  BuildRoutineRequest unspecified;
  unspecified.set_minutes(25);
  for (Equipment e : kAllEquipment) unspecified.add_equipment(e);
  BuildRoutineRequest explicit_request = unspecified;
  explicit_request.set_focus(coach::v1::FOCUS_BALANCED);
  explicit_request.set_level(coach::v1::LEVEL_BEGINNER);
  absl::StatusOr<Routine> a = BuildRoutine(RealCatalog(), unspecified);
  absl::StatusOr<Routine> b = BuildRoutine(RealCatalog(), explicit_request);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->items_size(), b->items_size());
  for (int i = 0; i < a->items_size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(a->items(i), b->items(i)));
  }
  EXPECT_EQ(a->title(), b->title());
}

// Work in a prescription: reps over all sets and sides.
int Work(const coach::v1::Prescription& p) {
  return p.sets() * p.reps() * (p.per_side() ? 2 : 1);
}

TEST(RoutineBuilderTest, BeginnerIsLighterThanAdvanced) {
  const BuildRoutineRequest beginner_request = Request(
      coach::v1::FOCUS_BALANCED, Subset(7), 120, coach::v1::LEVEL_BEGINNER);
  BuildRoutineRequest intermediate_request = beginner_request;
  intermediate_request.set_level(coach::v1::LEVEL_INTERMEDIATE);
  BuildRoutineRequest advanced_request = beginner_request;
  advanced_request.set_level(coach::v1::LEVEL_ADVANCED);
  absl::StatusOr<Routine> beginner =
      BuildRoutine(RealCatalog(), beginner_request);
  absl::StatusOr<Routine> intermediate =
      BuildRoutine(RealCatalog(), intermediate_request);
  absl::StatusOr<Routine> advanced =
      BuildRoutine(RealCatalog(), advanced_request);
  ASSERT_TRUE(beginner.ok()) << beginner.status();
  ASSERT_TRUE(intermediate.ok()) << intermediate.status();
  ASSERT_TRUE(advanced.ok()) << advanced.status();
  // 120 minutes hold every exercise at every level, in the same order.
  ASSERT_EQ(beginner->items_size(), 9);
  ASSERT_EQ(intermediate->items_size(), 9);
  ASSERT_EQ(advanced->items_size(), 9);
  for (int i = 1; i < 9; ++i) {
    const coach::v1::RoutineItem& b = beginner->items(i);
    const coach::v1::RoutineItem& m = intermediate->items(i);
    const coach::v1::RoutineItem& a = advanced->items(i);
    SCOPED_TRACE(b.exercise_id());
    ASSERT_EQ(b.exercise_id(), a.exercise_id());
    ASSERT_EQ(b.exercise_id(), m.exercise_id());
    EXPECT_LT(Work(b.prescription()), Work(m.prescription()));
    EXPECT_LT(Work(m.prescription()), Work(a.prescription()));
    EXPECT_LT(b.estimated_seconds(), a.estimated_seconds());
    EXPECT_EQ(a.prescription().sets(), m.prescription().sets() + 1);
  }
  EXPECT_LT(beginner->estimated_seconds(), advanced->estimated_seconds());
}

TEST(RoutineBuilderTest, DerivedBeginnerPrescriptionWhenNoneIsGiven) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromText(
      R"pb(
        exercises {
          id: "warmup"
          name: "Warm-up"
          area: AREA_WARMUP
          steps: "March"
          prescription { duration_seconds: 300 }
        }
        exercises {
          id: "superman"
          name: "Superman"
          area: AREA_LOWER
          steps: "Lift"
          prescription { sets: 3 reps: 10 hold_seconds: 2 tempo_seconds: 2 }
        }
      )pb",
      "inline");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  absl::StatusOr<Routine> routine = BuildRoutine(
      *catalog,
      Request(coach::v1::FOCUS_LOWER, {}, 30, coach::v1::LEVEL_BEGINNER));
  ASSERT_TRUE(routine.ok()) << routine.status();
  ASSERT_EQ(routine->items_size(), 2);
  const coach::v1::Prescription& p = routine->items(1).prescription();
  EXPECT_EQ(p.sets(), 2);
  EXPECT_LT(p.reps(), 10);
  EXPECT_LT(p.hold_seconds(), 2);
}

TEST(RoutineBuilderTest, NamedPrescriptionAppliesToEveryCountedExercise) {
  const BuildRoutineRequest request =
      Request(coach::v1::FOCUS_BALANCED, Subset(7), 60,
              coach::v1::LEVEL_ADVANCED, "3-3-3");
  absl::StatusOr<Routine> routine = BuildRoutine(RealCatalog(), request);
  ASSERT_TRUE(routine.ok()) << routine.status();
  ExpectRoutineProperties(*routine, request);
  EXPECT_EQ(routine->items(0).prescription().duration_seconds(), 300);
  ASSERT_GT(routine->items_size(), 4);
  bool saw_per_side = false;
  for (int i = 1; i < routine->items_size(); ++i) {
    const coach::v1::RoutineItem& item = routine->items(i);
    SCOPED_TRACE(item.exercise_id());
    EXPECT_EQ(item.prescription().sets(), 3);
    EXPECT_EQ(item.prescription().reps(), 3);
    EXPECT_EQ(item.prescription().hold_seconds(), 3);
    EXPECT_EQ(item.prescription().label(), "3-3-3 rule");
    saw_per_side |= item.prescription().per_side();
  }
  EXPECT_TRUE(saw_per_side);  // The single-arm row keeps working each side.
}

TEST(RoutineBuilderTest, ImpossibleRequestsNameTheField) {
  struct Case {
    const char* what;
    BuildRoutineRequest request;
    const char* message;  // Expected prefix.
  };
  BuildRoutineRequest bad_focus =
      Request(coach::v1::FOCUS_BALANCED, {}, 30, coach::v1::LEVEL_BEGINNER);
  bad_focus.set_focus(static_cast<Focus>(42));
  BuildRoutineRequest bad_level =
      Request(coach::v1::FOCUS_BALANCED, {}, 30, coach::v1::LEVEL_BEGINNER);
  bad_level.set_level(static_cast<Level>(9));
  const Case cases[] = {
      {"too few minutes",
       Request(coach::v1::FOCUS_BALANCED, {}, 3, coach::v1::LEVEL_BEGINNER),
       "minutes: must be between 5 and 120, got 3"},
      {"too many minutes",
       Request(coach::v1::FOCUS_BALANCED, {}, 500, coach::v1::LEVEL_BEGINNER),
       "minutes: must be between 5 and 120, got 500"},
      {"unknown prescription",
       Request(coach::v1::FOCUS_BALANCED, {}, 30, coach::v1::LEVEL_BEGINNER,
               "4-4-4"),
       "prescription_id: unknown prescription \"4-4-4\""},
      {"balanced in too few minutes",
       Request(coach::v1::FOCUS_BALANCED, Subset(7), 10,
               coach::v1::LEVEL_INTERMEDIATE),
       "minutes: a balanced routine with this equipment needs at least 19 "
       "minutes"},
      {"balanced beginner in too few minutes",
       Request(coach::v1::FOCUS_BALANCED, Subset(7), 12,
               coach::v1::LEVEL_BEGINNER),
       "minutes: a balanced routine with this equipment needs at least 13 "
       "minutes"},
      {"upper back without dumbbells",
       Request(coach::v1::FOCUS_UPPER, {}, 30, coach::v1::LEVEL_BEGINNER),
       "equipment: no upper back exercise can be done with: none (bodyweight "
       "only)"},
      {"mid back with a bench only",
       Request(coach::v1::FOCUS_MID, {coach::v1::EQUIPMENT_BENCH}, 30,
               coach::v1::LEVEL_BEGINNER),
       "equipment: no mid back exercise can be done with: bench"},
      {"unknown equipment",
       Request(coach::v1::FOCUS_BALANCED, {static_cast<Equipment>(7)}, 30,
               coach::v1::LEVEL_BEGINNER),
       "equipment[0]: unknown value 7"},
      {"unspecified equipment",
       Request(coach::v1::FOCUS_BALANCED,
               {coach::v1::EQUIPMENT_BENCH, coach::v1::EQUIPMENT_UNSPECIFIED},
               30, coach::v1::LEVEL_BEGINNER),
       "equipment[1]: unknown value 0"},
      {"unknown focus", bad_focus, "focus: unknown value 42"},
      {"unknown level", bad_level, "level: unknown value 9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<Routine> routine = BuildRoutine(RealCatalog(), c.request);
    EXPECT_EQ(routine.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(routine.status().message()), StartsWith(c.message));
  }
}

TEST(RoutineBuilderTest, EveryPresetBuilds) {
  const Catalog& catalog = RealCatalog();
  ASSERT_GE(catalog.file().presets_size(), 3);
  for (const coach::v1::RoutinePreset& preset : catalog.file().presets()) {
    SCOPED_TRACE(preset.id());
    absl::StatusOr<Routine> routine = BuildPresetRoutine(catalog, preset.id());
    ASSERT_TRUE(routine.ok()) << routine.status();
    EXPECT_EQ(routine->id(), preset.id());
    ExpectRoutineProperties(*routine, preset.request());
  }
}

TEST(RoutineBuilderTest, DemoPresetIsShortAndBalanced) {
  absl::StatusOr<Routine> routine = BuildPresetRoutine(RealCatalog(), "demo");
  ASSERT_TRUE(routine.ok()) << routine.status();
  std::vector<std::string> ids;
  for (const coach::v1::RoutineItem& item : routine->items()) {
    ids.push_back(item.exercise_id());
  }
  EXPECT_THAT(ids, ElementsAre("warmup", "band-row", "superman", "cat-cow"));
  EXPECT_EQ(routine->estimated_seconds(), 638);
  EXPECT_EQ(routine->title(), "Balanced back, 11 min");
}

TEST(RoutineBuilderTest, CustomRoutineIdAndTitle) {
  absl::StatusOr<Routine> routine = BuildRoutine(
      RealCatalog(),
      Request(coach::v1::FOCUS_LOWER, {}, 15, coach::v1::LEVEL_BEGINNER));
  ASSERT_TRUE(routine.ok()) << routine.status();
  EXPECT_EQ(routine->id(), "custom");
  EXPECT_THAT(routine->title(), StartsWith("Lower back, "));
  // Lower back moves, then one stretch to finish.
  ASSERT_EQ(routine->items_size(), 4);
  EXPECT_EQ(routine->items(3).area(), coach::v1::AREA_MOBILITY);
}

TEST(RoutineBuilderTest, UnknownPresetIsNotFound) {
  absl::StatusOr<Routine> routine =
      BuildPresetRoutine(RealCatalog(), "no-such-preset");
  EXPECT_EQ(routine.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(routine.status().message()),
              HasSubstr("no-such-preset"));
}

}  // namespace
}  // namespace coachd
