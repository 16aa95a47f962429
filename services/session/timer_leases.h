// Who drives a session's timers. Several coachd replicas may share one store;
// exactly one of them fires a session's timers, the one holding the
// session's lease. A lease is taken with Acquire, kept alive by calling
// RenewHeld more often than ttl(), and given up with Release (or lost when
// this process stops renewing it, e.g. because it died).
//
//   std::vector<std::string> mine = *leases->Acquire({"s1", "s2"});
//   ...every ttl()/3:
//   for (const std::string& lost : leases->RenewHeld()) StopDriving(lost);
//   ...when s1 finishes:
//   leases->Release("s1");
//
// MemoryTimerLeases grants every lease at once: one process and an embedded
// store. RedisTimerLeases (services/session/redis_timer_leases.h) keeps them
// in Redis for replicas.
#ifndef SERVICES_SESSION_TIMER_LEASES_H_
#define SERVICES_SESSION_TIMER_LEASES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// Leases on sessions' timers, as one replica sees them. Implementations are
// thread-safe. Acquire, RenewHeld and Release may block on I/O: call them
// from worker threads, never from a gRPC reaction.
class TimerLeases {
 public:
  virtual ~TimerLeases() = default;

  // This replica's id, stored as the holder of its leases.
  virtual const std::string& holder_id() const = 0;

  // True when other processes may hold leases and commit to the same
  // sessions (then a driver must watch for their changes).
  virtual bool shared() const = 0;

  // How long a lease lives without renewal.
  virtual absl::Duration ttl() const = 0;

  // Tries to take the lease of each session in `session_ids` (one round
  // trip for all). Returns those this replica holds now (newly taken, or
  // already its own). UNAVAILABLE when the lease store cannot be reached.
  virtual absl::StatusOr<std::vector<std::string>> Acquire(
      const std::vector<std::string>& session_ids) = 0;

  // True while this replica holds the session's lease: acquired, not
  // released or lost, and renewed within ttl() by this process's clock.
  virtual bool Holds(absl::string_view session_id) const = 0;

  // Renews every lease held (one round trip for all). Returns the sessions
  // whose lease is lost: taken by another replica, expired, or not renewed
  // in time because the lease store was unreachable. They are no longer
  // held.
  virtual std::vector<std::string> RenewHeld() = 0;

  // Gives up the session's lease if this replica holds it (best effort:
  // unreachable store means it simply expires).
  virtual void Release(absl::string_view session_id) = 0;

  // Sessions whose lease this replica holds, sorted.
  virtual std::vector<std::string> Held() const = 0;
};

// Every lease granted, never lost: for one process on the embedded store.
class MemoryTimerLeases : public TimerLeases {
 public:
  MemoryTimerLeases();

  const std::string& holder_id() const override { return holder_id_; }
  bool shared() const override { return false; }
  absl::Duration ttl() const override { return absl::InfiniteDuration(); }
  // Returns every id given.
  absl::StatusOr<std::vector<std::string>> Acquire(
      const std::vector<std::string>& session_ids) override;
  // Always true.
  bool Holds(absl::string_view session_id) const override { return true; }
  // Always empty.
  std::vector<std::string> RenewHeld() override { return {}; }
  void Release(absl::string_view session_id) override {}
  // Always empty: nothing to renew.
  std::vector<std::string> Held() const override { return {}; }

 private:
  const std::string holder_id_;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_TIMER_LEASES_H_
