#include "services/backend/memory_backend.h"

#include "services/coach/memory_coach_board.h"
#include "services/pairing/memory_pairing_store.h"
#include "services/quota/memory_quota_store.h"
#include "services/scheduler/memory_scheduler_store.h"

namespace coachd {

std::unique_ptr<SessionStore> MemoryBackend::MakeSessionStore() {
  return std::make_unique<MemorySessionStore>(sessions_);
}

std::unique_ptr<TimerLeases> MemoryBackend::MakeTimerLeases() {
  return std::make_unique<MemoryTimerLeases>();
}

std::unique_ptr<CoachLinkStore> MemoryBackend::MakeCoachLinks() {
  return std::make_unique<MemoryCoachLinkStore>();
}

std::unique_ptr<CoachBoard> MemoryBackend::MakeCoachBoard(CoachLinkStore* links,
                                                          const Clock* clock) {
  return std::make_unique<MemoryCoachBoard>(links, clock);
}

std::unique_ptr<SchedulerStore> MemoryBackend::MakeSchedulerStore() {
  return std::make_unique<MemorySchedulerStore>();
}

std::unique_ptr<PairingStore> MemoryBackend::MakePairingStore() {
  return std::make_unique<MemoryPairingStore>();
}

std::unique_ptr<QuotaStore> MemoryBackend::MakeQuotaStore() {
  return std::make_unique<MemoryQuotaStore>();
}

}  // namespace coachd
