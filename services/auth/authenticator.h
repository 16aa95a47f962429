// The one place that resolves the caller of an RPC: it reads the
// `authorization: Bearer <JWT>` metadata and verifies the token with the
// server's secret. Every service calls Authenticate first.
//
//   absl::StatusOr<Identity> who = auth.Authenticate(*context);
//   if (!who.ok()) return Finish(ToGrpcStatus(who.status()));
#ifndef SERVICES_AUTH_AUTHENTICATOR_H_
#define SERVICES_AUTH_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "services/auth/identity.h"
#include "services/common/clock.h"

namespace coachd {

// Verifies callers against one secret. Thread-safe; `clock` must outlive it.
class Authenticator {
 public:
  Authenticator(std::string secret, const Clock* clock)
      : secret_(std::move(secret)), clock_(clock) {}

  // The caller of the RPC behind `context`. UNAUTHENTICATED when the
  // metadata is missing, not "Bearer <token>", or the token fails
  // verification (the message says which).
  absl::StatusOr<Identity> Authenticate(
      const grpc::ServerContextBase& context) const;

 private:
  std::string secret_;
  const Clock* clock_;
};

// Reads the server secret from `path`: the file's bytes less one trailing
// newline. FAILED_PRECONDITION naming the path when the file cannot be read
// or is empty.
absl::StatusOr<std::string> LoadSecretFile(const std::string& path);

}  // namespace coachd

#endif  // SERVICES_AUTH_AUTHENTICATOR_H_
