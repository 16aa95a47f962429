// JWT parsing and verification: the raw token as sent, and (so that the
// JSON parsers past the signature check are reached) the input split at its
// first NUL into header and payload JSON, encoded and signed with the key.
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/auth/jwt.h"

namespace {

constexpr char kSecret[] = "fuzz-secret";

std::string Sign(absl::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &length);
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(mac), length));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1767596400);
  coachd::VerifyToken(kSecret, input, now).IgnoreError();
  coachd::TokenKeyId(input).IgnoreError();
  const size_t nul = input.find('\0');
  const absl::string_view header = nul == absl::string_view::npos
                                       ? R"({"alg":"HS256","typ":"JWT"})"
                                       : input.substr(0, nul);
  const absl::string_view payload =
      nul == absl::string_view::npos ? input : input.substr(nul + 1);
  const std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(header), ".",
                   absl::WebSafeBase64Escape(payload));
  coachd::VerifyToken(
      kSecret, absl::StrCat(signing_input, ".", Sign(signing_input)), now)
      .IgnoreError();
  return 0;
}
