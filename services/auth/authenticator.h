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

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/identity.h"
#include "services/common/clock.h"

namespace coachd {

// Verifies callers against one secret. Thread-safe; `clock` must outlive it.
// A device makes several calls with one token (start, get, two streams, a
// reconnect), so tokens verified once are remembered, with their expiry,
// until they expire: a repeat costs a lookup instead of an HMAC and a JSON
// parse. Only valid tokens are kept, at most `max_cached` at once.
class Authenticator {
 public:
  Authenticator(std::string secret, const Clock* clock, int max_cached = 4096)
      : secret_(std::move(secret)), clock_(clock), max_cached_(max_cached) {}

  // The caller of the RPC behind `context`. UNAUTHENTICATED when the
  // metadata is missing, not "Bearer <token>", or the token fails
  // verification (the message says which), expiry included for a
  // remembered token.
  absl::StatusOr<Identity> Authenticate(
      const grpc::ServerContextBase& context) const;

 private:
  struct Verified {
    Identity identity;
    absl::Time expires_at;
  };

  std::string secret_;
  const Clock* clock_;
  const int max_cached_;
  mutable absl::Mutex mu_;
  // Token -> who it names. Cleared whole when full (simple and bounded).
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(mu_);
};

// Reads the server secret from `path`: the file's bytes less one trailing
// newline. FAILED_PRECONDITION naming the path when the file cannot be read
// or is empty.
absl::StatusOr<std::string> LoadSecretFile(const std::string& path);

}  // namespace coachd

#endif  // SERVICES_AUTH_AUTHENTICATOR_H_
