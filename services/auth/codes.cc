#include "services/auth/codes.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

std::string RandomBytes(int n) {
  std::string raw(n, '\0');
  // Without randomness no secret is safe: stop rather than issue weak ones.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), n) != 1) {
    std::abort();
  }
  return raw;
}

constexpr int kSecretHexLength = 64;

}  // namespace

std::string NewUserCode() {
  std::string code;
  const size_t n = kUserCodeAlphabet.size();
  // Rejection sampling: bytes >= the largest multiple of n are redrawn, so
  // every character is equally likely.
  const unsigned limit = 256 - 256 % n;
  while (static_cast<int>(code.size()) < kUserCodeLength) {
    for (unsigned char byte : RandomBytes(16)) {
      if (byte >= limit) continue;
      code.push_back(kUserCodeAlphabet[byte % n]);
      if (static_cast<int>(code.size()) == kUserCodeLength) break;
    }
  }
  return code;
}

std::string FormatUserCode(absl::string_view normalized) {
  if (normalized.size() <= 3) return std::string(normalized);
  return absl::StrCat(normalized.substr(0, 3), "-", normalized.substr(3));
}

absl::StatusOr<std::string> NormalizeUserCode(absl::string_view typed,
                                              absl::string_view field) {
  std::string code;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    const char upper = absl::ascii_toupper(static_cast<unsigned char>(c));
    if (kUserCodeAlphabet.find(upper) == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": '", std::string(1, c), "' is not in user codes (they use ",
          kUserCodeAlphabet, ")"));
    }
    code.push_back(upper);
  }
  if (static_cast<int>(code.size()) != kUserCodeLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": a user code has ", kUserCodeLength,
                     " characters (like KQ7-4PMX), got ", code.size()));
  }
  return code;
}

std::string RandomHex(int bytes) {
  return absl::BytesToHexString(RandomBytes(bytes));
}

std::string Sha256(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool SecretsEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string NewOwnedSecret(absl::string_view owner) {
  return absl::StrCat(owner, ".", RandomHex(kSecretHexLength / 2));
}

absl::StatusOr<std::string> OwnerOfSecret(absl::string_view secret,
                                          absl::string_view field) {
  const size_t dot = secret.rfind('.');
  bool ok = dot != absl::string_view::npos && dot > 0 &&
            secret.size() - dot - 1 == kSecretHexLength;
  if (ok) {
    for (char c : secret.substr(dot + 1)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) ok = false;
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": malformed (not one coachd issued)"));
  }
  return std::string(secret.substr(0, dot));
}

}  // namespace coachd
