#include "services/catalog/catalog.h"

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::coach::v1::Area;
using ::coach::v1::Equipment;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string RealCatalogPath() {
  return std::string(COACHD_SOURCE_DIR) +
         "/services/catalog/back_catalog.textproto";
}

TEST(CatalogTest, RealFileLoads) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(RealCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->exercises().size(), 9u);  // The warm-up and eight moves.
  EXPECT_EQ(catalog->warmup().id(), "warmup");
  EXPECT_EQ(catalog->warmup().area(), coach::v1::AREA_WARMUP);
  EXPECT_EQ(catalog->warmup().prescription().duration_seconds(), 300);
  EXPECT_THAT(catalog->warmup().equipment(), IsEmpty());
  EXPECT_GE(catalog->file().tips_size(), 4);
  for (const char* preset :
       {"demo", "balanced-beginner", "lower-back-relief"}) {
    EXPECT_NE(catalog->FindPreset(preset), nullptr) << preset;
  }
  EXPECT_EQ(catalog->FindExercise("no-such-move"), nullptr);
  EXPECT_EQ(catalog->FindPrescription("4-4-4"), nullptr);
  EXPECT_EQ(catalog->FindPreset("no-such-preset"), nullptr);
}

TEST(CatalogTest, EveryGuideExerciseIsThere) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(RealCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  struct Case {
    const char* id;
    Area area;
    std::vector<Equipment> equipment;
    bool per_side;
    int min_reps;  // The guide's range where it gives one.
    int max_reps;
  };
  const Case cases[] = {
      {"bent-over-row",
       coach::v1::AREA_UPPER,
       {coach::v1::EQUIPMENT_DUMBBELLS},
       false,
       1,
       30},
      {"reverse-fly",
       coach::v1::AREA_UPPER,
       {coach::v1::EQUIPMENT_DUMBBELLS},
       false,
       1,
       30},
      {"band-row",
       coach::v1::AREA_MID,
       {coach::v1::EQUIPMENT_RESISTANCE_BAND},
       false,
       1,
       30},
      {"single-arm-row",
       coach::v1::AREA_MID,
       {coach::v1::EQUIPMENT_DUMBBELLS, coach::v1::EQUIPMENT_BENCH},
       true,
       3,
       5},
      {"superman", coach::v1::AREA_LOWER, {}, false, 8, 10},
      {"glute-bridge", coach::v1::AREA_LOWER, {}, false, 8, 10},
      {"cat-cow", coach::v1::AREA_MOBILITY, {}, false, 1, 30},
      {"thoracic-rotation", coach::v1::AREA_MOBILITY, {}, true, 1, 30},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    const coach::v1::Exercise* ex = catalog->FindExercise(c.id);
    ASSERT_NE(ex, nullptr);
    EXPECT_EQ(ex->id(), c.id);
    EXPECT_THAT(ex->name(), Not(IsEmpty()));
    EXPECT_EQ(ex->area(), c.area);
    std::vector<Equipment> equipment;
    for (int e : ex->equipment())
      equipment.push_back(static_cast<Equipment>(e));
    EXPECT_THAT(equipment, ElementsAreArray(c.equipment));
    EXPECT_THAT(ex->target_muscles(), Not(IsEmpty()));
    EXPECT_THAT(ex->setup(), Not(IsEmpty()));
    EXPECT_THAT(ex->steps(), Not(IsEmpty()));
    EXPECT_THAT(ex->safety(), Not(IsEmpty()));
    EXPECT_THAT(ex->good_for(), Not(IsEmpty()));
    const coach::v1::Prescription& p = ex->prescription();
    EXPECT_EQ(p.duration_seconds(), 0);  // Counted, not timed.
    EXPECT_EQ(p.per_side(), c.per_side);
    EXPECT_GE(p.reps(), c.min_reps);
    EXPECT_LE(p.reps(), c.max_reps);
    EXPECT_GE(p.sets(), 1);
    EXPECT_GE(p.tempo_seconds(), 1);
    ASSERT_TRUE(ex->has_beginner());
    EXPECT_EQ(ex->beginner().per_side(), c.per_side);
    EXPECT_LE(ex->beginner().sets() * ex->beginner().reps(),
              p.sets() * p.reps());
    EXPECT_GE(ex->beginner().reps(), c.min_reps);
  }
  // The guide's explicit numbers.
  const coach::v1::Exercise* bridge = catalog->FindExercise("glute-bridge");
  ASSERT_NE(bridge, nullptr);
  EXPECT_EQ(bridge->prescription().sets(), 3);
  EXPECT_EQ(bridge->beginner().sets(), 3);
}

TEST(CatalogTest, BreathingAndSafetyFollowTheGuide) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(RealCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto cue = [&](const char* id, coach::v1::BreathPhase phase) {
    const coach::v1::Exercise* ex = catalog->FindExercise(id);
    if (ex == nullptr) return std::string("<missing>");
    for (const coach::v1::BreathCue& c : ex->breathing()) {
      if (c.phase() == phase) return c.text();
    }
    return std::string("<none>");
  };
  EXPECT_THAT(cue("reverse-fly", coach::v1::BREATH_PHASE_EFFORT),
              HasSubstr("Exhale"));
  EXPECT_THAT(cue("reverse-fly", coach::v1::BREATH_PHASE_RETURN),
              HasSubstr("Inhale"));
  EXPECT_THAT(cue("cat-cow", coach::v1::BREATH_PHASE_EFFORT),
              HasSubstr("Inhale into cow"));
  EXPECT_THAT(cue("cat-cow", coach::v1::BREATH_PHASE_RETURN),
              HasSubstr("Exhale into cat"));
  EXPECT_THAT(cue("bent-over-row", coach::v1::BREATH_PHASE_EFFORT),
              HasSubstr("breath"));

  auto safety = [&](const char* id) {
    const coach::v1::Exercise* ex = catalog->FindExercise(id);
    return ex == nullptr ? std::string() : absl::StrJoin(ex->safety(), " ");
  };
  EXPECT_THAT(safety("superman"), HasSubstr("gaze down"));
  EXPECT_THAT(safety("superman"),
              HasSubstr("only as high as feels comfortable"));
  EXPECT_THAT(safety("glute-bridge"), HasSubstr("arch"));
  EXPECT_THAT(safety("reverse-fly"), HasSubstr("away from your ears"));
  EXPECT_THAT(safety("bent-over-row"), HasSubstr("spine neutral"));
}

TEST(CatalogTest, NamedPrescriptions) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(RealCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const coach::v1::Prescription* rule = catalog->FindPrescription("3-3-3");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->sets(), 3);
  EXPECT_EQ(rule->reps(), 3);
  EXPECT_EQ(rule->hold_seconds(), 3);
  EXPECT_EQ(rule->label(), "3-3-3 rule");

  const coach::v1::Prescription* guide =
      catalog->FindPrescription("guide-8-10");
  ASSERT_NE(guide, nullptr);
  EXPECT_EQ(guide->sets(), 3);
  EXPECT_GE(guide->reps(), 8);
  EXPECT_LE(guide->reps(), 10);

  const coach::v1::Prescription* per_side =
      catalog->FindPrescription("per-side-3-5");
  ASSERT_NE(per_side, nullptr);
  EXPECT_GE(per_side->reps(), 3);
  EXPECT_LE(per_side->reps(), 5);
}

TEST(CatalogTest, CopiesAreIndependent) {
  absl::StatusOr<Catalog> loaded = Catalog::LoadFromFile(RealCatalogPath());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Catalog copy = *loaded;
  Catalog moved = std::move(*loaded);
  for (const Catalog* c : {&copy, &moved}) {
    const coach::v1::Exercise* ex = c->FindExercise("superman");
    ASSERT_NE(ex, nullptr);
    EXPECT_EQ(ex->id(), "superman");
    // Pointers point into the catalogue they came from.
    EXPECT_GE(ex, c->exercises().data());
    EXPECT_LT(ex, c->exercises().data() + c->exercises().size());
    EXPECT_EQ(c->warmup().id(), "warmup");
    ASSERT_NE(c->FindPreset("demo"), nullptr);
  }
}

TEST(CatalogTest, MissingFileIsNotFound) {
  const std::string path = testing::TempDir() + "/no-such-catalog.textproto";
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(path);
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(catalog.status().message(),
            absl::StrCat(path, ": cannot open catalog file"));
}

// A small valid catalogue, one entry per line so that cases can replace a
// line and know its number.
const std::vector<std::string>& BaseLines() {
  static const auto* lines = new std::vector<std::string>{
      /* 1 */ "exercises {",
      /* 2 */ "  id: \"warmup\"",
      /* 3 */ "  name: \"Warm-up\"",
      /* 4 */ "  area: AREA_WARMUP",
      /* 5 */ "  steps: \"March on the spot\"",
      /* 6 */ "  prescription { duration_seconds: 300 }",
      /* 7 */ "}",
      /* 8 */ "exercises {",
      /* 9 */ "  id: \"superman\"",
      /* 10 */ "  name: \"Superman\"",
      /* 11 */ "  area: AREA_LOWER",
      /* 12 */ "  steps: \"Lift\"",
      /* 13 */ "  prescription { sets: 3 reps: 10 tempo_seconds: 2 }",
      /* 14 */ "}",
      /* 15 */ "prescriptions {",
      /* 16 */ "  id: \"3-3-3\"",
      /* 17 */
      "  prescription { sets: 3 reps: 3 hold_seconds: 3 tempo_seconds: 3 }",
      /* 18 */ "}",
      /* 19 */ "presets {",
      /* 20 */ "  id: \"demo\"",
      /* 21 */ "  request { minutes: 10 prescription_id: \"3-3-3\" }",
      /* 22 */ "}",
  };
  return *lines;
}

// The base catalogue with line `line` (1-based) replaced by `replacement`
// (which may hold several lines) and `extra` appended.
std::string Variant(int line, absl::string_view replacement,
                    absl::string_view extra = "") {
  std::vector<std::string> lines = BaseLines();
  if (line > 0) lines[line - 1] = std::string(replacement);
  std::string text = absl::StrJoin(lines, "\n");
  absl::StrAppend(&text, "\n", extra);
  return text;
}

TEST(CatalogTest, BaseVariantLoads) {
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromText(Variant(0, ""), "ok");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->exercises().size(), 2u);
  EXPECT_EQ(catalog->warmup().id(), "warmup");
}

TEST(CatalogTest, BadFilesNameTheLine) {
  struct Case {
    const char* what;
    std::string text;
    int line;            // Expected line of the (first) error.
    const char* reason;  // Expected in the message.
  };
  const Case cases[] = {
      {"syntax: unknown field", Variant(12, "  stepz: \"Lift\""), 12,
       "no field named \"stepz\""},
      {"syntax: missing value", Variant(13, "  prescription { sets: 3 reps: }"),
       13, "Expected"},
      {"syntax: unknown enum value", Variant(11, "  area: AREA_SIDEWAYS"), 11,
       "AREA_SIDEWAYS"},
      {"duplicate id", Variant(9, "  id: \"warmup\""), 9,
       "exercises[1] (\"warmup\"): duplicate id \"warmup\" (first used at "
       "line 2)"},
      {"bad id", Variant(9, "  id: \"Super Man\""), 9,
       "use lower-case letters, digits and dashes"},
      {"empty steps", Variant(12, ""), 8,
       "exercises[1] (\"superman\"): steps is empty"},
      {"empty name", Variant(10, ""), 8,
       "exercises[1] (\"superman\"): name is empty"},
      {"no area", Variant(11, ""), 8, "area is not set"},
      {"too many reps",
       Variant(13, "  prescription { sets: 3 reps: 50 tempo_seconds: 2 }"), 13,
       "exercises[1] (\"superman\").prescription.reps: must be between 1 and "
       "30, got 50"},
      {"reps on their own line",
       Variant(
           13,
           "  prescription {\n    sets: 3 tempo_seconds: 2\n    reps: 0\n  }"),
       15, "prescription.reps: must be between 1 and 30, got 0"},
      {"timed and counted",
       Variant(13,
               "  prescription { sets: 3 reps: 10 tempo_seconds: 2 "
               "duration_seconds: 60 }"),
       13, "either timed (duration_seconds) or counted"},
      {"no tempo", Variant(13, "  prescription { sets: 3 reps: 10 }"), 13,
       "prescription.tempo_seconds: must be between 1 and 10, got 0"},
      {"no prescription", Variant(13, ""), 8, "prescription is missing"},
      {"missing warm-up", Variant(4, "  area: AREA_MOBILITY"), 1,
       "no warm-up: exactly one exercise needs area AREA_WARMUP"},
      {"warm-up with equipment",
       Variant(5, "  steps: \"March\"\n  equipment: EQUIPMENT_BENCH"), 6,
       "the warm-up must need no equipment"},
      {"second warm-up", Variant(11, "  area: AREA_WARMUP"), 11,
       "a second warm-up"},
      {"breathing without a phase",
       Variant(12, "  steps: \"Lift\" breathing { text: \"Exhale\" }"), 12,
       "breathing[0].phase is not set"},
      {"unknown prescription in a preset",
       Variant(21, "  request { minutes: 10 prescription_id: \"4-4-4\" }"), 21,
       "presets[0] (\"demo\").request.prescription_id: unknown prescription "
       "\"4-4-4\""},
      {"preset minutes", Variant(21, "  request { minutes: 3 }"), 21,
       "request.minutes: must be between 5 and 120, got 3"},
      {"duplicate preset id",
       Variant(0, "", "presets { id: \"demo\" request { minutes: 10 } }"), 23,
       "duplicate id \"demo\" (first used at line 20)"},
      {"duplicate prescription id",
       Variant(0, "",
               "prescriptions {\n  id: \"3-3-3\"\n  prescription { sets: 1 "
               "reps: 1 tempo_seconds: 1 }\n}"),
       24, "duplicate id \"3-3-3\""},
      {"timed named prescription",
       Variant(17, "  prescription { duration_seconds: 60 }"), 17,
       "must be counted"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<Catalog> catalog =
        Catalog::LoadFromText(c.text, "bad.textproto");
    ASSERT_FALSE(catalog.ok());
    EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(catalog.status().message());
    EXPECT_THAT(message,
                StartsWith(absl::StrCat("bad.textproto:", c.line, ": ")));
    EXPECT_THAT(message, HasSubstr(c.reason));
  }
}

TEST(CatalogTest, BadFileOnDiskNamesThePath) {
  const std::string path = testing::TempDir() + "/bad_catalog.textproto";
  {
    std::ofstream out(path);
    out << Variant(12, "");
  }
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(path);
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      catalog.status().message(),
      absl::StrCat(path, ":8: exercises[1] (\"superman\"): steps is empty"));
}

TEST(CatalogTest, ReportsEveryProblemInLineOrder) {
  // Two problems: the later line first in file order of checks.
  std::string text = Variant(21, "  request { minutes: 3 }");
  text = absl::StrReplaceAll(text, {{"  steps: \"Lift\"", ""}});
  absl::StatusOr<Catalog> catalog = Catalog::LoadFromText(text, "two");
  ASSERT_FALSE(catalog.ok());
  std::vector<std::string> lines =
      absl::StrSplit(catalog.status().message(), '\n');
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], StartsWith("two:8: "));
  EXPECT_THAT(lines[1], StartsWith("two:21: "));
}

}  // namespace
}  // namespace coachd
