// The embedded backend: every store in this process's memory. For one coachd
// (the demo, development) and for tests; nothing survives a restart.
//
//   auto backend =
//   std::make_unique<MemoryBackend>(MemorySessionStoreOptions{});
#ifndef SERVICES_BACKEND_MEMORY_BACKEND_H_
#define SERVICES_BACKEND_MEMORY_BACKEND_H_

#include <memory>
#include <string>

#include "services/backend/backend.h"
#include "services/store/memory_session_store.h"

namespace coachd {

// MemorySessionStore, MemoryTimerLeases, MemoryCoachLinkStore,
// MemoryCoachBoard, MemorySchedulerStore, MemoryPairingStore and
// MemoryQuotaStore. Thread-safe.
// Tests that need one part elsewhere derive from it and override that Make...
// method.
class MemoryBackend : public Backend {
 public:
  explicit MemoryBackend(MemorySessionStoreOptions sessions = {})
      : sessions_(sessions) {}

  std::string Describe() const override { return "embedded"; }
  absl::Status Ping() override { return absl::OkStatus(); }
  std::unique_ptr<SessionStore> MakeSessionStore() override;
  std::unique_ptr<TimerLeases> MakeTimerLeases() override;
  std::unique_ptr<CoachLinkStore> MakeCoachLinks() override;
  std::unique_ptr<CoachBoard> MakeCoachBoard(CoachLinkStore* links,
                                             const Clock* clock) override;
  std::unique_ptr<SchedulerStore> MakeSchedulerStore() override;
  std::unique_ptr<PairingStore> MakePairingStore() override;
  std::unique_ptr<QuotaStore> MakeQuotaStore() override;

 private:
  const MemorySessionStoreOptions sessions_;
};

}  // namespace coachd

#endif  // SERVICES_BACKEND_MEMORY_BACKEND_H_
