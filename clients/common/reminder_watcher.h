// Keeps a device's reminder stream open: WatchReminders for the person,
// reconnecting with backoff when it breaks (pending reminders come again on
// connect, so nothing is missed while offline). Runs until Stop() or a
// non-retryable error.
//
//   ReminderWatcher watcher(channel, token, coach::v1::DEVICE_KIND_DISPLAY);
//   watcher.Run([](const coach::v1::Reminder& r) { Show(r); });
#ifndef CLIENTS_COMMON_REMINDER_WATCHER_H_
#define CLIENTS_COMMON_REMINDER_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "clients/common/token_provider.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "services/metrics/metrics.h"

namespace coachd {

// Not thread-safe except Stop().
class ReminderWatcher {
 public:
  ReminderWatcher(std::shared_ptr<grpc::Channel> channel, std::string token,
                  coach::v1::DeviceKind kind, int max_retries = 30);
  // With tokens from `tokens`: a stream that ends UNAUTHENTICATED reopens
  // at once with a refreshed token (open reminders come again on connect).
  ReminderWatcher(std::shared_ptr<grpc::Channel> channel, TokenProvider tokens,
                  coach::v1::DeviceKind kind, int max_retries = 30);

  // Streams reminders to `on_reminder` until Stop() (CANCELLED), a
  // non-retryable status (returned), or retries run out (UNAVAILABLE).
  absl::Status Run(
      const std::function<void(const coach::v1::Reminder&)>& on_reminder);

  // Ends Run from another thread.
  void Stop();

  // Also counts each reconnect in `counter` (metrics), which must outlive
  // Run. Call before Run.
  void CountReconnects(Counter* counter) { reconnects_ = counter; }

 private:
  std::unique_ptr<coach::v1::SchedulerService::Stub> stub_;
  const TokenProvider tokens_;
  const coach::v1::DeviceKind kind_;
  const int max_retries_;
  Counter* reconnects_ = nullptr;
  std::atomic<bool> stopped_{false};
  absl::Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace coachd

#endif  // CLIENTS_COMMON_REMINDER_WATCHER_H_
