// The rules of a goal: validating one from a request (with a message naming
// the field), filling in its defaults, converting its fields to calendar
// terms, and updating the stored record when a person changes their goal.
//
//   absl::StatusOr<coach::v1::Goal> goal = NormalizeGoal(request.goal());
//   if (!goal.ok()) return goal.status();  // "goal.time_zone: unknown ..."
//   absl::StatusOr<WeekCalendar> calendar = CalendarOf(*goal);
#ifndef SERVICES_SCHEDULER_GOAL_RULES_H_
#define SERVICES_SCHEDULER_GOAL_RULES_H_

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "services/scheduler/scheduler_types.h"
#include "services/scheduler/week_calendar.h"

namespace coachd {

// The weekly target when a goal leaves it unset (the guide: 2-3 a week).
inline constexpr int kDefaultSessionsPerWeek = 3;
// Most pauses one goal may hold.
inline constexpr int kMaxPauses = 32;
// Longest single pause, in days.
inline constexpr int kMaxPauseDays = 366;

// `goal` validated, with defaults filled in: sessions_per_week 3, week_start
// Monday, preferred_days sorted without repeats. INVALID_ARGUMENT with a
// message "goal.<field>: <why>" for the first bad field.
absl::StatusOr<coach::v1::Goal> NormalizeGoal(const coach::v1::Goal& goal);

// The calendar of a normalized goal. INVALID_ARGUMENT naming
// "goal.time_zone" when the zone cannot be loaded (any more).
absl::StatusOr<WeekCalendar> CalendarOf(const coach::v1::Goal& goal);

// The calendar of a person without a goal: UTC, midnight, Monday.
WeekCalendar DefaultCalendar();

// Weekday conversions; WEEKDAY_UNSPECIFIED maps to Monday.
absl::Weekday ToAbslWeekday(coach::v1::Weekday weekday);
coach::v1::Weekday ToProtoWeekday(absl::Weekday weekday);

// A (valid) time of day as the duration since midnight.
absl::Duration SinceMidnight(const coach::v1::TimeOfDay& time);

// The day number of `date`; INVALID_ARGUMENT "<field>: ..." when it is not
// a real date in 1970..2200.
absl::StatusOr<DayNumber> DayOfDate(const coach::v1::Date& date,
                                    absl::string_view field);

// The Date of `day`.
coach::v1::Date DateOf(DayNumber day);

// True when `day` lies in one of the goal's pauses.
bool IsPaused(const coach::v1::Goal& goal, DayNumber day);

// The stored record after a person sets `goal` (normalized) on local day
// `today` at `now`. A first goal starts today; a later one keeps its start
// day, and a new weekly target applies from the start of this week on
// (earlier weeks keep the target they had).
GoalRecord UpdateGoalRecord(const GoalRecord* existing,
                            const coach::v1::Goal& goal,
                            const WeekCalendar& calendar, DayNumber today,
                            absl::Time now);

// The weekly target for the week ending on `last_day`.
int TargetForWeek(const GoalRecord& record, DayNumber last_day);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_GOAL_RULES_H_
