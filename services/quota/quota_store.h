// Counters for per-identity limits, shared by every replica that shares the
// store: a fixed window per key (Take), and sets of what a person holds at
// once, such as their live sessions (Join, Leave). The first take of a key
// opens a window of the given length; takes count in it up to the limit; when
// it ends the count starts again from 0. The embedded store
// (memory_quota_store.h) counts in one process; the Redis one
// (redis_quota_store.h) counts for all the replicas on one Redis, so that
// running N replicas never gives anyone N times their limit. One conformance
// suite checks both (tests/quota/quota_store_conformance_test.cc).
//
//   absl::StatusOr<QuotaTake> take =
//       store->Take("start:alice", 30, absl::Hours(1), now);
//   if (take.ok() && !take->allowed) { ... retry at take->window_ends ... }
//   absl::StatusOr<SlotJoin> join = store->Join("live:alice", "s1", 5);
//   ... store->Leave("live:alice", "s1");   // when s1 ends
#ifndef SERVICES_QUOTA_QUOTA_STORE_H_
#define SERVICES_QUOTA_QUOTA_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// What one Take found.
struct QuotaTake {
  bool allowed = false;  // Counted: the count was below the limit.
  int64_t count = 0;     // Takes counted in the window, this one included.
  absl::Time window_ends = absl::InfinitePast();  // When the count resets.
};

// What one Join found.
struct SlotJoin {
  bool allowed = false;  // The member holds a slot (taken now or before).
  std::vector<std::string> members;  // The set after the join, sorted.
};

// Thread-safe. Methods may block on the store (call them on workers).
class QuotaStore {
 public:
  virtual ~QuotaStore() = default;

  // Atomically: opens a window [now, now + window) for `key` when none is
  // open, then counts one take if fewer than `limit` (>= 1) were counted in
  // it (allowed), or counts nothing (not allowed). UNAVAILABLE when the
  // store cannot be reached.
  virtual absl::StatusOr<QuotaTake> Take(absl::string_view key, int64_t limit,
                                         absl::Duration window,
                                         absl::Time now) = 0;

  // Atomically: adds `member` to the set `key` when it is in it already or
  // the set has fewer than `limit` (>= 1) members (allowed); else changes
  // nothing (not allowed). Either way returns the set's members. Sets do not
  // expire: members stay until Leave. UNAVAILABLE when the store cannot be
  // reached.
  virtual absl::StatusOr<SlotJoin> Join(absl::string_view key,
                                        absl::string_view member,
                                        int64_t limit) = 0;

  // Removes `member` from the set `key`; OK when it was not there.
  // UNAVAILABLE when the store cannot be reached.
  virtual absl::Status Leave(absl::string_view key,
                             absl::string_view member) = 0;
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_QUOTA_STORE_H_
