#include "services/coach/link_aware_policy.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace coachd {

absl::Status LinkAwarePolicy::Check(
    const Identity& who, const coach::internal::SessionRecord& session,
    SessionAccess access) const {
  if (who.role != Role::kCoach) return owners_.Check(who, session, access);
  if (access == SessionAccess::kCommand) {
    return absl::PermissionDeniedError(
        absl::StrCat("session ", session.session_id(),
                     ": coaches do not send commands; speak into it with a "
                     "cue (coach --cue)"));
  }
  absl::StatusOr<bool> linked = links_->IsLinked(session.owner(), who.subject);
  if (!linked.ok()) return linked.status();
  if (!*linked) {
    return absl::PermissionDeniedError(
        absl::StrCat("session ", session.session_id(), ": coach ", who.subject,
                     " is not linked to the person it belongs to"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AccessWatch>> LinkAwarePolicy::WatchRevocation(
    const Identity& who, const coach::internal::SessionRecord& session,
    std::function<void()> on_revoked) const {
  if (who.role != Role::kCoach) return std::unique_ptr<AccessWatch>();
  absl::StatusOr<std::unique_ptr<AccessWatch>> watch =
      links_->WatchUnlink(session.owner(), who.subject, std::move(on_revoked));
  if (absl::IsPermissionDenied(watch.status())) {
    return absl::PermissionDeniedError(
        absl::StrCat("session ", session.session_id(), ": coach ", who.subject,
                     " is not linked to the person it belongs to"));
  }
  return watch;
}

}  // namespace coachd
