// A backend for tests that put some parts of coachd in Redis and keep the
// rest embedded: sessions only (health), sessions and coaching (coach
// replicas), the scheduler only (scheduler replicas). The Redis parts share
// one RedisClient, as in production.
//
//   MixedBackendOptions parts;
//   parts.redis.client.address = *ParseRedisUrl(redis->url());
//   parts.sessions = true;
//   options.backend = std::make_unique<MixedBackend>(parts);
#ifndef TESTS_COMMON_MIXED_BACKEND_H_
#define TESTS_COMMON_MIXED_BACKEND_H_

#include <memory>
#include <string>

#include "services/backend/memory_backend.h"
#include "services/backend/redis_backend.h"

namespace coachd {

// Which parts go to Redis (the others stay embedded), and the Redis options.
struct MixedBackendOptions {
  RedisBackendOptions redis;
  bool sessions = false;   // RedisSessionStore.
  bool leases = false;     // RedisTimerLeases.
  bool coaching = false;   // RedisCoachLinkStore and RedisCoachBoard.
  bool scheduler = false;  // RedisSchedulerStore.
  bool pairing = false;    // RedisPairingStore.
};

// Thread-safe, as both backends are.
class MixedBackend : public Backend {
 public:
  explicit MixedBackend(MixedBackendOptions options)
      : options_(options), redis_(options.redis) {}

  std::string Describe() const override { return "mixed (tests)"; }
  absl::Status Ping() override { return redis_.Ping(); }
  std::unique_ptr<SessionStore> MakeSessionStore() override {
    return options_.sessions ? redis_.MakeSessionStore()
                             : memory_.MakeSessionStore();
  }
  std::unique_ptr<TimerLeases> MakeTimerLeases() override {
    return options_.leases ? redis_.MakeTimerLeases()
                           : memory_.MakeTimerLeases();
  }
  std::unique_ptr<CoachLinkStore> MakeCoachLinks() override {
    return options_.coaching ? redis_.MakeCoachLinks()
                             : memory_.MakeCoachLinks();
  }
  std::unique_ptr<CoachBoard> MakeCoachBoard(CoachLinkStore* links,
                                             const Clock* clock) override {
    return options_.coaching ? redis_.MakeCoachBoard(links, clock)
                             : memory_.MakeCoachBoard(links, clock);
  }
  std::unique_ptr<SchedulerStore> MakeSchedulerStore() override {
    return options_.scheduler ? redis_.MakeSchedulerStore()
                              : memory_.MakeSchedulerStore();
  }

  std::unique_ptr<PairingStore> MakePairingStore() override {
    return options_.pairing ? redis_.MakePairingStore()
                            : memory_.MakePairingStore();
  }
  // Quotas are counted where sessions are kept.
  std::unique_ptr<QuotaStore> MakeQuotaStore() override {
    return options_.sessions ? redis_.MakeQuotaStore()
                             : memory_.MakeQuotaStore();
  }

  RedisClient& client() { return redis_.client(); }

 private:
  const MixedBackendOptions options_;
  MemoryBackend memory_;
  RedisBackend redis_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_MIXED_BACKEND_H_
