// HS256 JSON Web Tokens carrying an Identity: minted by coachctl, verified by
// coachd. HMAC-SHA256 comes from OpenSSL and JSON parsing from protobuf; this
// file only assembles them.
//
//   std::string token = MintToken(secret, {"alice", Role::kDevice},
//                                 absl::Now() + absl::Hours(24));
//   absl::StatusOr<Identity> who = VerifyToken(secret, token, absl::Now());
#ifndef SERVICES_AUTH_JWT_H_
#define SERVICES_AUTH_JWT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/identity.h"

namespace coachd {

// Returns a compact JWT, signed HS256 with `secret`, with claims sub, role,
// iat (`issued_at`) and exp (`expires_at`), in whole seconds, and did when
// identity.device_id is set. A non-empty `key_id` goes into the header as
// kid, naming the key that signed it (KeySet).
std::string MintToken(absl::string_view secret, const Identity& identity,
                      absl::Time issued_at, absl::Time expires_at,
                      absl::string_view key_id = "");

// The kid of `token`'s header; empty when it has none. UNAUTHENTICATED when
// the header is malformed. Checks no signature.
absl::StatusOr<std::string> TokenKeyId(absl::string_view token);

// Verifies `token` against `secret` at time `now`. Every failure is
// UNAUTHENTICATED with a message saying which check failed: malformed (not
// three base64url parts, bad JSON, alg not HS256), bad signature, expired,
// or a missing/invalid claim (sub, role, exp). The identity's device_id
// and expires_at come from the claims did and exp.
absl::StatusOr<Identity> VerifyToken(absl::string_view secret,
                                     absl::string_view token, absl::Time now);

// VerifyToken that also sets `*expires_at` (the exp claim) on success.
absl::StatusOr<Identity> VerifyToken(absl::string_view secret,
                                     absl::string_view token, absl::Time now,
                                     absl::Time* expires_at);

}  // namespace coachd

#endif  // SERVICES_AUTH_JWT_H_
