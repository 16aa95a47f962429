// The longest each kind of stream's write queue has been, for tests that
// hold a client that never reads against the bound every stream promises
// (a count, not a timing). Servers record it only when asked
// (ServerOptions::record_queue_high_water); streams report after each
// enqueue.
//
//   QueueHighWater high;
//   high.Observe("SessionService/Subscribe", queue.size());
//   high.Max("SessionService/Subscribe");   // the longest seen
#ifndef SERVICES_COMMON_QUEUE_HIGH_WATER_H_
#define SERVICES_COMMON_QUEUE_HIGH_WATER_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace coachd {

// Thread-safe; never blocks on I/O.
class QueueHighWater {
 public:
  // Records that a `stream` (its method's name) had `queued` items waiting.
  void Observe(absl::string_view stream, int64_t queued) {
    absl::MutexLock lock(&mu_);
    int64_t& max = max_[std::string(stream)];
    if (queued > max) max = queued;
  }

  // The most items a `stream` has had waiting (0: none seen).
  int64_t Max(absl::string_view stream) const {
    absl::MutexLock lock(&mu_);
    auto it = max_.find(stream);
    return it == max_.end() ? 0 : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> max_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_COMMON_QUEUE_HIGH_WATER_H_
