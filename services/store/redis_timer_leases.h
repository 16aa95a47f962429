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
//   RedisTimerLeasesOptions options;
//   options.address = *ParseRedisUrl("redis://127.0.0.1:6379");
//   RedisTimerLeases leases(options);
//   absl::StatusOr<std::vector<std::string>> mine = leases.Acquire({"s1"});
#ifndef SERVICES_STORE_REDIS_TIMER_LEASES_H_
#define SERVICES_STORE_REDIS_TIMER_LEASES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/session/timer_leases.h"
#include "services/store/redis_connection.h"
#include "services/store/redis_store.h"
#include "services/store/redis_url.h"

namespace coachd {

// Options of RedisTimerLeases.
struct RedisTimerLeasesOptions {
  RedisAddress address;
  std::string key_prefix = "coachd";  // As the store's.
  // This replica's id; empty: "HOSTNAME-PID-RANDOM". Two live processes
  // must never share one.
  std::string holder_id;
  absl::Duration ttl = absl::Seconds(3);  // Renew every ttl/3.
  int pool_size = 2;
  absl::Duration connect_timeout = absl::Milliseconds(200);
  absl::Duration command_timeout = absl::Seconds(1);
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(1);
  const Clock* clock = nullptr;  // Not owned; null: the real clock.
};

// TimerLeases in Redis. Thread-safe. Holds `pool_size` connections.
class RedisTimerLeases : public TimerLeases {
 public:
  explicit RedisTimerLeases(RedisTimerLeasesOptions options);
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

  // Counters of what was sent to Redis.
  RedisStoreStats Stats() const;

 private:
  const RedisTimerLeasesOptions options_;
  const std::string holder_id_;
  const std::string ttl_ms_;
  RealClock real_clock_;
  const Clock* const clock_;
  const std::shared_ptr<RedisCounters> counters_ =
      std::make_shared<RedisCounters>();
  RedisPool pool_;
  mutable absl::Mutex mu_;
  // Held leases and when each stops counting as held.
  absl::flat_hash_map<std::string, absl::Time> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_STORE_REDIS_TIMER_LEASES_H_
