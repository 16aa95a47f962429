// The bridge acts for each person of the household as a paired device of
// theirs: one DeviceCredentials per person, kept in DIR/PERSON.json (mode
// 0600), paired once (the person approves the code the bridge prints) and
// refreshed by themselves. The bridge never holds coachd's secret.
//
//   absl::StatusOr<std::unique_ptr<DeviceCredentials>> alice =
//       PersonCredentials(channel, "/var/lib/coachd-ha", "alice",
//                         /*pair=*/true, [](const std::string& person,
//                                           const PairingPrompt& p) { ... });
//   options.tokens_for = [&](const std::string&) { return (*alice)->Provider();
//   };
#ifndef CLIENTS_HOMEASSISTANT_PERSON_CREDENTIALS_H_
#define CLIENTS_HOMEASSISTANT_PERSON_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "clients/common/device_credentials.h"

namespace coachd {

// Where `person`'s credentials are kept in `dir`. INVALID_ARGUMENT naming
// the person when the id cannot name a file (empty, ".", "..", or with a
// '/').
absl::StatusOr<std::string> PersonCredentialsPath(const std::string& dir,
                                                  const std::string& person);

// `person`'s credentials from `dir`: loaded when saved before; else, with
// `pair`, paired now (show(person, prompt) once with the code, then waiting
// for the approval) and saved. Credentials whose token names someone else
// (the code was approved by another person) are refused with
// FAILED_PRECONDITION naming both, and a file of them is removed. NOT_FOUND
// (saying to pair) when there are none and `pair` is false; pairing errors
// as DeviceCredentials::Pair gives them.
absl::StatusOr<std::unique_ptr<DeviceCredentials>> PersonCredentials(
    std::shared_ptr<grpc::Channel> channel, const std::string& dir,
    const std::string& person, bool pair,
    const std::function<void(const std::string& person,
                             const PairingPrompt& prompt)>& show,
    PairOptions pair_options = {});

}  // namespace coachd

#endif  // CLIENTS_HOMEASSISTANT_PERSON_CREDENTIALS_H_
