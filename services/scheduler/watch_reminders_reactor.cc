#include "services/scheduler/watch_reminders_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"
#include "services/common/rpc_log.h"

namespace coachd {

WatchRemindersReactor::WatchRemindersReactor(
    const WatchRemindersDeps& deps, grpc::CallbackServerContext* context,
    const coach::v1::WatchRemindersRequest* request)
    : deps_(deps), request_(request), start_(absl::Now()) {
  RegisterForShutdown();
  absl::Status invalid;
  absl::StatusOr<Identity> who = deps_.service.auth->Authenticate(*context);
  if (!who.ok()) {
    invalid = who.status();
  } else {
    absl::StatusOr<std::string> person =
        Scheduler::PersonFor(*who, request_->person_id());
    if (!person.ok()) {
      invalid = person.status();
    } else if (!coach::v1::DeviceKind_IsValid(request_->kind())) {
      invalid = absl::InvalidArgumentError(
          absl::StrCat("kind: unknown value ", request_->kind()));
    } else if (request_->kind() == coach::v1::DEVICE_KIND_COACH) {
      invalid = absl::InvalidArgumentError(
          "kind: reminders go to DEVICE_KIND_VOICE or DEVICE_KIND_DISPLAY");
    } else {
      person_ = *std::move(person);
      absl::StatusOr<StreamSlot> slot = AcquireStreamSlot(
          deps_.service, "SchedulerService/WatchReminders", *who);
      if (slot.ok()) {
        slot_ = *std::move(slot);
      } else {
        invalid = slot.status();
      }
    }
  }
  if (!invalid.ok()) {
    absl::MutexLock lock(&mu_);
    FinishLocked(ToGrpcStatus(invalid));
    return;
  }
  WatchLifetime(*who);
  refs_.fetch_add(1);
  if (deps_.service.executor != nullptr) {
    deps_.service.executor->Schedule([this] { Setup(); });
  } else {
    Setup();  // No workers (in-memory only): the store does not block.
  }
}

void WatchRemindersReactor::Setup() {
  absl::StatusOr<std::unique_ptr<ReminderWatch>> watch =
      deps_.scheduler->store()->FollowReminders(person_, this);
  absl::StatusOr<std::vector<ReminderRecord>> open =
      watch.ok() ? deps_.scheduler->OpenReminders(person_)
                 : absl::StatusOr<std::vector<ReminderRecord>>(watch.status());
  std::unique_ptr<ReminderWatch> unused;
  {
    absl::MutexLock lock(&mu_);
    if (watch.ok()) unused = *std::move(watch);
    if (!open.ok()) {
      FinishLocked(ToGrpcStatus(open.status()));
    } else if (!finished_) {
      watch_ = std::move(unused);
      for (const ReminderRecord& r : *open) EnqueueLocked(r);
      WriteNextLocked();
    }
  }
  unused.reset();  // Outside our lock: it takes the store's.
  Unref();
}

void WatchRemindersReactor::OnReminder(const ReminderRecord& reminder) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  EnqueueLocked(reminder);
  WriteNextLocked();
}

void WatchRemindersReactor::EnqueueLocked(const ReminderRecord& reminder) {
  int64_t& version = versions_[reminder.id];
  if (reminder.version <= version) return;  // Already queued or sent.
  version = reminder.version;
  coach::v1::Reminder proto = ReminderToProto(reminder);
  for (coach::v1::Reminder& queued : queue_) {
    if (queued.reminder_id() == proto.reminder_id()) {
      queued = std::move(proto);  // Only the latest state matters.
      return;
    }
  }
  if (static_cast<int>(queue_.size()) >= deps_.max_queue) {
    LogWarning(absl::StrCat("WatchReminders ", person_,
                            ": queue full, dropping reminder ",
                            queue_.front().reminder_id()));
    queue_.pop_front();
  }
  queue_.push_back(std::move(proto));
  if (deps_.service.queue_high_water != nullptr) {
    deps_.service.queue_high_water->Observe("SchedulerService/WatchReminders",
                                            queue_.size());
  }
}

void WatchRemindersReactor::WriteNextLocked() {
  if (finished_ || write_pending_ || queue_.empty()) return;
  writing_ = std::move(queue_.front());
  queue_.pop_front();
  write_pending_ = true;
  StartWrite(&writing_);
}

void WatchRemindersReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  write_pending_ = false;
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "stream broken while writing"));
    return;
  }
  ++sent_;
  WriteNextLocked();
}

void WatchRemindersReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void WatchRemindersReactor::RegisterForShutdown() {
  if (deps_.service.streams == nullptr) return;
  registration_ = deps_.service.streams->Register(
      "SchedulerService/WatchReminders", [this] {
        absl::MutexLock lock(&mu_);
        FinishLocked(
            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                         "coachd is shutting down; reconnect to resume"));
      });
}

void WatchRemindersReactor::WatchLifetime(const Identity& who) {
  if (deps_.service.lifetimes == nullptr) return;
  lifetime_ = deps_.service.lifetimes->Register(
      who, [this](const grpc::Status& status) {
        absl::MutexLock lock(&mu_);
        FinishLocked(status);
      });
}

void WatchRemindersReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  final_status_ = status;
  queue_.clear();
  Finish(status);
}

void WatchRemindersReactor::OnDone() {
  registration_.Reset();  // No shutdown close after this.
  lifetime_.Reset();      // No expiry or revocation close either.
  slot_.Reset();          // However it ended, its place is free.
  std::unique_ptr<ReminderWatch> watch;
  grpc::Status status;
  std::string who;
  {
    absl::MutexLock lock(&mu_);
    watch = std::move(watch_);
    status = final_status_;
    who = absl::StrCat(person_.empty() ? "-" : person_,
                       " kind=", coach::v1::DeviceKind_Name(request_->kind()),
                       " reminders=", sent_);
  }
  watch.reset();  // Unfollow: no OnReminder after this.
  absl::Status as_absl(static_cast<absl::StatusCode>(status.error_code()),
                       status.error_message());
  LogRpc("SchedulerService/WatchReminders", who, as_absl, absl::Now() - start_);
  Unref();
}

void WatchRemindersReactor::Unref() {
  if (refs_.fetch_sub(1) == 1) delete this;
}

}  // namespace coachd
