// What a person's devices heard of their reminders during a chaos run, to
// check that each reminder fired once: a device gets a reminder again with
// the same version when it reconnects (open reminders come first), which is
// not a second firing; a second DUE version of the same reminder, or a DUE
// newer than its close, is. Pure; not thread-safe.
//
//   ReminderLedger ledger;
//   ledger.Observe("2026-12-07", coach::v1::REMINDER_STATE_DUE, 2);
//   ledger.Observe("2026-12-07", coach::v1::REMINDER_STATE_DUE, 2);  // again
//   ledger.FiredTwice();  // 0
#ifndef CLIENTS_LOADGEN_REMINDER_LEDGER_H_
#define CLIENTS_LOADGEN_REMINDER_LEDGER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "coach/v1/scheduler.pb.h"

namespace coachd {

class ReminderLedger {
 public:
  // A device received reminder `id` in `state` at `version`.
  void Observe(const std::string& id, coach::v1::ReminderState state,
               int64_t version);

  // Reminders that fired more than once.
  int64_t FiredTwice() const;
  // Whether `id` was heard DUE, or heard at all (any state).
  bool Fired(const std::string& id) const;
  bool Heard(const std::string& id) const { return reminders_.count(id) > 0; }
  int64_t deliveries() const { return deliveries_; }

 private:
  struct History {
    std::set<int64_t> due_versions;
    int64_t closed_version = -1;  // Lowest DONE or CLEARED version.
  };
  std::map<std::string, History> reminders_;
  int64_t deliveries_ = 0;
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_REMINDER_LEDGER_H_
