// Who may reach a session: its owner (their user and device tokens), and
// whatever a policy adds (a linked coach). Checked by the session runner for
// every session RPC.
#ifndef SERVICES_SESSION_ACCESS_POLICY_H_
#define SERVICES_SESSION_ACCESS_POLICY_H_

#include "absl/status/status.h"
#include "coach/internal/session_record.pb.h"
#include "services/auth/identity.h"

namespace coachd {

// What a caller wants to do with a session.
enum class SessionAccess {
  kRead,     // GetSession, Subscribe.
  kCommand,  // SendCommand.
};

// Decides access. Implementations are thread-safe and may block (store).
class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // OK, or PERMISSION_DENIED saying why.
  virtual absl::Status Check(const Identity& who,
                             const coach::internal::SessionRecord& session,
                             SessionAccess access) const = 0;
};

// Only the owner's user and device tokens.
class OwnerOnlyPolicy : public AccessPolicy {
 public:
  absl::Status Check(const Identity& who,
                     const coach::internal::SessionRecord& session,
                     SessionAccess access) const override;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_ACCESS_POLICY_H_
