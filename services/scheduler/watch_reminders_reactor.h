// The server side of SchedulerService.WatchReminders: one reactor per
// stream. It follows the person's reminders in the store first, then sends
// the open ones (a device that was offline catches up on connect), then
// every change as it happens, until the client cancels. Updates of one
// reminder coalesce while the stream is busy and a copy never goes out
// older than one already sent (versions), so the follow-then-list race
// cannot show a stale state. Finishes exactly once; deletes itself in OnDone.
#ifndef SERVICES_SCHEDULER_WATCH_REMINDERS_REACTOR_H_
#define SERVICES_SCHEDULER_WATCH_REMINDERS_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "services/auth/unary_call.h"
#include "services/common/stream_registry.h"
#include "services/scheduler/scheduler.h"

namespace coachd {

// Everything a WatchReminders stream needs; pointers outlive the server.
struct WatchRemindersDeps {
  ServiceDeps service;
  Scheduler* scheduler = nullptr;
  int max_queue = 64;  // Distinct reminders queued; beyond, the oldest go.
};

// Deletes itself when the call is done. Construct with new.
class WatchRemindersReactor
    : public grpc::ServerWriteReactor<coach::v1::Reminder>,
      public ReminderListener {
 public:
  WatchRemindersReactor(const WatchRemindersDeps& deps,
                        grpc::CallbackServerContext* context,
                        const coach::v1::WatchRemindersRequest* request);

  // ReminderListener: queues the change and starts a write when idle.
  void OnReminder(const ReminderRecord& reminder) override;

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Runs on a worker: follows the store, then queues the open reminders.
  void Setup();
  void EnqueueLocked(const ReminderRecord& reminder)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lets shutdown end the stream with UNAVAILABLE.
  void RegisterForShutdown();
  // Ends the stream with UNAUTHENTICATED when `who`'s token expires or its
  // device is revoked.
  void WatchLifetime(const Identity& who);
  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops one of the two references (the call's, the setup's).
  void Unref();

  const WatchRemindersDeps deps_;
  const coach::v1::WatchRemindersRequest* request_;
  const absl::Time start_;
  std::string person_;
  std::atomic<int> refs_{1};

  // Lets shutdown end this stream at once; reset in OnDone.
  StreamRegistration registration_;
  // This stream's place among its caller's open streams; reset in OnDone.
  StreamSlot slot_;
  // Ends this stream at its token\'s expiry or revocation; reset in OnDone.
  LifetimeRegistration lifetime_;
  absl::Mutex mu_;
  std::unique_ptr<ReminderWatch> watch_ ABSL_GUARDED_BY(mu_);
  // Highest version queued or sent, per reminder id.
  absl::flat_hash_map<std::string, int64_t> versions_ ABSL_GUARDED_BY(mu_);
  std::deque<coach::v1::Reminder> queue_ ABSL_GUARDED_BY(mu_);
  coach::v1::Reminder writing_ ABSL_GUARDED_BY(mu_);  // Alive until written.
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  int64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_WATCH_REMINDERS_REACTOR_H_
