#include "clients/common/device_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "clients/common/client_flags.h"

ABSL_FLAG(bool, pair, false,
          "Pair this device: show or say a code, wait until a person approves "
          "it (coachctl pair approve CODE ...), save the credentials to "
          "--credentials_file.");
ABSL_FLAG(std::string, credentials_file, "",
          "This device's credentials (mode 0600), written by --pair; tokens "
          "are refreshed by themselves. Replaces --token/--secret_file.");

namespace coachd {

absl::StatusOr<std::unique_ptr<DeviceTokens>> DeviceTokensFromFlags(
    std::shared_ptr<grpc::Channel> channel, const std::string& suggested_name,
    const std::function<void(const PairingPrompt&)>& show) {
  const std::string path = absl::GetFlag(FLAGS_credentials_file);
  const bool pair = absl::GetFlag(FLAGS_pair);
  if (path.empty()) {
    if (pair) {
      return absl::InvalidArgumentError(
          "--pair: needs --credentials_file to save the credentials in");
    }
    absl::StatusOr<std::string> token = TokenFromFlags();
    if (!token.ok()) return token.status();
    return std::make_unique<DeviceTokens>(*std::move(token));
  }
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
      pair ? DeviceCredentials::Pair(channel, path, suggested_name, show)
           : DeviceCredentials::Load(channel, path);
  if (!credentials.ok()) return credentials.status();
  return std::make_unique<DeviceTokens>(*std::move(credentials));
}

}  // namespace coachd
