// The keys that sign and verify tokens. Tokens coachd issues to paired
// devices name their key in the JWT header (kid); several keys verify at
// once, so a new key can sign while tokens signed by the old one stay valid
// until they expire (rotation without logging any device out). The secret
// file's key verifies tokens without a kid: those coachctl mints for admin
// use keep working.
//
//   absl::StatusOr<KeySet> keys = KeySet::FromFile(path, secret);
//   std::string token = keys->Sign({"alice", Role::kDevice, "d-1"}, now, exp);
//   absl::StatusOr<Identity> who = keys->Verify(token, now);
#ifndef SERVICES_AUTH_KEY_SET_H_
#define SERVICES_AUTH_KEY_SET_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/identity.h"

namespace coachd {

// Immutable once made; thread-safe.
class KeySet {
 public:
  // The kid of the secret file's key when it also signs device tokens (no
  // key file given).
  static constexpr absl::string_view kSecretKeyId = "secret";

  // `keys` maps kid -> secret (each non-empty); `signing_key_id` names the
  // one that signs. `legacy_secret` verifies tokens without kid (empty:
  // such tokens are refused). INVALID_ARGUMENT naming what is wrong.
  static absl::StatusOr<KeySet> Make(std::string legacy_secret,
                                     std::map<std::string, std::string> keys,
                                     std::string signing_key_id);

  // Only the secret file's key: it verifies tokens without kid and signs
  // (and verifies) device tokens as kid "secret". `legacy_secret` non-empty.
  static KeySet FromSecret(std::string legacy_secret);

  // Keys from a file of lines "KID SECRET" (blank lines and lines starting
  // with '#' skipped); the first key signs, all verify, plus
  // `legacy_secret` for tokens without kid. FAILED_PRECONDITION naming the
  // file (and line) when it cannot be read or a line is malformed.
  static absl::StatusOr<KeySet> FromFile(const std::string& path,
                                         std::string legacy_secret);

  // A token for `identity`, signed with the signing key and naming it.
  std::string Sign(const Identity& identity, absl::Time issued_at,
                   absl::Time expires_at) const;

  // Verifies `token` at `now` with the key its kid names (the legacy secret
  // when it names none). UNAUTHENTICATED for an unknown kid or anything
  // VerifyToken refuses.
  absl::StatusOr<Identity> Verify(absl::string_view token,
                                  absl::Time now) const;

  const std::string& signing_key_id() const { return signing_key_id_; }

 private:
  KeySet() = default;

  std::string legacy_secret_;
  std::map<std::string, std::string> keys_;
  std::string signing_key_id_;
};

}  // namespace coachd

#endif  // SERVICES_AUTH_KEY_SET_H_
