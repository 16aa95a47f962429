// Where the scheduler keeps goals, completed workouts and reminders. One
// interface, two implementations: MemorySchedulerStore (embedded, the
// default, and the reference for the conformance tests) and
// RedisSchedulerStore, for several replicas.
//
// Reminders wait in one due-time index: a planned or snoozed reminder until
// it fires (`due`), a fired one until its day ends (`expires`). ClaimDue
// hands each transition to exactly one caller, however many processes claim
// at once, so every reminder fires once.
//
// The Redis store (redis_scheduler_store.h) keeps a hash of reminders and
// one of completions per person and one due-time sorted set; ClaimDue hands
// a reminder to the caller whose script finds it still due and removes it
// from the set, and followers on every replica hear changes through a Redis
// stream.
//
//   absl::StatusOr<bool> added = store->AddCompletion(person, completion);
//   absl::StatusOr<std::vector<ReminderRecord>> fired =
//       store->ClaimDue(clock.Now(), 100);
#ifndef SERVICES_SCHEDULER_SCHEDULER_STORE_H_
#define SERVICES_SCHEDULER_SCHEDULER_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/scheduler/scheduler_types.h"

namespace coachd {

// A snoozed reminder that comes back at or after the end of its day stays
// open this long after it comes back.
inline constexpr absl::Duration kSnoozeLinger = absl::Hours(1);

// Receives a person's reminder changes.
class ReminderListener {
 public:
  virtual ~ReminderListener() = default;
  // Called after each change a device can see (fired, snoozed, done,
  // cleared), made by any process. Must not block or call the store.
  virtual void OnReminder(const ReminderRecord& reminder) = 0;
};

// Stops a FollowReminders when destroyed; once the destructor returns the
// listener is never called again.
class ReminderWatch {
 public:
  virtual ~ReminderWatch() = default;
};

// An acknowledgement.
struct ReminderAck {
  bool snooze = false;                   // False: done.
  absl::Time until = absl::UnixEpoch();  // For a snooze: when it comes back.
};

// Implementations are thread-safe. Methods may block on I/O: call them from
// worker threads, never from a gRPC reaction. UNAVAILABLE when the store
// cannot be reached.
class SchedulerStore {
 public:
  virtual ~SchedulerStore() = default;

  // The person's goal; NOT_FOUND when they never set one.
  virtual absl::StatusOr<GoalRecord> LoadGoal(absl::string_view person) = 0;

  // Stores (replaces) the person's goal.
  virtual absl::Status SaveGoal(absl::string_view person,
                                const GoalRecord& goal) = 0;

  // Records a completion; false (and nothing changes) when one with the
  // same key is already recorded for the person.
  virtual absl::StatusOr<bool> AddCompletion(
      absl::string_view person, const CompletionRecord& completion) = 0;

  // The person's completions on `from_day` or later, by day.
  virtual absl::StatusOr<std::vector<CompletionRecord>> ListCompletions(
      absl::string_view person, DayNumber from_day) = 0;

  // Every reminder the person has (planned, open and recently closed), by
  // day.
  virtual absl::StatusOr<std::vector<ReminderRecord>> ListReminders(
      absl::string_view person) = 0;

  // Makes `next` (state kPlanned) the person's one planned reminder, or
  // removes the planned one when `next` is empty. A reminder with next's id
  // that is already past planning (fired, snoozed, closed) is kept as it is.
  // Also forgets closed reminders for days before `forget_before`. Tells no
  // one: planned reminders are invisible to devices.
  virtual absl::Status SetPlanned(absl::string_view person,
                                  const std::optional<ReminderRecord>& next,
                                  DayNumber forget_before) = 0;

  // Takes up to `max` reminders whose NextTransition() is at or before
  // `now`, earliest first, and moves each on: planned or snoozed -> due
  // (straight to cleared when `now` is past its expiry: a reminder missed
  // while no process ran is dropped), due -> cleared. Each transition goes
  // to exactly one caller even when several processes claim at once.
  // Followers are told; returns the reminders as changed.
  virtual absl::StatusOr<std::vector<ReminderRecord>> ClaimDue(absl::Time now,
                                                               int max) = 0;

  // Acknowledges the person's reminder `id`: done closes it, a snooze sets
  // it aside until `ack.until` (see kSnoozeLinger). NOT_FOUND for an unknown
  // id; FAILED_PRECONDITION unless it is due or snoozed (done on a done
  // reminder changes nothing and succeeds). Followers are told.
  virtual absl::StatusOr<ReminderRecord> Acknowledge(
      absl::string_view person, absl::string_view id,
      const ReminderAck& ack) = 0;

  // Clears those of the reminders `ids` that are due or snoozed. Followers
  // are told.
  virtual absl::Status ClearOpen(absl::string_view person,
                                 const std::vector<std::string>& ids) = 0;

  // Calls `listener` with each later change of the person's reminders, by
  // any process, until the watch is destroyed. `listener` must outlive it.
  virtual absl::StatusOr<std::unique_ptr<ReminderWatch>> FollowReminders(
      absl::string_view person, ReminderListener* listener) = 0;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_STORE_H_
