// Session access once coaches exist: a session's owner (their user and
// device tokens) as before; a coach linked to the owner may read it (get it,
// subscribe as DEVICE_KIND_COACH) and speak into it only through
// CoachService.SendCue; a coach never sends commands. Unlinking revokes a
// coach's open streams at once (WatchRevocation).
//
//   MemoryCoachLinkStore links;
//   LinkAwarePolicy policy(&links);
//   SessionRunner runner(&catalog, &store, &clock, &timers, &policy, {});
#ifndef SERVICES_COACH_LINK_AWARE_POLICY_H_
#define SERVICES_COACH_LINK_AWARE_POLICY_H_

#include "services/coach/coach_links.h"
#include "services/session/access_policy.h"

namespace coachd {

// Thread-safe. Check may block on the link store.
class LinkAwarePolicy : public AccessPolicy {
 public:
  // `links` must outlive the policy.
  explicit LinkAwarePolicy(CoachLinkStore* links) : links_(links) {}

  // Owners: OwnerOnlyPolicy's answer. Coaches: kRead when linked to the
  // session's owner, else PERMISSION_DENIED; kCommand always
  // PERMISSION_DENIED. The link store's errors (UNAVAILABLE) as they are.
  absl::Status Check(const Identity& who,
                     const coach::internal::SessionRecord& session,
                     SessionAccess access) const override;

  // Coaches: a watch on their link to the session's owner. Everyone else: a
  // null handle (an owner's access is never revoked).
  absl::StatusOr<std::unique_ptr<AccessWatch>> WatchRevocation(
      const Identity& who, const coach::internal::SessionRecord& session,
      std::function<void()> on_revoked) const override;

 private:
  CoachLinkStore* links_;
  OwnerOnlyPolicy owners_;
};

}  // namespace coachd

#endif  // SERVICES_COACH_LINK_AWARE_POLICY_H_
