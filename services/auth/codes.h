// The codes of pairing and of coach links: user codes (short, for people:
// a device's pairing code, a coach's link code), device codes and refresh
// tokens (long random secrets, for machines), and the hashes that stores
// keep instead of the secrets. Pure functions but the random ones.
//
//   std::string code = NewUserCode();            // "KQ74PMX"
//   FormatUserCode(code);                        // "KQ7-4PMX"
//   NormalizeUserCode("kq7 4pmx");               // "KQ74PMX"
#ifndef SERVICES_AUTH_CODES_H_
#define SERVICES_AUTH_CODES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coachd {

// The characters of user codes: no vowels (no words spelled by chance) and
// none that look alike (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V).
inline constexpr absl::string_view kUserCodeAlphabet = "CDFGHJKMNPQRTWXY34679";

// Characters in a user code, dash not counted: 21^7, about 1.8e9 codes.
inline constexpr int kUserCodeLength = 7;

// A random user code, normalized (kUserCodeLength characters, no dash).
std::string NewUserCode();

// "KQ74PMX" -> "KQ7-4PMX": how devices show and say it.
std::string FormatUserCode(absl::string_view normalized);

// What a person typed -> the normalized code: upper-cased, dashes and spaces
// dropped. INVALID_ARGUMENT naming `field` when it is not kUserCodeLength
// characters of kUserCodeAlphabet.
absl::StatusOr<std::string> NormalizeUserCode(absl::string_view typed,
                                              absl::string_view field);

// `bytes` random bytes from OpenSSL, as lower-case hex.
std::string RandomHex(int bytes);

// SHA-256 of `text`, 32 raw bytes.
std::string Sha256(absl::string_view text);

// Whether two strings are equal, in time independent of where they differ.
bool SecretsEqual(absl::string_view a, absl::string_view b);

// A secret that names its owner: "<owner>.<64 hex random>". Device codes
// name their user code, refresh tokens their device, so that a store finds
// them by the owner and compares only hashes of the secret.
std::string NewOwnedSecret(absl::string_view owner);

// Splits an owned secret into its owner; INVALID_ARGUMENT naming `field`
// when it is not "<owner>.<64 hex>".
absl::StatusOr<std::string> OwnerOfSecret(absl::string_view secret,
                                          absl::string_view field);

}  // namespace coachd

#endif  // SERVICES_AUTH_CODES_H_
