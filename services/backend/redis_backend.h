// The Redis backend: every store in one Redis, over one shared RedisClient
// (one connection pool, one set of timeouts and counters), so that several
// coachd replicas share sessions, timers, coaches and schedules.
//
//   RedisBackendOptions options;
//   options.client.address = *ParseRedisUrl("redis://127.0.0.1:6379");
//   auto backend = std::make_unique<RedisBackend>(options);
#ifndef SERVICES_BACKEND_REDIS_BACKEND_H_
#define SERVICES_BACKEND_REDIS_BACKEND_H_

#include <memory>
#include <string>

#include "services/backend/backend.h"
#include "services/coach/redis_coach_board.h"
#include "services/coach/redis_coach_link_store.h"
#include "services/pairing/redis_pairing_store.h"
#include "services/quota/redis_quota_store.h"
#include "services/redis/redis_client.h"
#include "services/scheduler/redis_scheduler_store.h"
#include "services/session/redis_timer_leases.h"
#include "services/store/redis_session_store.h"

namespace coachd {

// Options of RedisBackend: the client's and each store's.
struct RedisBackendOptions {
  RedisClientOptions client;
  RedisSessionStoreOptions sessions;
  RedisTimerLeasesOptions leases;
  RedisCoachLinkStoreOptions links;
  RedisCoachBoardOptions board;
  RedisSchedulerStoreOptions scheduler;
  RedisPairingStoreOptions pairing;
  RedisQuotaStoreOptions quotas;
};

// RedisSessionStore, RedisTimerLeases, RedisCoachLinkStore, RedisCoachBoard,
// RedisSchedulerStore, RedisPairingStore and RedisQuotaStore on one
// RedisClient. Thread-safe.
class RedisBackend : public Backend {
 public:
  // Connects lazily: a Redis that is down now is not an error here.
  explicit RedisBackend(RedisBackendOptions options);

  std::string Describe() const override;
  absl::Status Ping() override;
  std::unique_ptr<SessionStore> MakeSessionStore() override;
  std::unique_ptr<TimerLeases> MakeTimerLeases() override;
  std::unique_ptr<CoachLinkStore> MakeCoachLinks() override;
  std::unique_ptr<CoachBoard> MakeCoachBoard(CoachLinkStore* links,
                                             const Clock* clock) override;
  std::unique_ptr<SchedulerStore> MakeSchedulerStore() override;
  std::unique_ptr<PairingStore> MakePairingStore() override;
  std::unique_ptr<QuotaStore> MakeQuotaStore() override;

  // Redis round trips, commands, connects and errors of the shared client
  // and the stores' own connections (coachd_redis_*_total).
  std::vector<CallbackRegistration> RegisterMetrics(
      MetricsRegistry* registry) override;

  // The shared client (for counters and tools).
  RedisClient& client() { return client_; }

 private:
  const RedisBackendOptions options_;
  RedisClient client_;
};

}  // namespace coachd

#endif  // SERVICES_BACKEND_REDIS_BACKEND_H_
