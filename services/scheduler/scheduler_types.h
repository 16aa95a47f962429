// What the scheduler keeps per person: the goal (with when it began and how
// its weekly target changed), completed workouts, and reminders. Plain
// structs so that each store lays them out as suits it (the memory store
// keeps them as they are; a Redis store keeps a hash per person and one
// due-time sorted set, see scheduler_store.h).
#ifndef SERVICES_SCHEDULER_SCHEDULER_TYPES_H_
#define SERVICES_SCHEDULER_SCHEDULER_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "services/scheduler/week_calendar.h"

namespace coachd {

// From `from_day` on (until the next change), the goal asks for
// `sessions_per_week`.
struct TargetChange {
  DayNumber from_day = 0;
  int sessions_per_week = 3;
};

// A person's goal as stored.
struct GoalRecord {
  coach::v1::Goal goal;     // Validated, defaults filled in (see goal_rules.h).
  DayNumber start_day = 0;  // The local day the first goal was set.
  // Ascending from_day; never empty once stored. A week uses the last
  // change that took effect by its last day.
  std::vector<TargetChange> targets;
  absl::Time updated_at = absl::UnixEpoch();
};

// One completed workout. The key de-duplicates: "session:<id>" for a coached
// session, "log:<id>" for LogWorkout.
struct CompletionRecord {
  std::string key;
  absl::Time at = absl::UnixEpoch();  // When it was completed.
  // The person's logical local day when it was recorded: a later time zone
  // change does not move past workouts between days.
  DayNumber day = 0;
};

// Where a reminder is in its life. Only kPlanned is internal; the others
// are what devices see (coach.v1.ReminderState).
enum class ReminderState {
  kPlanned,  // The planner's next reminder: waits for `due`; replaceable.
  kSnoozed,  // Fired, snoozed: waits for `due` to fire again.
  kDue,      // Fired and open: waits for an ack or for `expires`.
  kDone,     // Acknowledged as done.
  kCleared,  // Closed without an ack (workout recorded, day over, goal off).
};

// True for the states that wait in the due-time index: kPlanned and
// kSnoozed wait for `due`, kDue waits for `expires`.
inline bool IsScheduled(ReminderState state) {
  return state == ReminderState::kPlanned || state == ReminderState::kSnoozed ||
         state == ReminderState::kDue;
}

// One reminder. Identified by (person, id); the id is the local day it is
// for ("2026-03-09"), so the same reminder planned twice (two replicas, or
// a replan) is one reminder.
struct ReminderRecord {
  std::string person;
  std::string id;
  DayNumber day = 0;
  ReminderState state = ReminderState::kPlanned;
  absl::Time due = absl::UnixEpoch();      // When it fires (again).
  absl::Time expires = absl::UnixEpoch();  // When an open one is cleared.
  std::string title;
  std::string text;
  std::string ssml;
  int sessions_done = 0;
  int sessions_target = 0;
  int snoozes = 0;
  // Set by the store: grows with every change; devices keep the highest.
  int64_t version = 0;

  // When the due-time index should next act on it: `due` while planned or
  // snoozed, `expires` while due. Meaningless for closed states.
  absl::Time NextTransition() const {
    return state == ReminderState::kDue ? expires : due;
  }
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_TYPES_H_
