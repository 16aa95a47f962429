#include "services/quota/memory_quota_store.h"

#include "services/common/check.h"

namespace coachd {

absl::StatusOr<QuotaTake> MemoryQuotaStore::Take(absl::string_view key,
                                                 int64_t limit,
                                                 absl::Duration window,
                                                 absl::Time now) {
  COACHD_DCHECK(limit >= 1, "a quota's limit is at least 1");
  absl::MutexLock lock(&mu_);
  if (now >= next_sweep_) {  // Forget ended windows, once a minute at most.
    absl::erase_if(windows_, [now](const auto& entry) {
      return entry.second.ends <= now;
    });
    next_sweep_ = now + absl::Minutes(1);
  }
  Window& w = windows_[key];
  if (w.ends <= now) w = Window{0, now + window};
  QuotaTake take;
  take.allowed = w.count < limit;
  if (take.allowed) ++w.count;
  take.count = w.count;
  take.window_ends = w.ends;
  return take;
}

}  // namespace coachd
