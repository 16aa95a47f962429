#include "clients/homeassistant/person_credentials.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace coachd {

absl::StatusOr<std::string> PersonCredentialsPath(const std::string& dir,
                                                  const std::string& person) {
  if (person.empty() || person == "." || person == ".." ||
      absl::StrContains(person, '/')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "person \"", person, "\": cannot name a credentials file"));
  }
  return absl::StrCat(dir, "/", person, ".json");
}

absl::StatusOr<std::unique_ptr<DeviceCredentials>> PersonCredentials(
    std::shared_ptr<grpc::Channel> channel, const std::string& dir,
    const std::string& person, bool pair,
    const std::function<void(const std::string& person,
                             const PairingPrompt& prompt)>& show,
    PairOptions pair_options) {
  absl::StatusOr<std::string> path = PersonCredentialsPath(dir, person);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
      DeviceCredentials::Load(channel, *path);
  if (absl::IsNotFound(credentials.status())) {
    if (!pair) {
      return absl::NotFoundError(
          absl::StrCat("no credentials for ", person, " in ", dir,
                       ": pair the bridge for them once (--pair)"));
    }
    credentials = DeviceCredentials::Pair(
        channel, *path, "Home Assistant",
        [&](const PairingPrompt& prompt) { show(person, prompt); },
        pair_options);
  }
  if (!credentials.ok()) return credentials.status();
  // As saved: no call to coachd (it may be down while the bridge starts).
  absl::StatusOr<coach::v1::Credentials> saved = LoadCredentials(*path);
  if (!saved.ok()) return saved.status();
  absl::StatusOr<TokenClaims> claims = ReadClaims(saved->access_token());
  if (!claims.ok()) return claims.status();
  if (claims->subject != person) {
    ::unlink(path->c_str());
    return absl::FailedPreconditionError(absl::StrCat(
        "the bridge's code for ", person, " was approved by ", claims->subject,
        " (", *path, " removed); pair again and have ", person, " approve it"));
  }
  return credentials;
}

}  // namespace coachd
