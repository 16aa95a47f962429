// How often a coach may speak into sessions: a token bucket per coach on the
// injected clock. A coach has `burst` cues at once, and gets them back at
// `burst` per `period` (by default 5 per minute: one every 12 seconds).
// Kept as a "theoretical arrival time" per coach (GCRA), in exact
// absl::Duration arithmetic.
//
//   CueLimiter limiter(&clock, {});
//   absl::Status s = limiter.Take("coach-bob");  // RESOURCE_EXHAUSTED past it
#ifndef SERVICES_COACH_CUE_LIMITER_H_
#define SERVICES_COACH_CUE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace coachd {

// Options of CueLimiter.
struct CueLimitOptions {
  int burst = 5;  // Cues a coach may send at once (>= 1).
  absl::Duration period = absl::Minutes(1);  // Time to earn `burst` back.
};

// Thread-safe; never blocks. `clock` must outlive it.
class CueLimiter {
 public:
  CueLimiter(const Clock* clock, CueLimitOptions options);

  // Takes one cue from `coach`'s bucket. RESOURCE_EXHAUSTED when it is empty,
  // with a message saying the limit and when to retry ("retry in 12s").
  absl::Status Take(absl::string_view coach);

 private:
  const Clock* clock_;
  const CueLimitOptions options_;
  const absl::Duration per_cue_;    // period / burst.
  const absl::Duration tolerance_;  // per_cue_ * (burst - 1).
  absl::Mutex mu_;
  // Per coach: when their bucket is full again. Past it, it is full.
  absl::flat_hash_map<std::string, absl::Time> full_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_COACH_CUE_LIMITER_H_
