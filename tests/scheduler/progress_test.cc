// Weekly tallies, streaks (with vacations), adherence and the habit score,
// computed from a goal and the days of completed workouts.
#include "services/scheduler/progress.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scheduler/goal_rules.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using testing_days::Day;
using testing_days::Utc;

// Week n (1-based) of the tests begins Monday 2026-01-05 + 7(n-1).
DayNumber WeekDay(int week, int weekday /* 0 = Monday */) {
  return Day(2026, 1, 5) + 7 * (week - 1) + weekday;
}

coach::v1::Date Date(DayNumber day) { return DateOf(day); }

GoalRecord Goal(int per_week, DayNumber start = Day(2026, 1, 5)) {
  coach::v1::Goal goal;
  goal.set_sessions_per_week(per_week);
  goal.set_time_zone("UTC");
  absl::StatusOr<coach::v1::Goal> normal = NormalizeGoal(goal);
  EXPECT_TRUE(normal.ok()) << normal.status();
  GoalRecord record;
  record.goal = *normal;
  record.start_day = start;
  record.targets.push_back({start, per_week});
  return record;
}

void AddPause(GoalRecord* record, DayNumber first, DayNumber last) {
  coach::v1::Pause* pause = record->goal.add_pauses();
  *pause->mutable_first_day() = Date(first);
  *pause->mutable_last_day() = Date(last);
}

// Three workouts (Mon, Wed, Fri) in each of `weeks`.
std::vector<DayNumber> ThreeAWeek(std::initializer_list<int> weeks) {
  std::vector<DayNumber> days;
  for (int w : weeks) {
    for (int d : {0, 2, 4}) days.push_back(WeekDay(w, d));
  }
  return days;
}

WeekCalendar Utc0() { return DefaultCalendar(); }

TEST(ProratedTargetTest, RoundsTheShareOfActiveDays) {
  struct Case {
    int target, active, want;
  } cases[] = {
      {3, 7, 3}, {3, 4, 2}, {3, 3, 1}, {3, 2, 1}, {3, 1, 0},
      {3, 0, 0}, {7, 1, 1}, {1, 3, 0}, {1, 4, 1}, {2, 5, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.target, " a week, ", c.active, " days"));
    EXPECT_EQ(ProratedTarget(c.target, c.active), c.want);
  }
}

TEST(ProgressTest, StreaksForAThreeAWeekGoal) {
  const GoalRecord goal = Goal(3);
  const WeekCalendar cal = Utc0();
  std::vector<DayNumber> days = ThreeAWeek({1, 2, 3, 4, 6});
  days.push_back(WeekDay(5, 0));  // Week 5: 2 of 3, missed.
  days.push_back(WeekDay(5, 1));
  days.push_back(WeekDay(7, 0));  // Week 7 (this week): 1 so far.
  const WeekLedger ledger(&goal, &cal, days);
  const coach::v1::Progress p = ComputeProgress(ledger, Utc(2026, 2, 17, 12));
  EXPECT_EQ(p.this_week().first_day().day(), 16);
  EXPECT_EQ(p.this_week().sessions_done(), 1);
  EXPECT_EQ(p.this_week().sessions_target(), 3);
  EXPECT_EQ(p.this_week().outcome(), coach::v1::WEEK_OUTCOME_OPEN);
  EXPECT_EQ(p.current_streak_weeks(), 1);  // Week 6; an open week waits.
  EXPECT_EQ(p.longest_streak_weeks(), 4);  // Weeks 1-4.
  EXPECT_DOUBLE_EQ(p.adherence_4_weeks(), 11.0 / 12);   // Weeks 3-6.
  EXPECT_DOUBLE_EQ(p.adherence_12_weeks(), 17.0 / 18);  // Weeks 1-6.
  ASSERT_EQ(p.recent_weeks_size(), 6);
  EXPECT_EQ(p.recent_weeks(1).outcome(), coach::v1::WEEK_OUTCOME_MISSED);
  EXPECT_EQ(p.recent_weeks(1).sessions_done(), 2);

  // Meeting this week's goal extends the current streak at once.
  days.push_back(WeekDay(7, 1));
  days.push_back(WeekDay(7, 2));
  const WeekLedger met(&goal, &cal, days);
  const coach::v1::Progress q = ComputeProgress(met, Utc(2026, 2, 18, 12));
  EXPECT_EQ(q.this_week().outcome(), coach::v1::WEEK_OUTCOME_MET);
  EXPECT_EQ(q.current_streak_weeks(), 2);
}

TEST(ProgressTest, AVacationFreezesTheStreakInsteadOfBreakingIt) {
  struct Case {
    const char* name;
    bool pause;
    int current, longest;
  } cases[] = {
      {"week 3 paused", true, 3, 3},
      {"no pause: week 3 missed", false, 1, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    GoalRecord goal = Goal(3);
    if (c.pause) AddPause(&goal, WeekDay(3, 0), WeekDay(3, 6));
    const WeekCalendar cal = Utc0();
    const WeekLedger ledger(&goal, &cal, ThreeAWeek({1, 2, 4}));
    const coach::v1::Progress p = ComputeProgress(ledger, Utc(2026, 2, 2, 12));
    EXPECT_EQ(p.current_streak_weeks(), c.current);
    EXPECT_EQ(p.longest_streak_weeks(), c.longest);
    EXPECT_EQ(p.recent_weeks(1).outcome(),
              c.pause ? coach::v1::WEEK_OUTCOME_EXCUSED
                      : coach::v1::WEEK_OUTCOME_MISSED);
  }
}

TEST(ProgressTest, AWeekStraddlingAVacationAsksForItsShare) {
  // Vacation from Thursday of week 3 to Wednesday of week 4.
  GoalRecord goal = Goal(3);
  AddPause(&goal, WeekDay(3, 3), WeekDay(4, 2));
  const WeekCalendar cal = Utc0();
  struct Case {
    const char* name;
    std::vector<DayNumber> extra;  // Beside three a week in weeks 1, 2, 5.
    int current, longest;
    coach::v1::WeekOutcome week3, week4;
  } cases[] = {
      {"one before, two after",
       {WeekDay(3, 1), WeekDay(4, 4), WeekDay(4, 6)},
       5,
       5,
       coach::v1::WEEK_OUTCOME_MET,
       coach::v1::WEEK_OUTCOME_MET},
      {"none before",
       {WeekDay(4, 4), WeekDay(4, 6)},
       2,
       2,
       coach::v1::WEEK_OUTCOME_MISSED,
       coach::v1::WEEK_OUTCOME_MET},
      {"one after",
       {WeekDay(3, 1), WeekDay(4, 5)},
       1,
       3,
       coach::v1::WEEK_OUTCOME_MET,
       coach::v1::WEEK_OUTCOME_MISSED},
      {"trained on vacation",
       {WeekDay(3, 4), WeekDay(4, 0), WeekDay(4, 1)},
       5,
       5,
       coach::v1::WEEK_OUTCOME_MET,
       coach::v1::WEEK_OUTCOME_MET},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<DayNumber> days = ThreeAWeek({1, 2, 5});
    days.insert(days.end(), c.extra.begin(), c.extra.end());
    const WeekLedger ledger(&goal, &cal, days);
    const WeekTally week3 = ledger.Week(WeekDay(3, 0), WeekDay(6, 0));
    const WeekTally week4 = ledger.Week(WeekDay(4, 0), WeekDay(6, 0));
    EXPECT_EQ(week3.paused_days, 4);
    EXPECT_EQ(week3.target, 1);  // 3 active days of 7.
    EXPECT_EQ(week4.paused_days, 3);
    EXPECT_EQ(week4.target, 2);  // 4 active days of 7.
    EXPECT_EQ(week3.outcome, c.week3);
    EXPECT_EQ(week4.outcome, c.week4);
    const coach::v1::Progress p =
        ComputeProgress(ledger, Utc(2026, 2, 9, 12));  // Monday, week 6.
    EXPECT_EQ(p.current_streak_weeks(), c.current);
    EXPECT_EQ(p.longest_streak_weeks(), c.longest);
  }
}

TEST(ProgressTest, TheFirstWeekAsksOnlyForTheDaysAfterTheGoalBegan) {
  const GoalRecord goal = Goal(3, WeekDay(1, 3));  // Set on a Thursday.
  const WeekCalendar cal = Utc0();
  const WeekLedger ledger(&goal, &cal, {WeekDay(1, 4), WeekDay(1, 6)});
  const WeekTally first = ledger.Week(WeekDay(1, 0), WeekDay(2, 0));
  EXPECT_EQ(first.target, 2);
  EXPECT_EQ(first.outcome, coach::v1::WEEK_OUTCOME_MET);
  // A goal set on a Sunday asks nothing of that week.
  const GoalRecord late = Goal(3, WeekDay(1, 6));
  const WeekLedger none(&late, &cal, {});
  EXPECT_EQ(none.Week(WeekDay(1, 0), WeekDay(2, 0)).outcome,
            coach::v1::WEEK_OUTCOME_EXCUSED);
}

TEST(ProgressTest, ANewTargetAppliesFromItsWeekOn) {
  GoalRecord goal = Goal(2);
  const WeekCalendar cal = Utc0();
  // Raised to 3 on Tuesday of week 4: weeks 1-3 keep asking for 2.
  goal = UpdateGoalRecord(
      &goal,
      [] {
        coach::v1::Goal g;
        g.set_sessions_per_week(3);
        g.set_time_zone("UTC");
        return *NormalizeGoal(g);
      }(),
      cal, WeekDay(4, 1), Utc(2026, 1, 27));
  std::vector<DayNumber> days;
  for (int w : {1, 2, 3}) {
    days.push_back(WeekDay(w, 0));
    days.push_back(WeekDay(w, 3));
  }
  const WeekLedger ledger(&goal, &cal, days);
  const coach::v1::Progress p = ComputeProgress(ledger, Utc(2026, 1, 27, 12));
  EXPECT_EQ(p.current_streak_weeks(), 3);
  EXPECT_EQ(p.this_week().sessions_target(), 3);
  EXPECT_EQ(p.recent_weeks(0).sessions_target(), 2);
  EXPECT_EQ(goal.start_day, Day(2026, 1, 5));
}

TEST(ProgressTest, HabitStrengthRisesWithTrainingAndDecaysSlowly) {
  const GoalRecord goal = Goal(3);
  const WeekCalendar cal = Utc0();
  const WeekLedger ledger(&goal, &cal, ThreeAWeek({1, 2, 3, 4, 5, 6, 7, 8}));
  double last = 0;
  for (int w = 1; w <= 8; ++w) {
    SCOPED_TRACE(absl::StrCat("week ", w));
    const double s = ledger.HabitStrength(WeekDay(w, 6));
    EXPECT_GT(s, last);
    last = s;
  }
  const double peak = ledger.HabitStrength(WeekDay(8, 6));
  EXPECT_GT(peak, 80);
  EXPECT_LE(peak, 100);
  // Stopped after week 8: the score falls, but slowly (a half-life of about
  // 20 days for 3 a week).
  const double two_weeks = ledger.HabitStrength(WeekDay(10, 6));
  const double four_weeks = ledger.HabitStrength(WeekDay(12, 6));
  EXPECT_LT(two_weeks, peak);
  EXPECT_LT(four_weeks, two_weeks);
  EXPECT_GT(two_weeks, 0.5 * peak);
  EXPECT_GT(four_weeks, 0.3 * peak);
  EXPECT_LT(four_weeks, 0.6 * peak);
  // Twice a week against a goal of three stays lower.
  std::vector<DayNumber> twice;
  for (int w = 1; w <= 8; ++w) {
    twice.push_back(WeekDay(w, 0));
    twice.push_back(WeekDay(w, 3));
  }
  const WeekLedger less(&goal, &cal, twice);
  EXPECT_LT(less.HabitStrength(WeekDay(8, 6)), peak - 15);
}

TEST(ProgressTest, APauseHoldsTheHabitScore) {
  GoalRecord goal = Goal(3);
  AddPause(&goal, WeekDay(5, 0), WeekDay(8, 6));  // Four weeks off.
  const WeekCalendar cal = Utc0();
  const WeekLedger ledger(&goal, &cal, ThreeAWeek({1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(ledger.HabitStrength(WeekDay(8, 6)),
                   ledger.HabitStrength(WeekDay(4, 6)));
  EXPECT_EQ(ComputeProgress(ledger, Utc(2026, 3, 2, 12)).current_streak_weeks(),
            4);
}

}  // namespace
}  // namespace coachd
