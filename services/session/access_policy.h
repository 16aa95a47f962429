// Who may reach a session: its owner (their user and device tokens), and
// whatever a policy adds (a linked coach). Checked by the session runner for
// every session RPC.
#ifndef SERVICES_SESSION_ACCESS_POLICY_H_
#define SERVICES_SESSION_ACCESS_POLICY_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coach/internal/session_record.pb.h"
#include "services/auth/identity.h"

namespace coachd {

// What a caller wants to do with a session.
enum class SessionAccess {
  kRead,     // GetSession, Subscribe.
  kCommand,  // SendCommand.
};

// Keeps a revocation callback registered; destroying it unregisters it:
// once the destructor returns, the callback is never called again.
class AccessWatch {
 public:
  virtual ~AccessWatch() = default;
};

// Decides access. Implementations are thread-safe and may block (store).
class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // OK, or PERMISSION_DENIED saying why.
  virtual absl::Status Check(const Identity& who,
                             const coach::internal::SessionRecord& session,
                             SessionAccess access) const = 0;

  // For a stream that `who` keeps open on `session`: while the returned
  // handle lives, `on_revoked` is called (at most once, quickly, from the
  // thread that revokes; it must not block or call back into the policy)
  // when `who` loses read access. PERMISSION_DENIED when the access is gone
  // already. A null handle: this access is never revoked (owners).
  virtual absl::StatusOr<std::unique_ptr<AccessWatch>> WatchRevocation(
      const Identity& who, const coach::internal::SessionRecord& session,
      std::function<void()> on_revoked) const {
    return std::unique_ptr<AccessWatch>();
  }
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
