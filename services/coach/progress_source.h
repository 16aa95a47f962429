// Where a client's weekly progress comes from, for ListClients. The
// scheduler provides it; until it is wired in, NoProgressSource says there
// is none and ListClients leaves progress unset.
//
//   class SchedulerProgress : public ProgressSource { ... };
//   Coaching coaching(..., &progress, ...);
#ifndef SERVICES_COACH_PROGRESS_SOURCE_H_
#define SERVICES_COACH_PROGRESS_SOURCE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/v1/coach.pb.h"

namespace coachd {

// Thread-safe; may block (a store): called from worker threads.
class ProgressSource {
 public:
  virtual ~ProgressSource() = default;
  // The person's progress against their goal. NOT_FOUND when there is none
  // (no goal); UNAVAILABLE when its store cannot be reached.
  virtual absl::StatusOr<coach::v1::ClientProgress> ProgressOf(
      absl::string_view person) = 0;
};

// No progress for anyone (NOT_FOUND): the default until the scheduler is
// plugged in.
class NoProgressSource : public ProgressSource {
 public:
  absl::StatusOr<coach::v1::ClientProgress> ProgressOf(
      absl::string_view person) override {
    return absl::NotFoundError("no progress source is configured");
  }
};

}  // namespace coachd

#endif  // SERVICES_COACH_PROGRESS_SOURCE_H_
