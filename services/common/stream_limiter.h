// Bounds the long-lived streams (Subscribe, WatchLive, WatchMySessions,
// WatchReminders) one identity holds open on this process, so that one
// person cannot fill a replica's memory and threads with streams. A stream
// takes a slot when it opens and gives it back when its reactor is done,
// whatever ended it (the client cancelled or vanished, the server shut
// down, an error): the slot is an object the reactor owns.
//
// The count is per process, not shared on Redis: a stream lives on one
// replica and costs that replica's memory, which is what the bound protects,
// and a process that dies frees its streams' slots with it (a shared count
// would keep a dead replica's slots taken). With N replicas an identity
// holds at most N times the limit in all (docs/SECURITY.md, "Limits").
//
//   StreamLimiter limiter(64);
//   absl::StatusOr<StreamSlot> slot =
//       limiter.Acquire("SessionService/Subscribe", who.subject);
//   if (!slot.ok()) { Finish(ToGrpcStatus(slot.status())); ... }
//   slot_ = *std::move(slot);   // freed when the reactor is done
#ifndef SERVICES_COMMON_STREAM_LIMITER_H_
#define SERVICES_COMMON_STREAM_LIMITER_H_

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace coachd {

class StreamLimiter;

// One open stream's slot; released when reset or destroyed. Movable, not
// copyable. An empty slot (default-constructed) holds nothing.
class StreamSlot {
 public:
  StreamSlot() = default;
  StreamSlot(StreamSlot&& other) noexcept { *this = std::move(other); }
  StreamSlot& operator=(StreamSlot&& other) noexcept;
  ~StreamSlot() { Reset(); }

  // Gives the slot back. Idempotent.
  void Reset();

 private:
  friend class StreamLimiter;
  StreamSlot(StreamLimiter* limiter, std::string identity)
      : limiter_(limiter), identity_(std::move(identity)) {}

  StreamLimiter* limiter_ = nullptr;
  std::string identity_;
};

// Thread-safe; never blocks on I/O. Must outlive every slot it hands out.
class StreamLimiter {
 public:
  // At most `max_per_identity` open streams per identity; <= 0: no limit.
  explicit StreamLimiter(int max_per_identity);
  // Asserts that every slot was given back (a reactor's OnDone runs before
  // the server that owns the limiter is gone).
  ~StreamLimiter();
  StreamLimiter(const StreamLimiter&) = delete;
  StreamLimiter& operator=(const StreamLimiter&) = delete;

  // A slot for one more stream of `identity` (a token's sub), or
  // RESOURCE_EXHAUSTED: "METHOD: limit of MAX open streams per person on
  // this replica (--max_streams_per_person) reached; close one of them and
  // retry (a stream's place frees as soon as it ends)".
  absl::StatusOr<StreamSlot> Acquire(absl::string_view method,
                                     absl::string_view identity);

  // Streams `identity` holds open now.
  int OpenFor(absl::string_view identity) const;

  // Waits until `identity` holds exactly `count` streams, up to `timeout`;
  // whether it does. For tests: a stream's slot is freed on gRPC's thread
  // after the client has seen the stream end.
  bool AwaitOpenForTest(absl::string_view identity, int count,
                        absl::Duration timeout) const;

 private:
  friend class StreamSlot;
  void Release(const std::string& identity);

  const int max_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_COMMON_STREAM_LIMITER_H_
