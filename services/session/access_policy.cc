#include "services/session/access_policy.h"

#include "absl/strings/str_cat.h"

namespace coachd {

absl::Status OwnerOnlyPolicy::Check(
    const Identity& who, const coach::internal::SessionRecord& session,
    SessionAccess access) const {
  if (who.role == Role::kCoach) {
    return absl::PermissionDeniedError(absl::StrCat(
        "session ", session.session_id(),
        ": coaches reach only sessions of clients linked to them"));
  }
  if (who.subject != session.owner()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "session ", session.session_id(), " belongs to another person"));
  }
  return absl::OkStatus();
}

}  // namespace coachd
