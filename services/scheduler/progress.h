// Where a person stands against their weekly goal, computed from the goal and
// the local days of their completed workouts: each week's tally (with the
// target prorated for paused days), current and longest streaks of weeks that
// met the goal, adherence over the last 4 and 12 weeks, and a habit-strength
// score. Pure functions of their inputs: no store, no clock.
//
//   WeekLedger ledger(goal_record, calendar, completion_days);
//   coach::v1::Progress p = ComputeProgress(ledger, clock.Now());
//
// Weeks. A week asks for the goal's sessions_per_week, prorated when some of
// its days are "inactive" (paused, or before the goal began):
// round(target * active_days / 7). A week that then asks for nothing is
// EXCUSED: it neither extends nor breaks a streak. Workouts on any day of the
// week count, paused days included.
//
// Habit strength. Every active day, score = score * m + v * (1 - m), where v
// is the share of the weekly target done in the 7 days ending that day
// (capped at 1) and m = 0.5^(sqrt(target / 7) / 13): for 3 a week the score
// halves in about 20 days without training. Paused days leave it unchanged.
// The idea follows Loop Habit Tracker's score; the code is our own.
#ifndef SERVICES_SCHEDULER_PROGRESS_H_
#define SERVICES_SCHEDULER_PROGRESS_H_

#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "services/scheduler/scheduler_types.h"
#include "services/scheduler/week_calendar.h"

namespace coachd {

// How far back streaks and the habit score look, in weeks.
inline constexpr int kMaxHistoryWeeks = 520;
// Complete weeks listed in Progress.recent_weeks.
inline constexpr int kRecentWeeks = 12;

// One week's tally.
struct WeekTally {
  DayNumber first_day = 0;
  int done = 0;    // Completions on its days.
  int target = 0;  // Sessions asked for (prorated); 0 when excused.
  int paused_days = 0;
  coach::v1::WeekOutcome outcome = coach::v1::WEEK_OUTCOME_UNSPECIFIED;
};

// round(weekly_target * active_days / 7), halves up; the full target when
// every day is active.
int ProratedTarget(int weekly_target, int active_days);

// A person's history indexed by day under their goal. Borrows `goal` and
// `calendar`, which must outlive it. Immutable; thread-compatible.
class WeekLedger {
 public:
  // `completion_days` holds the local day of each (distinct) completion.
  WeekLedger(const GoalRecord* goal, const WeekCalendar* calendar,
             const std::vector<DayNumber>& completion_days);

  // Completions on `day`.
  int DoneOn(DayNumber day) const;

  // True when `day` is in one of the goal's pauses.
  bool Paused(DayNumber day) const;

  // The tally of the week beginning on `first_day` as seen on `today`: a
  // week not yet over whose target is not met yet is OPEN.
  WeekTally Week(DayNumber first_day, DayNumber today) const;

  // The tally of the week containing `day`, as seen on `today`.
  WeekTally WeekContaining(DayNumber day, DayNumber today) const {
    return Week(calendar_->WeekOf(day), today);
  }

  // Current and longest streaks of MET weeks as of `today` (see
  // coach.v1.Progress).
  std::pair<int, int> Streaks(DayNumber today) const;

  // Adherence over the `weeks` complete weeks before today's week, 0..1.
  double Adherence(DayNumber today, int weeks) const;

  // The habit-strength score as of `today`, 0..100 (see the file comment).
  double HabitStrength(DayNumber today) const;

  const GoalRecord& goal() const { return *goal_; }
  const WeekCalendar& calendar() const { return *calendar_; }

 private:
  // The first week counted: the one the goal began in, or at most
  // kMaxHistoryWeeks before today's.
  DayNumber FirstWeek(DayNumber today) const;

  const GoalRecord* goal_;
  const WeekCalendar* calendar_;
  absl::flat_hash_map<DayNumber, int> done_;
  std::vector<std::pair<DayNumber, DayNumber>> pauses_;  // Inclusive.
};

// Progress as of `now` (next_reminder is left for the caller to fill in).
coach::v1::Progress ComputeProgress(const WeekLedger& ledger, absl::Time now);

// The API view of a tally.
coach::v1::WeekProgress WeekProgressOf(const WeekTally& tally,
                                       const WeekCalendar& calendar);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_PROGRESS_H_
