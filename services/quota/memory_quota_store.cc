#include "services/quota/memory_quota_store.h"

#include <string>

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

absl::StatusOr<SlotJoin> MemoryQuotaStore::Join(absl::string_view key,
                                                absl::string_view member,
                                                int64_t limit) {
  COACHD_DCHECK(limit >= 1, "a slot limit is at least 1");
  absl::MutexLock lock(&mu_);
  absl::btree_set<std::string>& set = sets_[std::string(key)];
  const std::string name(member);
  SlotJoin join;
  join.allowed = set.contains(name) || static_cast<int64_t>(set.size()) < limit;
  if (join.allowed) set.insert(name);
  join.members.assign(set.begin(), set.end());
  if (set.empty()) sets_.erase(key);
  return join;
}

absl::Status MemoryQuotaStore::Leave(absl::string_view key,
                                     absl::string_view member) {
  absl::MutexLock lock(&mu_);
  auto it = sets_.find(key);
  if (it == sets_.end()) return absl::OkStatus();
  it->second.erase(std::string(member));
  if (it->second.empty()) sets_.erase(it);
  return absl::OkStatus();
}

}  // namespace coachd
