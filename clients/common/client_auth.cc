#include "clients/common/client_auth.h"

#include "absl/strings/str_cat.h"
#include "services/auth/authenticator.h"
#include "services/auth/jwt.h"

namespace coachd {

absl::StatusOr<std::string> ResolveToken(const TokenSource& source) {
  if (!source.token.empty()) return source.token;
  if (source.secret_file.empty()) {
    return absl::InvalidArgumentError(
        "--token or --secret_file (with --sub) is required");
  }
  if (source.subject.empty()) {
    return absl::InvalidArgumentError("--sub: required to mint a token");
  }
  absl::StatusOr<Role> role = ParseRole(source.role);
  if (!role.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role: ", role.status().message()));
  }
  absl::StatusOr<std::string> secret =
      LoadSecretFile(source.secret_file, "--secret_file");
  if (!secret.ok()) return secret.status();
  const absl::Time now = absl::Now();
  return MintToken(*secret, Identity{source.subject, *role}, now,
                   now + source.ttl);
}

bool RetryableStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNIMPLEMENTED:
      return false;
    default:
      return true;
  }
}

void AddToken(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after a restart.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

}  // namespace coachd
