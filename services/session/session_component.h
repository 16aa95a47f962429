// The sessions of coachd assembled, so that the server only composes it: the
// store and timer leases (from the backend), the runner (logic), the hub
// (fan-out), the timer queue and driver, the timer loop with its retry
// policy, and the SessionService. Complete once constructed.
//
//   SessionComponent sessions(backend->MakeSessionStore(),
//                             backend->MakeTimerLeases(), &catalog, &clock,
//                             &executor, std::move(policy), observers, {});
//   services.push_back(sessions.MakeService(deps));
//   sessions.Start();   // production; tests call RunDueTimersForTest()
#ifndef SERVICES_SESSION_SESSION_COMPONENT_H_
#define SERVICES_SESSION_SESSION_COMPONENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/unary_call.h"
#include "services/catalog/catalog.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/session/access_policy.h"
#include "services/session/session_hub.h"
#include "services/session/session_runner.h"
#include "services/session/timer_driver.h"
#include "services/session/timer_leases.h"
#include "services/session/timer_queue.h"
#include "services/store/session_store.h"

namespace coachd {

// Options of SessionComponent.
struct SessionComponentOptions {
  double time_scale = 1.0;  // > 0; 20 plays sessions 20x faster.
  HubOptions hub;
  TimerDriverOptions driver;
  int max_stream_queue = 256;  // Events queued per stream before a snapshot.
  // A tick that failed (the store unreachable) is tried again after this.
  absl::Duration tick_retry = absl::Seconds(1);
  // The command id window and the commands a session takes in it
  // (RunnerOptions).
  absl::Duration command_id_window = absl::Minutes(10);
  int max_commands_per_window = 300;
};

// Thread-safe. `catalog`, `clock` and `executor` must outlive it; the
// executor must be drained (destroyed) before the component, as its tasks
// tick sessions.
class SessionComponent {
 public:
  // `observers` are called after every commit (see CommitObserver).
  SessionComponent(std::unique_ptr<SessionStore> store,
                   std::unique_ptr<TimerLeases> leases, const Catalog* catalog,
                   const Clock* clock, Executor* executor,
                   std::unique_ptr<AccessPolicy> policy,
                   std::vector<CommitObserver> observers,
                   SessionComponentOptions options);
  // Stop()s.
  ~SessionComponent();
  SessionComponent(const SessionComponent&) = delete;
  SessionComponent& operator=(const SessionComponent&) = delete;

  // A SessionService over these sessions; `deps` pointers (and this
  // component) must outlive it.
  std::unique_ptr<grpc::Service> MakeService(const ServiceDeps& deps);

  // Takes over the timers of the live sessions in the store (one sweep of
  // the driver). UNAVAILABLE while the store is; later sweeps retry.
  absl::Status ResumeTimers();

  // Starts the timer thread (ticks due sessions on the executor, retrying
  // failed ticks after tick_retry) and the driver's lease threads.
  void Start();

  // Stops the timer thread and the driver (which releases its leases, so
  // that another replica takes over). Idempotent.
  void Stop();

  // Ticks every session due by the clock, on the calling thread, until none
  // is due; returns how many ticks ran. For tests driving a FakeClock
  // without Start().
  int RunDueTimersForTest();

  SessionStore& store() { return *store_; }
  SessionRunner& runner() { return runner_; }
  SessionHub& hub() { return hub_; }
  TimerQueue& timers() { return timers_; }
  TimerDriver& driver() { return driver_; }
  const AccessPolicy& policy() const { return *policy_; }

 private:
  void TimerLoop();
  // Ticks one session; on failure, stops driving a session that is gone or
  // schedules another try.
  void TickOrRetry(const std::string& session_id);

  const Clock* const clock_;
  Executor* const executor_;
  const SessionComponentOptions options_;
  std::unique_ptr<SessionStore> store_;
  std::unique_ptr<TimerLeases> leases_;
  std::unique_ptr<AccessPolicy> policy_;
  TimerQueue timers_;
  SessionHub hub_;
  TimerDriver driver_;
  SessionRunner runner_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_thread_;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SESSION_COMPONENT_H_
