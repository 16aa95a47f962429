#include "clients/loadgen/reminder_ledger.h"

namespace coachd {

void ReminderLedger::Observe(const std::string& id,
                             coach::v1::ReminderState state, int64_t version) {
  ++deliveries_;
  History& heard = reminders_[id];
  if (state == coach::v1::REMINDER_STATE_DUE) {
    heard.due_versions.insert(version);
  } else if (state == coach::v1::REMINDER_STATE_DONE ||
             state == coach::v1::REMINDER_STATE_CLEARED) {
    if (heard.closed_version < 0 || version < heard.closed_version) {
      heard.closed_version = version;
    }
  }
}

int64_t ReminderLedger::FiredTwice() const {
  int64_t twice = 0;
  for (const auto& [id, heard] : reminders_) {
    const bool refired = heard.closed_version >= 0 &&
                         !heard.due_versions.empty() &&
                         *heard.due_versions.rbegin() > heard.closed_version;
    if (heard.due_versions.size() > 1 || refired) ++twice;
  }
  return twice;
}

bool ReminderLedger::Fired(const std::string& id) const {
  auto it = reminders_.find(id);
  return it != reminders_.end() && !it->second.due_versions.empty();
}

}  // namespace coachd
