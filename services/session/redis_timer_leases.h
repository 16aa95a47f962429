// Timer leases in Redis, for several coachd replicas on one Redis: the lease
// of session S is the key PREFIX:{S}:lease (same hash tag as the session's
// other keys), holding the holder's replica id, with a TTL.
//   take:    SET key ID NX PX ttl, then a compare-and-PEXPIRE (so a lease
//            already ours is taken again), pipelined for all sessions asked;
//   renew:   compare-and-PEXPIRE (Lua), pipelined for every lease held;
//   release: compare-and-DEL (Lua).
// A lease counts as held here only until ttl after the last renewal was
// sent (measured by the injected clock), which is never later than Redis
// expires it: once another replica can take a session, this one has stopped
// counting it as held.
//
//   RedisTimerLeases leases(&client, RedisTimerLeasesOptions{});
//   absl::StatusOr<std::vector<std::string>> mine = leases.Acquire({"s1"});
#ifndef SERVICES_SESSION_REDIS_TIMER_LEASES_H_
#define SERVICES_SESSION_REDIS_TIMER_LEASES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/redis/redis_client.h"
#include "services/session/timer_leases.h"

namespace coachd {

// Options of RedisTimerLeases.
struct RedisTimerLeasesOptions {
  std::string key_prefix = "coachd";  // As the store's.
  // This replica's id; empty: "HOSTNAME-PID-RANDOM". Two live processes
  // must never share one.
  std::string holder_id;
  absl::Duration ttl = absl::Seconds(3);  // Renew every ttl/3.
  const Clock* clock = nullptr;           // Not owned; null: the real clock.
};

// TimerLeases in Redis. Thread-safe. Uses the client's connections.
class RedisTimerLeases : public TimerLeases {
 public:
  // `client` must outlive the leases.
  RedisTimerLeases(RedisClient* client, RedisTimerLeasesOptions options);
  RedisTimerLeases(const RedisTimerLeases&) = delete;
  RedisTimerLeases& operator=(const RedisTimerLeases&) = delete;

  const std::string& holder_id() const override { return holder_id_; }
  bool shared() const override { return true; }
  absl::Duration ttl() const override { return options_.ttl; }
  // One pipelined round trip. UNAVAILABLE "redis at ADDR unreachable: ..."
  // when Redis cannot be reached; the error of the first error reply.
  absl::StatusOr<std::vector<std::string>> Acquire(
      const std::vector<std::string>& session_ids) override;
  bool Holds(absl::string_view session_id) const override;
  // One pipelined round trip for all leases held. A lease whose renewal is
  // refused (taken, expired) is lost; so is one that was not renewed within
  // ttl, even if Redis renews it now (the sweeper takes it back at once).
  std::vector<std::string> RenewHeld() override;
  // Forgets the lease at once; deletes the key if it is still ours.
  void Release(absl::string_view session_id) override;
  std::vector<std::string> Held() const override;

  // The lease key of a session, for tests and tools.
  std::string LeaseKey(absl::string_view session_id) const;

  // Counters of what the client sent to Redis.
  RedisClientStats Stats() const { return client_->Stats(); }

 private:
  RedisClient* const client_;
  const RedisTimerLeasesOptions options_;
  const std::string holder_id_;
  const std::string ttl_ms_;
  RealClock real_clock_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  // Held leases and when each stops counting as held.
  absl::flat_hash_map<std::string, absl::Time> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_SESSION_REDIS_TIMER_LEASES_H_
