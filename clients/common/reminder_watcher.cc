#include "clients/common/reminder_watcher.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "clients/common/client_auth.h"

namespace coachd {

ReminderWatcher::ReminderWatcher(std::shared_ptr<grpc::Channel> channel,
                                 std::string token, coach::v1::DeviceKind kind,
                                 int max_retries)
    : stub_(coach::v1::SchedulerService::NewStub(channel)),
      token_(std::move(token)),
      kind_(kind),
      max_retries_(max_retries) {}

void ReminderWatcher::Stop() {
  stopped_ = true;
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr) current_->TryCancel();
}

absl::Status ReminderWatcher::Run(
    const std::function<void(const coach::v1::Reminder&)>& on_reminder) {
  absl::Duration backoff = absl::Milliseconds(200);
  int failures = 0;
  while (!stopped_) {
    grpc::ClientContext context;
    AddToken(&context, token_);
    {
      absl::MutexLock lock(&mu_);
      current_ = &context;
    }
    if (stopped_) context.TryCancel();
    coach::v1::WatchRemindersRequest request;
    request.set_kind(kind_);
    auto reader = stub_->WatchReminders(&context, request);
    coach::v1::Reminder reminder;
    while (reader->Read(&reminder)) {
      failures = 0;
      backoff = absl::Milliseconds(200);
      on_reminder(reminder);
    }
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
    }
    if (stopped_) break;
    if (!RetryableStatus(status.error_code())) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    if (++failures > max_retries_) {
      return absl::UnavailableError("gave up reconnecting: " +
                                    status.error_message());
    }
    absl::SleepFor(backoff);  // Client side: waiting to reconnect.
    backoff = std::min(backoff * 2, absl::Seconds(3));
  }
  return absl::CancelledError("stopped");
}

}  // namespace coachd
