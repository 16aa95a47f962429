#include "services/auth/jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/identity.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "correct horse battery staple";
constexpr char kHs256Header[] = R"({"alg":"HS256","typ":"JWT"})";

// A fixed "now": 2026-01-05 07:00:00 UTC. No test reads the wall clock.
const absl::Time kNow = absl::FromUnixSeconds(1767596400);

// HMAC-SHA256 computed independently of jwt.cc, so tests can sign tokens
// with any header and payload, including ones MintToken would never write.
std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// A token with the given raw JSON header and payload, signed with `secret`.
std::string SignRaw(absl::string_view secret, absl::string_view header,
                    absl::string_view payload) {
  const std::string input = absl::StrCat(absl::WebSafeBase64Escape(header), ".",
                                         absl::WebSafeBase64Escape(payload));
  return absl::StrCat(input, ".",
                      absl::WebSafeBase64Escape(Hmac(secret, input)));
}

// A JSON object holding `fields` (already JSON, without the braces).
std::string Claims(absl::string_view fields) {
  return absl::StrCat("{", fields, "}");
}

TEST(JwtTest, RoundTripKeepsSubjectAndRole) {
  for (Role role : {Role::kUser, Role::kDevice, Role::kCoach}) {
    SCOPED_TRACE(RoleName(role));
    const std::string token =
        MintToken(kSecret, {"alice", role}, kNow, kNow + absl::Hours(24));
    absl::StatusOr<Identity> who = VerifyToken(kSecret, token, kNow);
    ASSERT_TRUE(who.ok()) << who.status();
    EXPECT_EQ(who->subject, "alice");
    EXPECT_EQ(who->role, role);
  }
}

TEST(JwtTest, MintedTokenIsStandardHs256) {
  const std::string token =
      MintToken(kSecret, {"bob", Role::kCoach}, kNow, kNow + absl::Hours(1));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string header, payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  EXPECT_THAT(header, HasSubstr(R"("alg":"HS256")"));
  EXPECT_THAT(payload, HasSubstr(R"("sub":"bob")"));
  EXPECT_THAT(payload, HasSubstr(R"("role":"coach")"));
  EXPECT_THAT(payload, HasSubstr("\"exp\":1767600000"));
  EXPECT_THAT(payload, HasSubstr("\"iat\":1767596400"));
  // The signature is HMAC-SHA256 over "header.payload" with the secret.
  EXPECT_EQ(parts[2], absl::WebSafeBase64Escape(Hmac(
                          kSecret, absl::StrCat(parts[0], ".", parts[1]))));
}

TEST(JwtTest, OneSecondBeforeExpiryIsValid) {
  const std::string token =
      MintToken(kSecret, {"alice", Role::kUser}, kNow, kNow + absl::Seconds(1));
  EXPECT_TRUE(VerifyToken(kSecret, token, kNow).ok());
}

// Every rejected token: UNAUTHENTICATED, with a message saying which check.
TEST(JwtTest, RejectionsSayWhich) {
  const std::string valid =
      MintToken(kSecret, {"alice", Role::kUser}, kNow, kNow + absl::Hours(1));
  std::vector<std::string> parts = absl::StrSplit(valid, '.');
  ASSERT_EQ(parts.size(), 3u);
  const std::string exp_later =
      absl::StrCat("\"exp\":", absl::ToUnixSeconds(kNow + absl::Hours(1)));

  struct Case {
    const char* name;
    std::string secret;
    std::string token;
    absl::Time now;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty token", kSecret, "", kNow, "three dot-separated parts"},
      {"two parts", kSecret, absl::StrCat(parts[0], ".", parts[1]), kNow,
       "three dot-separated parts"},
      {"four parts", kSecret, absl::StrCat(valid, ".", parts[2]), kNow,
       "three dot-separated parts"},
      {"header not base64url", kSecret,
       absl::StrCat("!!not*base64", ".", parts[1], ".", parts[2]), kNow,
       "header is not base64url"},
      {"header not JSON", kSecret,
       SignRaw(kSecret, "this is not json", Claims(R"("sub":"a")")), kNow,
       "header is not a JSON object"},
      {"alg none", kSecret,
       absl::StrCat(absl::WebSafeBase64Escape(R"({"alg":"none"})"), ".",
                    parts[1], "."),
       kNow, "alg must be HS256"},
      {"alg HS512", kSecret,
       SignRaw(kSecret, R"({"alg":"HS512","typ":"JWT"})",
               Claims(absl::StrCat(R"("sub":"a","role":"user",)", exp_later))),
       kNow, "alg must be HS256"},
      {"no alg", kSecret,
       SignRaw(kSecret, R"({"typ":"JWT"})",
               Claims(absl::StrCat(R"("sub":"a","role":"user",)", exp_later))),
       kNow, "alg must be HS256"},
      {"signature not base64url", kSecret,
       absl::StrCat(parts[0], ".", parts[1], ".", "***"), kNow,
       "signature is not base64url"},
      {"wrong secret", "another secret", valid, kNow, "bad signature"},
      {"empty signature", kSecret, absl::StrCat(parts[0], ".", parts[1], "."),
       kNow, "bad signature"},
      {"tampered payload", kSecret,
       absl::StrCat(parts[0], ".",
                    absl::WebSafeBase64Escape(Claims(absl::StrCat(
                        R"("sub":"alice","role":"coach",)", exp_later))),
                    ".", parts[2]),
       kNow, "bad signature"},
      {"payload not JSON", kSecret, SignRaw(kSecret, kHs256Header, "[1, 2"),
       kNow, "payload is not a JSON object"},
      {"expired: exp == now", kSecret, valid, kNow + absl::Hours(1),
       "expired at 2026-01-05T08:00:00Z"},
      {"expired long ago", kSecret, valid, kNow + absl::Hours(1000),
       "expired at 2026-01-05T08:00:00Z"},
      {"missing exp", kSecret,
       SignRaw(kSecret, kHs256Header, Claims(R"("sub":"a","role":"user")")),
       kNow, "claim exp is missing"},
      {"exp not a number", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(R"("sub":"a","role":"user","exp":"tomorrow")")),
       kNow, "claim exp is missing or not a number"},
      {"exp beyond any real date", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(R"("sub":"a","role":"user","exp":1e300)")),
       kNow, "claim exp is out of range"},
      {"missing sub", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(absl::StrCat(R"("role":"user",)", exp_later))),
       kNow, "claim sub is missing"},
      {"empty sub", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(absl::StrCat(R"("sub":"","role":"user",)", exp_later))),
       kNow, "claim sub is missing or empty"},
      {"missing role", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(absl::StrCat(R"("sub":"a",)", exp_later))),
       kNow, "claim role is missing"},
      {"role admin", kSecret,
       SignRaw(kSecret, kHs256Header,
               Claims(absl::StrCat(R"("sub":"a","role":"admin",)", exp_later))),
       kNow, "claim role must be user, device or coach, got \"admin\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Identity> who = VerifyToken(c.secret, c.token, c.now);
    ASSERT_FALSE(who.ok());
    EXPECT_EQ(who.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(who.status().message()), HasSubstr(c.message));
  }
}

TEST(JwtTest, TokenSignedElsewhereWithSameSecretVerifies) {
  // Interoperability: a token assembled by another HS256 implementation.
  const std::string token = SignRaw(
      kSecret, kHs256Header,
      Claims(absl::StrCat(R"("sub":"carol","role":"device","exp":)",
                          absl::ToUnixSeconds(kNow + absl::Minutes(5)))));
  absl::StatusOr<Identity> who = VerifyToken(kSecret, token, kNow);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->subject, "carol");
  EXPECT_EQ(who->role, Role::kDevice);
}

TEST(IdentityTest, ParseRoleAcceptsTheThreeRoles) {
  for (Role role : {Role::kUser, Role::kDevice, Role::kCoach}) {
    SCOPED_TRACE(RoleName(role));
    absl::StatusOr<Role> parsed = ParseRole(RoleName(role));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_STREQ(RoleName(Role::kUser), "user");
  EXPECT_STREQ(RoleName(Role::kDevice), "device");
  EXPECT_STREQ(RoleName(Role::kCoach), "coach");
}

TEST(IdentityTest, ParseRoleRejectsOthers) {
  for (const char* name : {"admin", "", "User", "coach ", "devices"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<Role> parsed = ParseRole(name);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr(absl::StrCat("got \"", name, "\"")));
  }
}

}  // namespace
}  // namespace coachd
