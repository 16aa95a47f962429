#include "services/coach/coaching_component.h"

#include <utility>

#include "services/coach/coach_service.h"

namespace coachd {

CoachingComponent::CoachingComponent(std::unique_ptr<CoachLinkStore> links,
                                     std::unique_ptr<CoachBoard> board,
                                     SessionRunner* runner,
                                     std::unique_ptr<ProgressSource> progress,
                                     const Clock* clock,
                                     CoachingComponentOptions options)
    : options_(options),
      links_(std::move(links)),
      board_(std::move(board)),
      progress_(std::move(progress)),
      coaching_(links_.get(), board_.get(), runner, progress_.get(), clock,
                options_.coaching) {}

std::unique_ptr<grpc::Service> CoachingComponent::MakeService(
    const ServiceDeps& deps) {
  return std::make_unique<CoachServiceImpl>(
      &coaching_, WatchLiveDeps{deps, board_.get(), options_.max_stream_queue});
}

}  // namespace coachd
