#include "services/auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace coachd {
namespace {

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &out_len);
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("invalid token: ", why));
}

// Decodes one base64url part of the token into a JSON object.
absl::StatusOr<google::protobuf::Struct> DecodeJsonPart(
    absl::string_view part, absl::string_view what) {
  std::string json;
  if (!absl::WebSafeBase64Unescape(part, &json)) {
    return Unauthenticated(
        absl::StrCat("malformed: ", what, " is not base64url"));
  }
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(json, &object).ok()) {
    return Unauthenticated(
        absl::StrCat("malformed: ", what, " is not a JSON object"));
  }
  return object;
}

const google::protobuf::Value* Field(const google::protobuf::Struct& s,
                                     const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

}  // namespace

std::string MintToken(absl::string_view secret, const Identity& identity,
                      absl::Time issued_at, absl::Time expires_at,
                      absl::string_view key_id) {
  google::protobuf::Struct claims;
  auto& fields = *claims.mutable_fields();
  fields["sub"].set_string_value(identity.subject);
  fields["role"].set_string_value(RoleName(identity.role));
  if (!identity.device_id.empty()) {
    fields["did"].set_string_value(identity.device_id);
  }
  fields["iat"].set_number_value(
      static_cast<double>(absl::ToUnixSeconds(issued_at)));
  fields["exp"].set_number_value(
      static_cast<double>(absl::ToUnixSeconds(expires_at)));
  std::string payload;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(claims, &payload, options);
  google::protobuf::Struct header;
  auto& header_fields = *header.mutable_fields();
  header_fields["alg"].set_string_value("HS256");
  header_fields["typ"].set_string_value("JWT");
  if (!key_id.empty()) {
    header_fields["kid"].set_string_value(std::string(key_id));
  }
  std::string header_json;
  (void)google::protobuf::util::MessageToJsonString(header, &header_json,
                                                    options);
  std::string signing_input =
      absl::StrCat(absl::WebSafeBase64Escape(header_json), ".",
                   absl::WebSafeBase64Escape(payload));
  return absl::StrCat(
      signing_input, ".",
      absl::WebSafeBase64Escape(HmacSha256(secret, signing_input)));
}

absl::StatusOr<std::string> TokenKeyId(absl::string_view token) {
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) {
    return Unauthenticated("malformed: a JWT has three dot-separated parts");
  }
  absl::StatusOr<google::protobuf::Struct> header =
      DecodeJsonPart(token.substr(0, dot), "header");
  if (!header.ok()) return header.status();
  const google::protobuf::Value* kid = Field(*header, "kid");
  if (kid == nullptr) return std::string();
  if (kid->kind_case() != google::protobuf::Value::kStringValue) {
    return Unauthenticated("malformed: header kid is not a string");
  }
  return kid->string_value();
}

absl::StatusOr<Identity> VerifyToken(absl::string_view secret,
                                     absl::string_view token, absl::Time now) {
  absl::Time unused;
  return VerifyToken(secret, token, now, &unused);
}

absl::StatusOr<Identity> VerifyToken(absl::string_view secret,
                                     absl::string_view token, absl::Time now,
                                     absl::Time* expires_at_out) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Unauthenticated("malformed: a JWT has three dot-separated parts");
  }
  absl::StatusOr<google::protobuf::Struct> header =
      DecodeJsonPart(parts[0], "header");
  if (!header.ok()) return header.status();
  const google::protobuf::Value* alg = Field(*header, "alg");
  if (alg == nullptr || alg->string_value() != "HS256") {
    return Unauthenticated("malformed: header alg must be HS256");
  }
  std::string signature;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Unauthenticated("malformed: signature is not base64url");
  }
  const std::string expected = HmacSha256(
      secret,
      absl::string_view(token.data(), parts[0].size() + 1 + parts[1].size()));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Unauthenticated(
        "bad signature (not signed with this server's secret)");
  }
  absl::StatusOr<google::protobuf::Struct> claims =
      DecodeJsonPart(parts[1], "payload");
  if (!claims.ok()) return claims.status();

  const google::protobuf::Value* exp = Field(*claims, "exp");
  if (exp == nullptr ||
      exp->kind_case() != google::protobuf::Value::kNumberValue) {
    return Unauthenticated("claim exp is missing or not a number");
  }
  // Beyond year 9999 (or not finite) is no real expiry: refuse it rather
  // than convert an out-of-range double.
  constexpr double kMaxExp = 253402300799.0;
  if (!std::isfinite(exp->number_value()) || exp->number_value() < 0 ||
      exp->number_value() > kMaxExp) {
    return Unauthenticated("claim exp is out of range");
  }
  const absl::Time expires_at = absl::FromUnixSeconds(
      static_cast<int64_t>(std::floor(exp->number_value())));
  if (now >= expires_at) {
    return Unauthenticated(absl::StrCat(
        "expired at ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", expires_at,
                                        absl::UTCTimeZone())));
  }
  const google::protobuf::Value* sub = Field(*claims, "sub");
  if (sub == nullptr || sub->string_value().empty()) {
    return Unauthenticated("claim sub is missing or empty");
  }
  const google::protobuf::Value* role = Field(*claims, "role");
  if (role == nullptr) return Unauthenticated("claim role is missing");
  absl::StatusOr<Role> parsed = ParseRole(role->string_value());
  if (!parsed.ok()) {
    return Unauthenticated(absl::StrCat("claim ", parsed.status().message()));
  }
  Identity identity{sub->string_value(), *parsed};
  if (const google::protobuf::Value* did = Field(*claims, "did")) {
    if (did->kind_case() != google::protobuf::Value::kStringValue ||
        did->string_value().empty()) {
      return Unauthenticated("claim did is not a device id");
    }
    identity.device_id = did->string_value();
  }
  identity.expires_at = expires_at;
  *expires_at_out = expires_at;
  return identity;
}

}  // namespace coachd
