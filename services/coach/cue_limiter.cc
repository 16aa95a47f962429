#include "services/coach/cue_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace coachd {

namespace {

// Buckets kept before full ones (coaches who are quiet) are forgotten.
constexpr size_t kPruneAbove = 10000;

}  // namespace

CueLimiter::CueLimiter(const Clock* clock, CueLimitOptions options)
    : clock_(clock),
      options_{std::max(1, options.burst),
               std::max(options.period, absl::Milliseconds(1))},
      per_cue_(options_.period / options_.burst),
      tolerance_(per_cue_ * (options_.burst - 1)) {}

absl::Status CueLimiter::Take(absl::string_view coach) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (full_at_.size() > kPruneAbove) {
    for (auto it = full_at_.begin(); it != full_at_.end();) {
      if (it->second <= now) {
        full_at_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  auto [it, fresh] = full_at_.try_emplace(coach, now);
  const absl::Time full_at = std::max(it->second, now);
  // Each cue pushes "full again" one per_cue_ further; a bucket more than
  // tolerance_ from full is empty.
  if (full_at - now > tolerance_) {
    const absl::Duration wait = full_at - now - tolerance_;
    const int64_t retry_seconds =
        absl::ToInt64Seconds(absl::Ceil(wait, absl::Seconds(1)));
    return absl::ResourceExhaustedError(absl::StrCat(
        "cues: at most ", options_.burst, " per ",
        absl::FormatDuration(options_.period), " per coach; retry in ",
        std::max<int64_t>(1, retry_seconds), "s"));
  }
  it->second = full_at + per_cue_;
  return absl::OkStatus();
}

}  // namespace coachd
