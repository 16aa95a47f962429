// Flags every coachd client shares: where coachd is and who is calling.
#ifndef CLIENTS_COMMON_CLIENT_FLAGS_H_
#define CLIENTS_COMMON_CLIENT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, target);
ABSL_DECLARE_FLAG(std::string, token);
ABSL_DECLARE_FLAG(std::string, secret_file);
ABSL_DECLARE_FLAG(std::string, sub);
ABSL_DECLARE_FLAG(std::string, role);

namespace coachd {

// The token from --token, or minted from --secret_file for --sub/--role.
absl::StatusOr<std::string> TokenFromFlags();

}  // namespace coachd

#endif  // CLIENTS_COMMON_CLIENT_FLAGS_H_
