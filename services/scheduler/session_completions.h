// Completed sessions count by themselves: a SessionRunner commit observer
// that, when a session ends (SessionDone) with at least the threshold share
// of its prescribed reps done, records one completion for the session's
// owner, keyed by the session id (so a replay or a second replica cannot
// count it twice). The store write runs on an executor: observers must not
// block.
//
//   observers.push_back(MakeCompletionObserver(&scheduler, &executor));  // for
//   SessionComponent
#ifndef SERVICES_SCHEDULER_SESSION_COMPLETIONS_H_
#define SERVICES_SCHEDULER_SESSION_COMPLETIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/common/executor.h"
#include "services/scheduler/scheduler.h"
#include "services/session/session_runner.h"
#include "services/store/stored_event.h"

namespace coachd {

// A completion a commit implies.
struct SessionCompletion {
  std::string person;  // The session's owner.
  std::string key;     // "session:<id>".
  absl::Time at;       // The SessionDone event's server time.
};

// The completion `events` (committed for `record`) imply, if one of them is
// a SessionDone whose summary has percent_done >= `threshold_percent`.
std::optional<SessionCompletion> CompletionOf(
    const coach::internal::SessionRecord& record,
    const std::vector<StoredEvent>& events, int threshold_percent);

// An observer recording those completions through `scheduler` on
// `executor` (with the scheduler's threshold). Both must outlive the runner
// it is added to, and the executor must drain before the scheduler goes.
CommitObserver MakeCompletionObserver(Scheduler* scheduler, Executor* executor);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SESSION_COMPLETIONS_H_
