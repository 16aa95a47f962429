// Fires reminders on time: a thread that calls Scheduler::RunDue every poll
// interval with the real clock. Tests drive a FakeClock and call
// Scheduler::RunDue themselves instead of starting the thread.
//
//   ReminderDispatcher dispatcher(&scheduler);
//   dispatcher.Start();
//   ...
//   dispatcher.Stop();  // also done by the destructor
#ifndef SERVICES_SCHEDULER_REMINDER_DISPATCHER_H_
#define SERVICES_SCHEDULER_REMINDER_DISPATCHER_H_

#include <thread>

#include "absl/synchronization/mutex.h"
#include "services/scheduler/scheduler.h"

namespace coachd {

// Thread-safe. `scheduler` must outlive it.
class ReminderDispatcher {
 public:
  explicit ReminderDispatcher(Scheduler* scheduler) : scheduler_(scheduler) {}
  ~ReminderDispatcher() { Stop(); }
  ReminderDispatcher(const ReminderDispatcher&) = delete;
  ReminderDispatcher& operator=(const ReminderDispatcher&) = delete;

  // Starts the thread (once; later calls do nothing).
  void Start();

  // Stops and joins the thread; idempotent. Returns after the round in
  // progress, if any, has finished.
  void Stop();

 private:
  void Loop();

  Scheduler* scheduler_;
  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_REMINDER_DISPATCHER_H_
