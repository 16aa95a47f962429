// The embedded scheduler store: everything in process memory. The default
// when coachd runs without Redis, and the reference for the store tests.
#ifndef SERVICES_SCHEDULER_MEMORY_SCHEDULER_STORE_H_
#define SERVICES_SCHEDULER_MEMORY_SCHEDULER_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/scheduler/scheduler_store.h"

namespace coachd {

// Thread-safe. Listeners are called under the store's lock, in the order of
// the changes.
class MemorySchedulerStore : public SchedulerStore {
 public:
  MemorySchedulerStore() = default;
  MemorySchedulerStore(const MemorySchedulerStore&) = delete;
  MemorySchedulerStore& operator=(const MemorySchedulerStore&) = delete;

  absl::StatusOr<GoalRecord> LoadGoal(absl::string_view person) override;
  absl::Status SaveGoal(absl::string_view person,
                        const GoalRecord& goal) override;
  absl::StatusOr<bool> AddCompletion(
      absl::string_view person, const CompletionRecord& completion) override;
  absl::StatusOr<std::vector<CompletionRecord>> ListCompletions(
      absl::string_view person, DayNumber from_day) override;
  absl::StatusOr<std::vector<ReminderRecord>> ListReminders(
      absl::string_view person) override;
  absl::Status SetPlanned(absl::string_view person,
                          const std::optional<ReminderRecord>& next,
                          DayNumber forget_before) override;
  absl::StatusOr<std::vector<ReminderRecord>> ClaimDue(absl::Time now,
                                                       int max) override;
  absl::StatusOr<ReminderRecord> Acknowledge(absl::string_view person,
                                             absl::string_view id,
                                             const ReminderAck& ack) override;
  absl::Status ClearOpen(absl::string_view person,
                         const std::vector<std::string>& ids) override;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> FollowReminders(
      absl::string_view person, ReminderListener* listener) override;

 private:
  class Watch;
  struct Person {
    std::optional<GoalRecord> goal;
    absl::flat_hash_map<std::string, CompletionRecord> completions;
    std::map<std::string, ReminderRecord, std::less<>> reminders;  // By id.
    std::vector<ReminderListener*> listeners;
  };
  // (next transition, person, id) of every scheduled reminder.
  using DueKey = std::tuple<absl::Time, std::string, std::string>;

  Person& PersonLocked(absl::string_view person)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `r` from the due index (if it is there).
  void UnindexLocked(const ReminderRecord& r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `r` to the due index if its state waits there.
  void IndexLocked(const ReminderRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bumps the version of `r` and tells the person's listeners.
  void PublishLocked(Person& person, ReminderRecord& r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unfollow(const std::string& person, ReminderListener* listener);

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Person> people_ ABSL_GUARDED_BY(mu_);
  std::set<DueKey> due_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_MEMORY_SCHEDULER_STORE_H_
