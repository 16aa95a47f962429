#include "clients/common/reminder_watcher.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "clients/common/client_auth.h"
#include "clients/common/reconnect.h"

namespace coachd {

ReminderWatcher::ReminderWatcher(std::shared_ptr<grpc::Channel> channel,
                                 std::string token, coach::v1::DeviceKind kind,
                                 int max_retries)
    : ReminderWatcher(std::move(channel), FixedToken(std::move(token)), kind,
                      max_retries) {}

ReminderWatcher::ReminderWatcher(std::shared_ptr<grpc::Channel> channel,
                                 TokenProvider tokens,
                                 coach::v1::DeviceKind kind, int max_retries)
    : stub_(coach::v1::SchedulerService::NewStub(channel)),
      tokens_(std::move(tokens)),
      kind_(kind),
      max_retries_(max_retries) {}

void ReminderWatcher::Stop() {
  stopped_ = true;
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr) current_->TryCancel();
}

absl::Status ReminderWatcher::Run(
    const std::function<void(const coach::v1::Reminder&)>& on_reminder) {
  Reconnect reconnect(
      {max_retries_, absl::Milliseconds(200), absl::Seconds(3), reconnects_});
  bool refresh = false;    // The last stream ended UNAUTHENTICATED.
  bool refreshed = false;  // The stream now open uses a refreshed token.
  while (!stopped_) {
    absl::StatusOr<std::string> token = tokens_(refresh);
    if (!token.ok()) return token.status();
    refreshed = refresh;
    refresh = false;
    const absl::Time opened = absl::Now();
    bool received = false;
    grpc::ClientContext context;
    AddToken(&context, *token);
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
      reconnect.Reset();
      received = true;
      on_reminder(reminder);
    }
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
    }
    if (stopped_) break;
    if (NeedsRefresh(status, refreshed, received, absl::Now() - opened)) {
      refresh = true;
      continue;
    }
    absl::Status again = reconnect.AfterStreamEnded(status);
    if (!again.ok()) return again;
  }
  return absl::CancelledError("stopped");
}

}  // namespace coachd
