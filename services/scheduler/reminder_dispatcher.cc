#include "services/scheduler/reminder_dispatcher.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {

void ReminderDispatcher::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void ReminderDispatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void ReminderDispatcher::Loop() {
  for (;;) {
    absl::StatusOr<int> fired = scheduler_->RunDue();
    if (!fired.ok()) {
      LogWarning(absl::StrCat("reminders: ", fired.status().message()));
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                             scheduler_->options().poll_interval)) {
      return;
    }
  }
}

}  // namespace coachd
