#include "services/scheduler/progress.h"

#include <algorithm>
#include <cmath>

#include "services/scheduler/goal_rules.h"

namespace coachd {
namespace {

constexpr int kMaxHabitDays = 3 * 366;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

}  // namespace

int ProratedTarget(int weekly_target, int active_days) {
  if (active_days >= 7) return weekly_target;
  if (active_days <= 0) return 0;
  return (2 * weekly_target * active_days + 7) / 14;
}

WeekLedger::WeekLedger(const GoalRecord* goal, const WeekCalendar* calendar,
                       const std::vector<DayNumber>& completion_days)
    : goal_(goal), calendar_(calendar) {
  for (DayNumber day : completion_days) ++done_[day];
  for (const coach::v1::Pause& pause : goal_->goal.pauses()) {
    absl::StatusOr<DayNumber> first = DayOfDate(pause.first_day(), "");
    absl::StatusOr<DayNumber> last = DayOfDate(pause.last_day(), "");
    if (first.ok() && last.ok()) pauses_.emplace_back(*first, *last);
  }
}

int WeekLedger::DoneOn(DayNumber day) const {
  auto it = done_.find(day);
  return it == done_.end() ? 0 : it->second;
}

bool WeekLedger::Paused(DayNumber day) const {
  for (const auto& [first, last] : pauses_) {
    if (day >= first && day <= last) return true;
  }
  return false;
}

WeekTally WeekLedger::Week(DayNumber first_day, DayNumber today) const {
  WeekTally tally;
  tally.first_day = first_day;
  int active = 0;
  for (DayNumber day = first_day; day < first_day + 7; ++day) {
    tally.done += DoneOn(day);
    const bool paused = Paused(day);
    if (paused) ++tally.paused_days;
    if (!paused && day >= goal_->start_day) ++active;
  }
  tally.target = ProratedTarget(TargetForWeek(*goal_, first_day + 6), active);
  if (tally.target == 0) {
    tally.outcome = coach::v1::WEEK_OUTCOME_EXCUSED;
  } else if (tally.done >= tally.target) {
    tally.outcome = coach::v1::WEEK_OUTCOME_MET;
  } else if (first_day + 6 >= today) {
    tally.outcome = coach::v1::WEEK_OUTCOME_OPEN;
  } else {
    tally.outcome = coach::v1::WEEK_OUTCOME_MISSED;
  }
  return tally;
}

DayNumber WeekLedger::FirstWeek(DayNumber today) const {
  const DayNumber this_week = calendar_->WeekOf(today);
  return std::max(calendar_->WeekOf(goal_->start_day),
                  this_week - 7 * static_cast<DayNumber>(kMaxHistoryWeeks));
}

std::pair<int, int> WeekLedger::Streaks(DayNumber today) const {
  const DayNumber this_week = calendar_->WeekOf(today);
  const DayNumber first = FirstWeek(today);
  int run = 0;
  int longest = 0;
  for (DayNumber week = first; week <= this_week; week += 7) {
    switch (Week(week, today).outcome) {
      case coach::v1::WEEK_OUTCOME_MET:
        longest = std::max(longest, ++run);
        break;
      case coach::v1::WEEK_OUTCOME_MISSED:
        run = 0;
        break;
      default:  // OPEN or EXCUSED: the streak waits.
        break;
    }
  }
  return {run, longest};
}

double WeekLedger::Adherence(DayNumber today, int weeks) const {
  const DayNumber this_week = calendar_->WeekOf(today);
  const DayNumber first = FirstWeek(today);
  int asked = 0;
  int done = 0;
  for (int i = 1; i <= weeks; ++i) {
    const DayNumber week = this_week - 7 * i;
    if (week < first) break;
    const WeekTally tally = Week(week, today);
    if (tally.outcome == coach::v1::WEEK_OUTCOME_EXCUSED) continue;
    asked += tally.target;
    done += std::min(tally.done, tally.target);
  }
  return asked == 0 ? 0.0 : static_cast<double>(done) / asked;
}

double WeekLedger::HabitStrength(DayNumber today) const {
  const DayNumber first =
      std::max(goal_->start_day, today - static_cast<DayNumber>(kMaxHabitDays));
  int window = 0;  // Completions in the 7 days ending on `day`.
  for (DayNumber day = first - 6; day < first; ++day) window += DoneOn(day);
  double score = 0;
  for (DayNumber day = first; day <= today; ++day) {
    window += DoneOn(day) - DoneOn(day - 7);
    if (Paused(day)) continue;
    const int target = std::max(1, TargetForWeek(*goal_, day));
    const double value = std::min(1.0, static_cast<double>(window) / target);
    const double keep = std::pow(0.5, std::sqrt(target / 7.0) / 13.0);
    score = score * keep + value * (1.0 - keep);
  }
  return 100.0 * score;
}

coach::v1::WeekProgress WeekProgressOf(const WeekTally& tally,
                                       const WeekCalendar& calendar) {
  coach::v1::WeekProgress week;
  *week.mutable_first_day() = DateOf(tally.first_day);
  *week.mutable_last_day() = DateOf(tally.first_day + 6);
  *week.mutable_starts_at() = ToTimestamp(calendar.StartOfDay(tally.first_day));
  *week.mutable_ends_at() =
      ToTimestamp(calendar.StartOfDay(tally.first_day + 7));
  week.set_sessions_done(tally.done);
  week.set_sessions_target(tally.target);
  week.set_paused_days(tally.paused_days);
  week.set_outcome(tally.outcome);
  return week;
}

coach::v1::Progress ComputeProgress(const WeekLedger& ledger, absl::Time now) {
  const WeekCalendar& calendar = ledger.calendar();
  const DayNumber today = calendar.DayOf(now);
  const DayNumber this_week = calendar.WeekOf(today);
  coach::v1::Progress progress;
  *progress.mutable_goal() = ledger.goal().goal;
  *progress.mutable_today() = DateOf(today);
  *progress.mutable_this_week() =
      WeekProgressOf(ledger.Week(this_week, today), calendar);
  const auto [current, longest] = ledger.Streaks(today);
  progress.set_current_streak_weeks(current);
  progress.set_longest_streak_weeks(longest);
  progress.set_adherence_4_weeks(ledger.Adherence(today, 4));
  progress.set_adherence_12_weeks(ledger.Adherence(today, 12));
  progress.set_habit_strength(ledger.HabitStrength(today));
  progress.set_paused_today(ledger.Paused(today));
  const DayNumber first_week = calendar.WeekOf(ledger.goal().start_day);
  for (int i = 1; i <= kRecentWeeks; ++i) {
    const DayNumber week = this_week - 7 * i;
    if (week < first_week) break;
    *progress.add_recent_weeks() =
        WeekProgressOf(ledger.Week(week, today), calendar);
  }
  return progress;
}

}  // namespace coachd
