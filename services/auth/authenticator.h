// The one place that resolves the caller of an RPC: it reads the
// `authorization: Bearer <JWT>` metadata and verifies the token with the
// server's keys (KeySet: the secret file's, and the keys naming themselves
// in kid), then refuses tokens of revoked devices. Every service calls
// Authenticate first.
//
//   absl::StatusOr<Identity> who = auth.Authenticate(*context);
//   if (!who.ok()) return Finish(ToGrpcStatus(who.status()));
#ifndef SERVICES_AUTH_AUTHENTICATOR_H_
#define SERVICES_AUTH_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/identity.h"
#include "services/auth/key_set.h"
#include "services/auth/revoked_devices.h"
#include "services/common/clock.h"

namespace coachd {

// Verifies callers against a KeySet. Thread-safe; `clock` must outlive it.
// A device makes several calls with one token (start, get, two streams, a
// reconnect), so tokens verified once are remembered, with their expiry,
// until they expire: a repeat costs a lookup instead of an HMAC and a JSON
// parse. Only valid tokens are kept, at most `max_cached` at once.
class Authenticator {
 public:
  // Verifies with KeySet::FromSecret(secret).
  Authenticator(std::string secret, const Clock* clock, int max_cached = 4096)
      : keys_(std::make_shared<const KeySet>(
            KeySet::FromSecret(std::move(secret)))),
        clock_(clock),
        max_cached_(max_cached) {}
  Authenticator(KeySet keys, const Clock* clock, int max_cached = 4096)
      : keys_(std::make_shared<const KeySet>(std::move(keys))),
        clock_(clock),
        max_cached_(max_cached) {}

  // Refuses tokens whose did is in `revoked` from now on; it must outlive
  // this. Call before serving.
  void SetRevokedDevices(const RevokedDevices* revoked) { revoked_ = revoked; }

  // Replaces the keys (rotation): tokens verify against `keys` from now
  // on. Remembered tokens whose key is gone are forgotten.
  void SetKeys(KeySet keys);

  // The keys now in use (to sign device tokens).
  std::shared_ptr<const KeySet> keys() const;

  // The caller of the RPC behind `context`. UNAUTHENTICATED when the
  // metadata is missing, not "Bearer <token>", or the token fails
  // verification (the message says which), expiry included for a
  // remembered token, or names a revoked device.
  absl::StatusOr<Identity> Authenticate(
      const grpc::ServerContextBase& context) const;

 private:
  struct Verified {
    Identity identity;
    absl::Time expires_at;
  };

  mutable absl::Mutex keys_mu_;
  std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(keys_mu_);
  const RevokedDevices* revoked_ = nullptr;
  const Clock* clock_;
  const int max_cached_;
  mutable absl::Mutex mu_;
  // Token -> who it names. Cleared whole when full (simple and bounded).
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(mu_);
};

// Reads the server secret from `path`: the file's bytes less one trailing
// newline. FAILED_PRECONDITION naming `flag` (the flag that gave the path:
// the server's --auth_secret_file, a client's --secret_file) and the path
// when the file cannot be read or is empty.
absl::StatusOr<std::string> LoadSecretFile(
    const std::string& path, absl::string_view flag = "--auth_secret_file");

}  // namespace coachd

#endif  // SERVICES_AUTH_AUTHENTICATOR_H_
