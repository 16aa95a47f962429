#include "clients/voice/speech_planner.h"

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

absl::Time At(int ms) { return absl::FromUnixMillis(1'000'000 + ms); }
absl::Duration Ms(int ms) { return absl::Milliseconds(ms); }

struct Step {
  const char* name;
  Cue cue;
  int ready_ms;
  // Expected: -1 = skipped.
  int start_ms;
  bool short_form;
  int length_ms;
  std::optional<int> cut_length_ms;  // The previous line cut to this.
};

TEST(SpeechPlannerTest, LinesFitBeforeTheNextCueOrGiveWay) {
  const std::vector<Step> steps = {
      {"an untimed intro plays whole",
       {1, At(0), std::nullopt, Ms(4000), Ms(1000)},
       0,
       0,
       false,
       4000,
       {}},
      {"a newer cue cuts it, never queues behind it",
       {2, At(2000), At(5000), Ms(1500), Ms(0)},
       2000,
       2000,
       false,
       1500,
       2000},
      {"too long for its second: the short form",
       {3, At(5000), At(6000), Ms(2500), Ms(600)},
       5000,
       5000,
       true,
       600,
       {}},
      {"countdown number on its second",
       {4, At(6000), At(7000), Ms(400), Ms(0)},
       6000,
       6000,
       false,
       400,
       {}},
      {"synthesized late: starts when ready, still fits",
       {5, At(7000), At(8000), Ms(400), Ms(0)},
       7100,
       7100,
       false,
       400,
       {}},
      {"no form fits: skipped for the newer cue",
       {6, At(8000), At(9000), Ms(2500), Ms(1200)},
       8000,
       -1,
       false,
       0,
       {}},
      {"the next line after a skip is not cut by it",
       {7, At(9000), At(10000), Ms(500), Ms(0)},
       9000,
       9000,
       false,
       500,
       {}},
      {"a countdown number synthesized too late to fit is said anyway",
       {8, At(10000), At(11000), Ms(980), Ms(0), /*always=*/true},
       10060,
       10060,
       false,
       980,
       {}},
      {"and the next number cuts it",
       {9, At(11000), At(12000), Ms(180), Ms(0), /*always=*/true},
       11000,
       11000,
       false,
       180,
       940},
      {"one with a short form says that when nothing fits",
       {10, At(12000), At(12300), Ms(2000), Ms(500), /*always=*/true},
       12000,
       12000,
       true,
       500,
       {}},
  };
  SpeechPlanner planner;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    const Plan plan = planner.Add(step.cue, At(step.ready_ms));
    if (step.start_ms < 0) {
      EXPECT_FALSE(plan.play.has_value());
      EXPECT_FALSE(plan.cut.has_value());
      continue;
    }
    ASSERT_TRUE(plan.play.has_value());
    EXPECT_EQ(plan.play->id, step.cue.id);
    EXPECT_EQ(plan.play->start, At(step.start_ms));
    EXPECT_EQ(plan.play->short_form, step.short_form);
    EXPECT_EQ(plan.play->length, Ms(step.length_ms));
    ASSERT_EQ(plan.cut.has_value(), step.cut_length_ms.has_value());
    if (plan.cut.has_value()) {
      EXPECT_EQ(plan.cut->length, Ms(*step.cut_length_ms));
    }
  }
}

TEST(SpeechPlannerTest, PlayedLinesNeverOverlap) {
  // Cues every 300 ms with lines of 1 s and no timer: each cuts the last.
  SpeechPlanner planner;
  std::optional<Playback> previous;
  for (int i = 0; i < 20; ++i) {
    const Plan plan = planner.Add(
        {i, At(300 * i), std::nullopt, Ms(1000), Ms(0)}, At(300 * i));
    ASSERT_TRUE(plan.play.has_value());
    if (previous.has_value()) {
      ASSERT_TRUE(plan.cut.has_value());
      EXPECT_LE(plan.cut->start + plan.cut->length, plan.play->start);
    }
    previous = plan.play;
  }
}

}  // namespace
}  // namespace coachd
