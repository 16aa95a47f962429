#include "services/session/timer_leases.h"

#include "absl/strings/str_cat.h"
#include "services/store/memory_store.h"

namespace coachd {

LocalTimerLeases::LocalTimerLeases()
    : holder_id_(absl::StrCat("local-", RandomId(4))) {}

absl::StatusOr<std::vector<std::string>> LocalTimerLeases::Acquire(
    const std::vector<std::string>& session_ids) {
  return session_ids;
}

}  // namespace coachd
