#include "clients/common/client_flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "clients/common/client_auth.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "coachd address (host:port).");
ABSL_FLAG(std::string, token, "",
          "Bearer token (JWT). Default: $COACH_TOKEN, else minted from "
          "--secret_file.");
ABSL_FLAG(std::string, secret_file, "",
          "coachd's secret file, to mint a local token for --sub and --role.");
ABSL_FLAG(std::string, sub, "", "Who the minted token is for (person id).");
ABSL_FLAG(std::string, role, "user",
          "Role of the minted token: user, device, coach.");

namespace coachd {

absl::StatusOr<std::string> TokenFromFlags() {
  TokenSource source;
  source.token = absl::GetFlag(FLAGS_token);
  if (source.token.empty()) {
    if (const char* env = std::getenv("COACH_TOKEN")) source.token = env;
  }
  source.secret_file = absl::GetFlag(FLAGS_secret_file);
  source.subject = absl::GetFlag(FLAGS_sub);
  source.role = absl::GetFlag(FLAGS_role);
  return ResolveToken(source);
}

}  // namespace coachd
