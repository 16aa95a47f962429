#include "services/scheduler/scheduler_component.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/scheduler/memory_scheduler_store.h"
#include "services/scheduler/scheduler_service.h"
#include "services/scheduler/time_zone_names.h"

namespace coachd {
namespace {

std::unique_ptr<SchedulerStore> OrEmbedded(
    std::unique_ptr<SchedulerStore> store) {
  if (store != nullptr) return store;
  return std::make_unique<MemorySchedulerStore>();
}

}  // namespace

SchedulerComponent::SchedulerComponent(std::unique_ptr<SchedulerStore> store,
                                       const Clock* clock,
                                       SchedulerOptions options)
    : store_(OrEmbedded(std::move(store))),
      scheduler_(store_.get(), clock, options),
      dispatcher_(&scheduler_) {
  KnownTimeZoneNames();  // Read the tzdata list now, not in a request.
}

std::unique_ptr<grpc::Service> SchedulerComponent::MakeService(
    const ServiceDeps& deps) {
  return std::make_unique<SchedulerServiceImpl>(
      WatchRemindersDeps{deps, &scheduler_});
}

int SchedulerComponent::RunDueForTest() {
  absl::StatusOr<int> changed = scheduler_.RunDue();
  if (!changed.ok()) {
    LogWarning(absl::StrCat("reminders: ", changed.status().message()));
    return 0;
  }
  return *changed;
}

}  // namespace coachd
