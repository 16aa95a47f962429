#include "services/scheduler/memory_scheduler_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace coachd {

class MemorySchedulerStore::Watch : public ReminderWatch {
 public:
  Watch(MemorySchedulerStore* store, std::string person,
        ReminderListener* listener)
      : store_(store), person_(std::move(person)), listener_(listener) {}
  ~Watch() override { store_->Unfollow(person_, listener_); }

 private:
  MemorySchedulerStore* store_;
  std::string person_;
  ReminderListener* listener_;
};

MemorySchedulerStore::Person& MemorySchedulerStore::PersonLocked(
    absl::string_view person) {
  return people_[person];
}

void MemorySchedulerStore::UnindexLocked(const ReminderRecord& r) {
  due_.erase(DueKey(r.NextTransition(), r.person, r.id));
}

void MemorySchedulerStore::IndexLocked(const ReminderRecord& r) {
  if (IsScheduled(r.state)) {
    due_.insert(DueKey(r.NextTransition(), r.person, r.id));
  }
}

void MemorySchedulerStore::PublishLocked(Person& person, ReminderRecord& r) {
  ++r.version;
  for (ReminderListener* listener : person.listeners) listener->OnReminder(r);
}

absl::StatusOr<GoalRecord> MemorySchedulerStore::LoadGoal(
    absl::string_view person) {
  absl::MutexLock lock(&mu_);
  auto it = people_.find(person);
  if (it == people_.end() || !it->second.goal.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no goal set for \"", person, "\" yet; set one with `coachctl goal`"));
  }
  return *it->second.goal;
}

absl::Status MemorySchedulerStore::SaveGoal(absl::string_view person,
                                            const GoalRecord& goal) {
  absl::MutexLock lock(&mu_);
  PersonLocked(person).goal = goal;
  return absl::OkStatus();
}

absl::StatusOr<bool> MemorySchedulerStore::AddCompletion(
    absl::string_view person, const CompletionRecord& completion) {
  absl::MutexLock lock(&mu_);
  return PersonLocked(person)
      .completions.emplace(completion.key, completion)
      .second;
}

absl::StatusOr<std::vector<CompletionRecord>>
MemorySchedulerStore::ListCompletions(absl::string_view person,
                                      DayNumber from_day) {
  absl::MutexLock lock(&mu_);
  std::vector<CompletionRecord> out;
  auto it = people_.find(person);
  if (it == people_.end()) return out;
  for (const auto& [key, completion] : it->second.completions) {
    if (completion.day >= from_day) out.push_back(completion);
  }
  std::sort(out.begin(), out.end(),
            [](const CompletionRecord& a, const CompletionRecord& b) {
              return std::tie(a.day, a.at, a.key) <
                     std::tie(b.day, b.at, b.key);
            });
  return out;
}

absl::StatusOr<std::vector<ReminderRecord>> MemorySchedulerStore::ListReminders(
    absl::string_view person) {
  absl::MutexLock lock(&mu_);
  std::vector<ReminderRecord> out;
  auto it = people_.find(person);
  if (it == people_.end()) return out;
  for (const auto& [id, reminder] : it->second.reminders) {
    out.push_back(reminder);
  }
  return out;
}

absl::Status MemorySchedulerStore::SetPlanned(
    absl::string_view person, const std::optional<ReminderRecord>& next,
    DayNumber forget_before) {
  absl::MutexLock lock(&mu_);
  Person& p = PersonLocked(person);
  for (auto it = p.reminders.begin(); it != p.reminders.end();) {
    ReminderRecord& r = it->second;
    const bool replaced =
        r.state == ReminderState::kPlanned && !(next && next->id == r.id);
    const bool forgotten = (r.state == ReminderState::kDone ||
                            r.state == ReminderState::kCleared) &&
                           r.day < forget_before;
    if (replaced || forgotten) {
      UnindexLocked(r);
      it = p.reminders.erase(it);
    } else {
      ++it;
    }
  }
  if (!next.has_value()) return absl::OkStatus();
  auto [it, inserted] = p.reminders.try_emplace(next->id, *next);
  ReminderRecord& r = it->second;
  if (!inserted) {
    if (r.state != ReminderState::kPlanned) return absl::OkStatus();
    UnindexLocked(r);
    const int64_t version = r.version;
    r = *next;
    r.version = version;
  }
  r.person = std::string(person);
  r.state = ReminderState::kPlanned;
  ++r.version;
  IndexLocked(r);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ReminderRecord>> MemorySchedulerStore::ClaimDue(
    absl::Time now, int max) {
  absl::MutexLock lock(&mu_);
  std::vector<ReminderRecord> changed;
  while (!due_.empty() && static_cast<int>(changed.size()) < max) {
    auto first = due_.begin();
    if (std::get<0>(*first) > now) break;
    const std::string person = std::get<1>(*first);
    const std::string id = std::get<2>(*first);
    due_.erase(first);
    Person& p = PersonLocked(person);
    auto it = p.reminders.find(id);
    if (it == p.reminders.end()) continue;
    ReminderRecord& r = it->second;
    const bool seen = r.state != ReminderState::kPlanned;
    if (r.state == ReminderState::kDue || now >= r.expires) {
      r.state = ReminderState::kCleared;  // Over, or missed while down.
    } else {
      r.state = ReminderState::kDue;
    }
    IndexLocked(r);
    if (seen || r.state == ReminderState::kDue) {
      PublishLocked(p, r);
    } else {
      ++r.version;  // Never shown: no one to tell.
    }
    changed.push_back(r);
  }
  return changed;
}

absl::StatusOr<ReminderRecord> MemorySchedulerStore::Acknowledge(
    absl::string_view person, absl::string_view id, const ReminderAck& ack) {
  absl::MutexLock lock(&mu_);
  auto found = people_.find(person);
  if (found == people_.end()) {
    return absl::NotFoundError(
        absl::StrCat("reminder_id: no reminder \"", id, "\" has fired"));
  }
  Person& p = found->second;
  auto it = p.reminders.find(id);
  if (it == p.reminders.end() || it->second.state == ReminderState::kPlanned) {
    return absl::NotFoundError(
        absl::StrCat("reminder_id: no reminder \"", id, "\" has fired"));
  }
  ReminderRecord& r = it->second;
  if (!ack.snooze && r.state == ReminderState::kDone) return r;
  if (r.state != ReminderState::kDue && r.state != ReminderState::kSnoozed) {
    return absl::FailedPreconditionError(
        absl::StrCat("reminder ", id, " is ",
                     r.state == ReminderState::kDone ? "done" : "cleared",
                     "; only a due or snoozed reminder can be acknowledged"));
  }
  UnindexLocked(r);
  if (ack.snooze) {
    r.state = ReminderState::kSnoozed;
    r.due = ack.until;
    ++r.snoozes;
    if (ack.until >= r.expires) r.expires = ack.until + kSnoozeLinger;
  } else {
    r.state = ReminderState::kDone;
  }
  IndexLocked(r);
  PublishLocked(p, r);
  return r;
}

absl::Status MemorySchedulerStore::ClearOpen(
    absl::string_view person, const std::vector<std::string>& ids) {
  absl::MutexLock lock(&mu_);
  auto found = people_.find(person);
  if (found == people_.end()) return absl::OkStatus();
  Person& p = found->second;
  for (const std::string& id : ids) {
    auto it = p.reminders.find(id);
    if (it == p.reminders.end()) continue;
    ReminderRecord& r = it->second;
    if (r.state != ReminderState::kDue && r.state != ReminderState::kSnoozed) {
      continue;
    }
    UnindexLocked(r);
    r.state = ReminderState::kCleared;
    PublishLocked(p, r);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ReminderWatch>>
MemorySchedulerStore::FollowReminders(absl::string_view person,
                                      ReminderListener* listener) {
  absl::MutexLock lock(&mu_);
  PersonLocked(person).listeners.push_back(listener);
  return std::unique_ptr<ReminderWatch>(
      new Watch(this, std::string(person), listener));
}

void MemorySchedulerStore::Unfollow(const std::string& person,
                                    ReminderListener* listener) {
  absl::MutexLock lock(&mu_);
  auto it = people_.find(person);
  if (it == people_.end()) return;
  auto& listeners = it->second.listeners;
  listeners.erase(std::remove(listeners.begin(), listeners.end(), listener),
                  listeners.end());
}

}  // namespace coachd
