// Plans a person's next reminder: at their reminder time, in their time
// zone, on the next preferred day that still needs one. Pure: no store, no
// clock.
//
// A day gets a reminder when reminders are on (the goal has a reminder
// time), it is a preferred day (none listed: every day), it is not paused,
// no workout has been recorded on it, its week's goal is still open (or the
// goal asks for reminders when met), the reminder's instant lies after
// `now`, and no reminder for that day already fired (`handled`). Because the
// instant is computed from the local date and clock time each time, a plan
// made again after a DST change or a time zone change lands at the right
// local time.
//
//   std::optional<PlannedReminder> next =
//       PlanNextReminder(ledger, clock.Now(), handled_days);
#ifndef SERVICES_SCHEDULER_REMINDER_PLANNER_H_
#define SERVICES_SCHEDULER_REMINDER_PLANNER_H_

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "services/scheduler/progress.h"
#include "services/scheduler/scheduler_types.h"

namespace coachd {

// How many days ahead the planner looks: two weeks cover every weekday even
// when this week's goal is met.
inline constexpr int kPlanHorizonDays = 15;

// A planned reminder.
struct PlannedReminder {
  DayNumber day = 0;                       // The local day it is for.
  absl::Time due = absl::UnixEpoch();      // Its reminder time that day.
  absl::Time expires = absl::UnixEpoch();  // The end of that day.
  int sessions_done = 0;                   // Its week's sessions so far.
  int sessions_target = 0;                 // Its week's target.
};

// The first reminder after `now`, or nullopt when none is needed within
// kPlanHorizonDays. `handled` holds days whose reminder already fired.
std::optional<PlannedReminder> PlanNextReminder(
    const WeekLedger& ledger, absl::Time now,
    const absl::flat_hash_set<DayNumber>& handled);

// The reminder record of `plan` for `person` (state kPlanned, with its
// title, text and speech).
ReminderRecord PlannedRecord(absl::string_view person,
                             const PlannedReminder& plan);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_REMINDER_PLANNER_H_
