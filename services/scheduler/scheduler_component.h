// The scheduler assembled for coachd, so that the server only wires it: the
// store (embedded unless one is given), the Scheduler logic, the reminder
// dispatcher thread and the gRPC service.
//
//   SchedulerComponent scheduler(nullptr, clock, {});
//   observers.push_back(MakeCompletionObserver(&scheduler.scheduler(), &pool));
//   // for SessionComponent services.push_back(scheduler.MakeService(deps));
//   scheduler.StartDispatcher();   // production; tests call RunDueForTest()
#ifndef SERVICES_SCHEDULER_SCHEDULER_COMPONENT_H_
#define SERVICES_SCHEDULER_SCHEDULER_COMPONENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "services/auth/unary_call.h"
#include "services/common/clock.h"
#include "services/scheduler/reminder_dispatcher.h"
#include "services/scheduler/scheduler.h"
#include "services/scheduler/scheduler_store.h"

namespace coachd {

// Thread-safe. `clock` must outlive it.
class SchedulerComponent {
 public:
  // Uses `store`, or an embedded MemorySchedulerStore when it is null.
  SchedulerComponent(std::unique_ptr<SchedulerStore> store, const Clock* clock,
                     SchedulerOptions options);
  SchedulerComponent(const SchedulerComponent&) = delete;
  SchedulerComponent& operator=(const SchedulerComponent&) = delete;

  // A SchedulerService over this scheduler; `deps` pointers (and this
  // component) must outlive it.
  std::unique_ptr<grpc::Service> MakeService(const ServiceDeps& deps);

  // Starts firing reminders on a thread (production).
  void StartDispatcher() { dispatcher_.Start(); }

  // Stops that thread; idempotent.
  void StopDispatcher() { dispatcher_.Stop(); }

  // Fires what is due by the clock now; returns how many reminders changed
  // state (errors are logged and count 0). For tests with a FakeClock.
  int RunDueForTest();

  Scheduler& scheduler() { return scheduler_; }
  SchedulerStore& store() { return *store_; }

 private:
  std::unique_ptr<SchedulerStore> store_;
  Scheduler scheduler_;
  ReminderDispatcher dispatcher_;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_COMPONENT_H_
