#include "services/scheduler/session_completions.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {

std::optional<SessionCompletion> CompletionOf(
    const coach::internal::SessionRecord& record,
    const std::vector<StoredEvent>& events, int threshold_percent) {
  for (const StoredEvent& stored : events) {
    const coach::v1::SessionEvent& event = *stored;
    if (!event.has_session_done()) continue;
    if (event.session_done().summary().percent_done() < threshold_percent) {
      return std::nullopt;
    }
    SessionCompletion completion;
    completion.person = record.owner();
    completion.key = absl::StrCat("session:", record.session_id());
    completion.at = absl::FromUnixSeconds(event.server_time().seconds()) +
                    absl::Nanoseconds(event.server_time().nanos());
    return completion;
  }
  return std::nullopt;
}

CommitObserver MakeCompletionObserver(Scheduler* scheduler,
                                      Executor* executor) {
  return [scheduler, executor](const coach::internal::SessionRecord& record,
                               const std::vector<StoredEvent>& events) {
    std::optional<SessionCompletion> completion = CompletionOf(
        record, events, scheduler->options().completion_threshold_percent);
    if (!completion.has_value() || completion->person.empty()) return;
    executor->Schedule([scheduler, c = *std::move(completion)] {
      absl::StatusOr<bool> added =
          scheduler->RecordCompletion(c.person, c.key, c.at);
      if (!added.ok()) {
        LogWarning(absl::StrCat("recording ", c.key, " for ", c.person, ": ",
                                added.status().message()));
      }
    });
  };
}

}  // namespace coachd
