// The stored forms of goals, completions and reminders: what is written
// reads back the same, and a record whose days are not calendar days is
// refused as corrupt rather than handed to week arithmetic.
#include "services/scheduler/scheduler_records.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/internal/scheduler_record.pb.h"
#include "gtest/gtest.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using testing_days::Day;
using testing_days::Utc;

constexpr DayNumber kOutside[] = {kEarliestDay - 1, kLatestDay + 1,
                                  std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max()};

GoalRecord Goal() {
  GoalRecord goal;
  goal.goal.set_time_zone("Europe/London");
  goal.goal.set_sessions_per_week(3);
  goal.start_day = Day(2026, 1, 5);
  goal.targets.push_back({Day(2026, 1, 5), 3});
  goal.targets.push_back({Day(2026, 2, 2), 4});
  goal.updated_at = Utc(2026, 2, 2, 9);
  return goal;
}

// A reminder value as the Redis store writes it, for `day`.
std::string ReminderValue(DayNumber day) {
  ReminderRecord r;
  r.title = "Back workout";
  return absl::StrCat("planned ", day, " 1767616200000000 1767675600000000 ",
                      "7 0 ", EncodeContent(r));
}

TEST(SchedulerRecordsTest, AGoalReadsBackAsWritten) {
  const GoalRecord goal = Goal();
  GoalRecord back;
  ASSERT_TRUE(DecodeGoal(EncodeGoal(goal), &back));
  EXPECT_EQ(back.goal.time_zone(), "Europe/London");
  EXPECT_EQ(back.start_day, goal.start_day);
  ASSERT_EQ(back.targets.size(), 2u);
  EXPECT_EQ(back.targets[1].from_day, Day(2026, 2, 2));
  EXPECT_EQ(back.targets[1].sessions_per_week, 4);
  EXPECT_EQ(back.updated_at, goal.updated_at);
}

TEST(SchedulerRecordsTest, AGoalWhoseDaysAreNotCalendarDaysIsCorrupt) {
  for (DayNumber day : {kEarliestDay, kLatestDay}) {
    GoalRecord goal = Goal();
    goal.start_day = day;
    goal.targets[0].from_day = day;
    GoalRecord back;
    EXPECT_TRUE(DecodeGoal(EncodeGoal(goal), &back)) << day;
  }
  for (DayNumber day : kOutside) {
    GoalRecord starts = Goal();
    starts.start_day = day;
    GoalRecord back;
    EXPECT_FALSE(DecodeGoal(EncodeGoal(starts), &back)) << day;

    GoalRecord target = Goal();
    target.targets[1].from_day = day;
    EXPECT_FALSE(DecodeGoal(EncodeGoal(target), &back)) << day;
  }
}

TEST(SchedulerRecordsTest, ACompletionWhoseDayIsNotACalendarDayIsCorrupt) {
  CompletionRecord back;
  ASSERT_TRUE(DecodeCompletion(
      EncodeCompletion({"log:a", Utc(2026, 1, 5, 18), Day(2026, 1, 5)}),
      &back));
  EXPECT_EQ(back.day, Day(2026, 1, 5));
  EXPECT_EQ(back.at, Utc(2026, 1, 5, 18));
  for (DayNumber day : kOutside) {
    EXPECT_FALSE(DecodeCompletion(
        EncodeCompletion({"log:a", Utc(2026, 1, 5, 18), day}), &back))
        << day;
  }
}

TEST(SchedulerRecordsTest, AReminderWhoseDayIsNotACalendarDayIsCorrupt) {
  ReminderRecord back;
  ASSERT_TRUE(DecodeReminder("alice", "2026-01-05",
                             ReminderValue(Day(2026, 1, 5)), &back));
  EXPECT_EQ(back.day, Day(2026, 1, 5));
  EXPECT_EQ(back.version, 7);
  EXPECT_EQ(back.title, "Back workout");
  for (DayNumber day : kOutside) {
    EXPECT_FALSE(
        DecodeReminder("alice", "2026-01-05", ReminderValue(day), &back))
        << day;
  }
}

}  // namespace
}  // namespace coachd
