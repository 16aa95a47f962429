// The planner alone: which day and instant the next reminder takes.
#include "services/scheduler/reminder_planner.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scheduler/goal_rules.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using testing_days::Day;
using testing_days::Show;
using testing_days::Utc;

constexpr char kZone[] = "America/New_York";

// A 3-a-week goal in New York, reminders at 07:30 on Mon, Wed and Fri,
// begun Monday 2026-01-05.
GoalRecord MonWedFri(bool remind_when_met = false) {
  coach::v1::Goal goal;
  goal.set_time_zone(kZone);
  goal.mutable_reminder_time()->set_hours(7);
  goal.mutable_reminder_time()->set_minutes(30);
  goal.add_preferred_days(coach::v1::WEEKDAY_MONDAY);
  goal.add_preferred_days(coach::v1::WEEKDAY_WEDNESDAY);
  goal.add_preferred_days(coach::v1::WEEKDAY_FRIDAY);
  goal.set_remind_when_met(remind_when_met);
  GoalRecord record;
  record.goal = *NormalizeGoal(goal);
  record.start_day = Day(2026, 1, 5);
  record.targets.push_back({record.start_day, 3});
  return record;
}

// The planned reminder shown in New York, or "none".
std::string Next(const GoalRecord& goal, const std::vector<DayNumber>& done,
                 absl::Time now,
                 const absl::flat_hash_set<DayNumber>& handled = {}) {
  const WeekCalendar cal = *CalendarOf(goal.goal);
  const WeekLedger ledger(&goal, &cal, done);
  std::optional<PlannedReminder> plan = PlanNextReminder(ledger, now, handled);
  return plan.has_value() ? Show(plan->due, kZone) : "none";
}

TEST(ReminderPlannerTest, PicksTheNextPreferredDayThatStillNeedsOne) {
  const absl::Time monday_2am = Utc(2026, 1, 5, 7, 0);  // 02:00 in New York.
  struct Case {
    const char* name;
    GoalRecord goal;
    std::vector<DayNumber> done;
    absl::Time now;
    absl::flat_hash_set<DayNumber> handled;
    std::string want;
  } cases[] = {
      {"later today",
       MonWedFri(),
       {},
       monday_2am,
       {},
       "2026-01-05 Mon 07:30 -0500"},
      {"today's time passed",
       MonWedFri(),
       {},
       Utc(2026, 1, 5, 12, 31),
       {},
       "2026-01-07 Wed 07:30 -0500"},
      {"trained today already",
       MonWedFri(),
       {Day(2026, 1, 5)},
       monday_2am,
       {},
       "2026-01-07 Wed 07:30 -0500"},
      {"today's reminder fired",
       MonWedFri(),
       {},
       monday_2am,
       {Day(2026, 1, 5)},
       "2026-01-07 Wed 07:30 -0500"},
      {"week met: next week",
       MonWedFri(),
       {Day(2026, 1, 5), Day(2026, 1, 6), Day(2026, 1, 7)},
       Utc(2026, 1, 7, 20, 0),
       {},
       "2026-01-12 Mon 07:30 -0500"},
      {"week met, reminders asked for",
       MonWedFri(true),
       {Day(2026, 1, 5), Day(2026, 1, 6), Day(2026, 1, 7)},
       Utc(2026, 1, 7, 20, 0),
       {},
       "2026-01-09 Fri 07:30 -0500"},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Next(c.goal, c.done, c.now, c.handled), c.want);
  }
}

TEST(ReminderPlannerTest, NoRemindersOnPausedDaysOrWhenTurnedOff) {
  GoalRecord paused = MonWedFri();
  coach::v1::Pause* pause = paused.goal.add_pauses();
  *pause->mutable_first_day() = DateOf(Day(2026, 1, 5));
  *pause->mutable_last_day() = DateOf(Day(2026, 1, 11));
  EXPECT_EQ(Next(paused, {}, Utc(2026, 1, 5, 7, 0)),
            "2026-01-12 Mon 07:30 -0500");

  GoalRecord off = MonWedFri();
  off.goal.clear_reminder_time();
  EXPECT_EQ(Next(off, {}, Utc(2026, 1, 5, 7, 0)), "none");

  GoalRecord long_pause = MonWedFri();
  pause = long_pause.goal.add_pauses();
  *pause->mutable_first_day() = DateOf(Day(2026, 1, 1));
  *pause->mutable_last_day() = DateOf(Day(2026, 3, 1));
  EXPECT_EQ(Next(long_pause, {}, Utc(2026, 1, 5, 7, 0)), "none");
}

TEST(ReminderPlannerTest, EveryDayWhenNoDaysAreListed) {
  GoalRecord goal = MonWedFri();
  goal.goal.clear_preferred_days();
  EXPECT_EQ(Next(goal, {}, Utc(2026, 1, 5, 12, 31)),
            "2026-01-06 Tue 07:30 -0500");
}

TEST(ReminderPlannerTest, TheRecordSaysWhereTheWeekStands) {
  const GoalRecord goal = MonWedFri();
  const WeekCalendar cal = *CalendarOf(goal.goal);
  const WeekLedger ledger(&goal, &cal, {Day(2026, 1, 5)});
  std::optional<PlannedReminder> plan =
      PlanNextReminder(ledger, Utc(2026, 1, 5, 20, 0), {});
  ASSERT_TRUE(plan.has_value());
  const ReminderRecord r = PlannedRecord("alice", *plan);
  EXPECT_EQ(r.id, "2026-01-07");
  EXPECT_EQ(r.person, "alice");
  EXPECT_EQ(r.state, ReminderState::kPlanned);
  EXPECT_EQ(r.sessions_done, 1);
  EXPECT_EQ(r.sessions_target, 3);
  EXPECT_THAT(r.text, HasSubstr("1 of 3"));
  EXPECT_THAT(r.ssml, HasSubstr("<speak>"));
  EXPECT_EQ(r.expires, Utc(2026, 1, 8, 5, 0));  // New York midnight.
}

}  // namespace
}  // namespace coachd
