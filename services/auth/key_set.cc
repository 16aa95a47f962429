#include "services/auth/key_set.h"

#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/auth/jwt.h"

namespace coachd {

absl::StatusOr<KeySet> KeySet::Make(std::string legacy_secret,
                                    std::map<std::string, std::string> keys,
                                    std::string signing_key_id) {
  if (keys.find(signing_key_id) == keys.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signing key id \"", signing_key_id, "\": not among the keys"));
  }
  for (const auto& [kid, secret] : keys) {
    if (kid.empty() || secret.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key \"", kid, "\": the id and secret must be set"));
    }
  }
  KeySet set;
  set.legacy_secret_ = std::move(legacy_secret);
  set.keys_ = std::move(keys);
  set.signing_key_id_ = std::move(signing_key_id);
  return set;
}

KeySet KeySet::FromSecret(std::string legacy_secret) {
  KeySet set;
  set.keys_.emplace(std::string(kSecretKeyId), legacy_secret);
  set.legacy_secret_ = std::move(legacy_secret);
  set.signing_key_id_ = std::string(kSecretKeyId);
  return set;
}

absl::StatusOr<KeySet> KeySet::FromFile(const std::string& path,
                                        std::string legacy_secret) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("--signing_keys_file ", path, ": cannot be read"));
  }
  std::map<std::string, std::string> keys;
  std::string first;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> parts =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2) {
      return absl::FailedPreconditionError(
          absl::StrCat("--signing_keys_file ", path, ":", number,
                       ": expected \"KID SECRET\""));
    }
    if (!keys.emplace(parts[0], parts[1]).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("--signing_keys_file ", path, ":", number, ": key id \"",
                       parts[0], "\" given twice"));
    }
    if (first.empty()) first = parts[0];
  }
  if (keys.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--signing_keys_file ", path, ": holds no key"));
  }
  return Make(std::move(legacy_secret), std::move(keys), first);
}

std::string KeySet::Sign(const Identity& identity, absl::Time issued_at,
                         absl::Time expires_at) const {
  return MintToken(keys_.at(signing_key_id_), identity, issued_at, expires_at,
                   signing_key_id_);
}

absl::StatusOr<Identity> KeySet::Verify(absl::string_view token,
                                        absl::Time now) const {
  absl::StatusOr<std::string> kid = TokenKeyId(token);
  if (!kid.ok()) return kid.status();
  if (kid->empty()) {
    if (legacy_secret_.empty()) {
      return absl::UnauthenticatedError("invalid token: it names no key (kid)");
    }
    return VerifyToken(legacy_secret_, token, now);
  }
  auto key = keys_.find(*kid);
  if (key == keys_.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "invalid token: unknown key id \"", *kid, "\" (retired or forged)"));
  }
  return VerifyToken(key->second, token, now);
}

}  // namespace coachd
