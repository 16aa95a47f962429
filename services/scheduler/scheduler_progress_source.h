// The scheduler as the coach console's ProgressSource: a client's week,
// adherence and streak for ListClients, from Scheduler::ProgressOf.
//
//   SchedulerProgressSource progress(&scheduler_component.scheduler());
//   Coaching coaching(..., &progress, ...);
#ifndef SERVICES_SCHEDULER_SCHEDULER_PROGRESS_SOURCE_H_
#define SERVICES_SCHEDULER_SCHEDULER_PROGRESS_SOURCE_H_

#include "services/coach/progress_source.h"
#include "services/scheduler/scheduler.h"

namespace coachd {

// Thread-safe; blocks on the store. `scheduler` must outlive it.
class SchedulerProgressSource : public ProgressSource {
 public:
  explicit SchedulerProgressSource(Scheduler* scheduler)
      : scheduler_(scheduler) {}

  // NOT_FOUND when the person has no goal; the store's errors otherwise.
  absl::StatusOr<coach::v1::ClientProgress> ProgressOf(
      absl::string_view person) override;

 private:
  Scheduler* scheduler_;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_PROGRESS_SOURCE_H_
