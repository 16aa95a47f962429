// Who is calling: the person (or coach) a token was minted for, and in what
// role. Resolved once per RPC by the Authenticator.
#ifndef SERVICES_AUTH_IDENTITY_H_
#define SERVICES_AUTH_IDENTITY_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// The role claim of a token.
enum class Role {
  kUser,    // A person, on their own behalf.
  kDevice,  // A person's speaker or display; acts for the person (sub).
  kCoach,   // A coach; reaches only clients linked to them.
};

// "user", "device" or "coach".
const char* RoleName(Role role);

// Parses a role claim; INVALID_ARGUMENT for anything else.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// The verified caller of an RPC.
struct Identity {
  Identity() = default;
  Identity(std::string subject, Role role, std::string device_id = "")
      : subject(std::move(subject)),
        role(role),
        device_id(std::move(device_id)) {}

  std::string subject;  // The token's sub: a person's or a coach's id.
  Role role = Role::kUser;
  // The paired device the token was issued to (claim did); empty for
  // tokens minted with the server secret (coachctl token).
  std::string device_id;
  // When the token expires (claim exp); streams end then.
  absl::Time expires_at = absl::InfiniteFuture();
};

}  // namespace coachd

#endif  // SERVICES_AUTH_IDENTITY_H_
