#include "services/session/timer_leases.h"

#include "absl/strings/str_cat.h"
#include "services/store/memory_session_store.h"

namespace coachd {

MemoryTimerLeases::MemoryTimerLeases()
    : holder_id_(absl::StrCat("local-", RandomId(4))) {}

absl::StatusOr<std::vector<std::string>> MemoryTimerLeases::Acquire(
    const std::vector<std::string>& session_ids) {
  return session_ids;
}

}  // namespace coachd
