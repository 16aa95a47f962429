// The embedded QuotaStore: counters in this process's memory. A key whose
// window has ended is dropped on the next take of any key after a sweep
// interval, so memory stays bounded by the keys of open windows; a set is
// dropped when its last member leaves.
#ifndef SERVICES_QUOTA_MEMORY_QUOTA_STORE_H_
#define SERVICES_QUOTA_MEMORY_QUOTA_STORE_H_

#include <string>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/quota/quota_store.h"

namespace coachd {

// Thread-safe; never blocks on I/O.
class MemoryQuotaStore : public QuotaStore {
 public:
  MemoryQuotaStore() = default;
  MemoryQuotaStore(const MemoryQuotaStore&) = delete;
  MemoryQuotaStore& operator=(const MemoryQuotaStore&) = delete;

  absl::StatusOr<QuotaTake> Take(absl::string_view key, int64_t limit,
                                 absl::Duration window,
                                 absl::Time now) override;
  absl::StatusOr<SlotJoin> Join(absl::string_view key, absl::string_view member,
                                int64_t limit) override;
  absl::Status Leave(absl::string_view key, absl::string_view member) override;

 private:
  struct Window {
    int64_t count = 0;
    absl::Time ends;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Window> windows_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::flat_hash_map<std::string, absl::btree_set<std::string>> sets_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_MEMORY_QUOTA_STORE_H_
