// Where coachd keeps its state: one Backend hands out every store the server
// needs, all over one place (the process's memory, or one Redis through one
// shared connection pool). CoachServer asks for each store once, at start.
//
//   std::unique_ptr<Backend> backend = std::make_unique<MemoryBackend>();
//   // or std::make_unique<RedisBackend>(options): replicas sharing a Redis
//   ServerOptions options;
//   options.backend = std::move(backend);
//
// A new store (say, paired devices) gets a Make... method here, an
// implementation in each backend, and one conformance suite run against
// both (as tests/store/store_conformance_test.cc does for sessions).
#ifndef SERVICES_BACKEND_BACKEND_H_
#define SERVICES_BACKEND_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/coach/coach_board.h"
#include "services/coach/coach_links.h"
#include "services/common/clock.h"
#include "services/metrics/metrics.h"
#include "services/pairing/pairing_store.h"
#include "services/quota/quota_store.h"
#include "services/scheduler/scheduler_store.h"
#include "services/session/timer_leases.h"
#include "services/store/session_store.h"

namespace coachd {

// Makes the stores of one coachd. Implementations are thread-safe. What a
// Make... method returns is owned by the caller and must be destroyed
// before the backend (it may use the backend's connections).
class Backend {
 public:
  virtual ~Backend() = default;

  // For the start-up log: "embedded" or "redis at HOST:PORT".
  virtual std::string Describe() const = 0;

  // OK when the backend's storage answers; UNAVAILABLE while it does not.
  // May block up to the storage's timeouts.
  virtual absl::Status Ping() = 0;

  // Adds the backend's own counters to `registry` as callback metrics read
  // at each scrape (Redis: round trips, commands, connects, errors); the
  // embedded backend has none. The registrations must go before the
  // backend.
  virtual std::vector<CallbackRegistration> RegisterMetrics(
      MetricsRegistry* registry) {
    return {};
  }

  // Live sessions: records and event logs.
  virtual std::unique_ptr<SessionStore> MakeSessionStore() = 0;

  // Who drives which session's timers.
  virtual std::unique_ptr<TimerLeases> MakeTimerLeases() = 0;

  // Coach links.
  virtual std::unique_ptr<CoachLinkStore> MakeCoachLinks() = 0;

  // The coaches' live boards over `links` (from MakeCoachLinks) and `clock`;
  // both must outlive what is returned.
  virtual std::unique_ptr<CoachBoard> MakeCoachBoard(CoachLinkStore* links,
                                                     const Clock* clock) = 0;

  // Goals, completions and reminders.
  virtual std::unique_ptr<SchedulerStore> MakeSchedulerStore() = 0;

  // Pairings, paired devices, refresh tokens (hashed) and revocations.
  virtual std::unique_ptr<PairingStore> MakePairingStore() = 0;

  // Counters of the per-identity limits (services/quota/quotas.h).
  virtual std::unique_ptr<QuotaStore> MakeQuotaStore() = 0;
};

}  // namespace coachd

#endif  // SERVICES_BACKEND_BACKEND_H_
