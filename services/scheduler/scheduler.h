// The scheduler's logic: goals, progress, completed workouts and reminders
// over a SchedulerStore, with time from an injected Clock. No gRPC inside:
// SchedulerServiceImpl adapts it to the API; ReminderDispatcher calls RunDue.
//
//   Scheduler scheduler(&store, &clock, {});
//   absl::StatusOr<coach::v1::SetGoalResponse> r = scheduler.SetGoal(who, req);
//   clock.Advance(absl::Hours(1));
//   scheduler.RunDue();  // fires what is due, plans what comes next
//
// Who may reach what: a person's user and device tokens reach only their
// own goal, progress and reminders (the token's sub); coaches get
// PERMISSION_DENIED for now.
#ifndef SERVICES_SCHEDULER_SCHEDULER_H_
#define SERVICES_SCHEDULER_SCHEDULER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coach/v1/scheduler.pb.h"
#include "services/auth/identity.h"
#include "services/common/clock.h"
#include "services/quota/quotas.h"
#include "services/scheduler/progress.h"
#include "services/scheduler/scheduler_store.h"

namespace coachd {

// Options of Scheduler.
struct SchedulerOptions {
  // A coached session counts as a workout when at least this share of its
  // prescribed reps was done (SessionSummary.percent_done), 0..100.
  int completion_threshold_percent = 50;
  // Reminders claimed per store round trip in RunDue.
  int claim_batch = 100;
  // Closed reminders are kept this many days (so a day is not reminded
  // twice), then forgotten.
  int keep_closed_days = 8;
  // How often the dispatcher thread looks for due reminders.
  absl::Duration poll_interval = absl::Seconds(1);
};

// Thread-safe. Methods block on the store: call them on worker threads.
// `store` and `clock` must outlive it.
class Scheduler {
 public:
  Scheduler(SchedulerStore* store, const Clock* clock,
            SchedulerOptions options);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The person whose data `who` asks for with `person_id` (empty: their
  // own). PERMISSION_DENIED for a coach, or for anyone else's id.
  static absl::StatusOr<std::string> PersonFor(const Identity& who,
                                               absl::string_view person_id);

  // Sets (replaces) the caller's goal and plans their next reminder.
  // INVALID_ARGUMENT "goal...: why" for a bad goal; PERMISSION_DENIED.
  absl::StatusOr<coach::v1::SetGoalResponse> SetGoal(
      const Identity& who, const coach::v1::SetGoalRequest& request);

  // The caller's progress. NOT_FOUND before a goal is set;
  // PERMISSION_DENIED.
  absl::StatusOr<coach::v1::Progress> GetProgress(
      const Identity& who, const coach::v1::GetProgressRequest& request);

  // The person's progress, for trusted callers inside coachd (no identity
  // check: a coach's ListClients). NOT_FOUND when they have no goal.
  absl::StatusOr<coach::v1::Progress> ProgressOf(absl::string_view person);

  // Records a workout done elsewhere; the same log id counts once
  // (duplicate=true). INVALID_ARGUMENT naming log_id or completed_at;
  // PERMISSION_DENIED. The progress is unset when no goal is set yet.
  absl::StatusOr<coach::v1::LogWorkoutResponse> LogWorkout(
      const Identity& who, const coach::v1::LogWorkoutRequest& request);

  // Marks a fired reminder done or snoozes it. INVALID_ARGUMENT naming
  // reminder_id, action or snooze_minutes; NOT_FOUND for a reminder that
  // has not fired; FAILED_PRECONDITION for one already closed;
  // PERMISSION_DENIED.
  absl::StatusOr<coach::v1::Reminder> AckReminder(
      const Identity& who, const coach::v1::AckReminderRequest& request);

  // The person's open (due, unexpired) reminders, by day.
  absl::StatusOr<std::vector<ReminderRecord>> OpenReminders(
      absl::string_view person);

  // Records a completed workout for `person` at `at` under `key`
  // ("session:<id>", "log:<id>"). Returns false when the key was recorded
  // before (nothing changes). A new one clears the open reminders of its day
  // (and of its week once the week's goal is met), then replans.
  absl::StatusOr<bool> RecordCompletion(absl::string_view person,
                                        absl::string_view key, absl::Time at);

  // Plans the person's next reminder from their goal and history now.
  absl::Status Replan(absl::string_view person);

  // Fires the reminders due by the clock and clears the expired ones, then
  // plans each affected person's next. Returns how many changed state.
  absl::StatusOr<int> RunDue();

  // Reminders this process fired so far (a snoozed one again when its
  // snooze ends), and those it closed unanswered at their expiry (or
  // dropped, missed while no process ran). Each transition is claimed by
  // one process, so replicas' counts add up. For metrics; never blocks.
  int64_t RemindersFired() const { return fired_.load(); }
  int64_t RemindersExpired() const { return expired_.load(); }

  SchedulerStore* store() const { return store_; }
  const Clock* clock() const { return clock_; }
  const SchedulerOptions& options() const { return options_; }

  // Limits LogWorkout per person (the workouts_logged quota) from now on;
  // null (the default): no limit. Call before serving; `quotas` must
  // outlive the scheduler.
  void SetQuotas(Quotas* quotas) { quotas_ = quotas; }

 private:
  absl::Mutex& LockFor(absl::string_view person);
  absl::Status ReplanLocked(absl::string_view person);
  absl::StatusOr<coach::v1::Progress> BuildProgress(absl::string_view person,
                                                    const GoalRecord& goal);

  SchedulerStore* store_;
  const Clock* clock_;
  const SchedulerOptions options_;
  Quotas* quotas_ = nullptr;
  // Serializes each person's read-plan-write sequences in this process.
  std::array<absl::Mutex, 64> person_locks_;
  std::atomic<int64_t> fired_{0};
  std::atomic<int64_t> expired_{0};
};

// The API view of a reminder.
coach::v1::Reminder ReminderToProto(const ReminderRecord& record);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_H_
