#include "services/auth/identity.h"

#include "absl/strings/str_cat.h"

namespace coachd {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kUser:
      return "user";
    case Role::kDevice:
      return "device";
    case Role::kCoach:
      return "coach";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "user") return Role::kUser;
  if (name == "device") return Role::kDevice;
  if (name == "coach") return Role::kCoach;
  return absl::InvalidArgumentError(
      absl::StrCat("role must be user, device or coach, got \"", name, "\""));
}

}  // namespace coachd
