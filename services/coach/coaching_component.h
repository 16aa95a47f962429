// Coaching assembled for coachd, so that the server only composes it: the
// coach links and live boards (from the backend), the Coaching logic over
// the sessions' runner and a progress source, and the CoachService.
// Complete once constructed.
//
//   auto links = backend->MakeCoachLinks();
//   auto board = backend->MakeCoachBoard(links.get(), &clock);
//   // ... the session part observes board->Observer(), checks access
//   // with a LinkAwarePolicy over links.get() ...
//   CoachingComponent coaching(std::move(links), std::move(board),
//                              &sessions.runner(), std::move(progress),
//                              &clock, {});
//   services.push_back(coaching.MakeService(deps));
#ifndef SERVICES_COACH_COACHING_COMPONENT_H_
#define SERVICES_COACH_COACHING_COMPONENT_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "services/auth/unary_call.h"
#include "services/coach/coach_board.h"
#include "services/coach/coach_links.h"
#include "services/coach/coaching.h"
#include "services/coach/progress_source.h"
#include "services/common/clock.h"
#include "services/session/session_runner.h"

namespace coachd {

// Options of CoachingComponent.
struct CoachingComponentOptions {
  CoachingOptions coaching;    // Cue length and per-coach cue rate.
  int max_stream_queue = 256;  // Updates queued per WatchLive stream.
};

// Thread-safe. `runner` and `clock` must outlive it; `board` must be made
// over `links`.
class CoachingComponent {
 public:
  CoachingComponent(std::unique_ptr<CoachLinkStore> links,
                    std::unique_ptr<CoachBoard> board, SessionRunner* runner,
                    std::unique_ptr<ProgressSource> progress,
                    const Clock* clock, CoachingComponentOptions options);
  CoachingComponent(const CoachingComponent&) = delete;
  CoachingComponent& operator=(const CoachingComponent&) = delete;

  // A CoachService over this coaching; `deps` pointers (and this component)
  // must outlive it.
  std::unique_ptr<grpc::Service> MakeService(const ServiceDeps& deps);

  CoachLinkStore& links() { return *links_; }
  CoachBoard& board() { return *board_; }
  Coaching& coaching() { return coaching_; }

 private:
  const CoachingComponentOptions options_;
  std::unique_ptr<CoachLinkStore> links_;
  std::unique_ptr<CoachBoard> board_;  // After links_: destroyed first.
  std::unique_ptr<ProgressSource> progress_;
  Coaching coaching_;
};

}  // namespace coachd

#endif  // SERVICES_COACH_COACHING_COMPONENT_H_
