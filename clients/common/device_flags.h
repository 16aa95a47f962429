// The flags of clients that run on a paired device (voice, display, coach):
// --pair pairs the device (shows or says the code, waits for approval) and
// --credentials_file keeps its credentials; without them the client uses
// --token or --secret_file as before (client_flags.h).
//
//   absl::StatusOr<DeviceTokens> tokens = DeviceTokensFromFlags(
//       channel, "kitchen speaker", [](const PairingPrompt& p) { ... });
//   SessionFollower follower(channel, tokens->Provider(), id, kind);
#ifndef CLIENTS_COMMON_DEVICE_FLAGS_H_
#define CLIENTS_COMMON_DEVICE_FLAGS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "clients/common/device_credentials.h"
#include "clients/common/token_provider.h"

ABSL_DECLARE_FLAG(bool, pair);
ABSL_DECLARE_FLAG(std::string, credentials_file);

namespace coachd {

// Where a device client's tokens come from: its paired credentials, or a
// fixed token from the common flags.
class DeviceTokens {
 public:
  explicit DeviceTokens(std::unique_ptr<DeviceCredentials> credentials)
      : credentials_(std::move(credentials)) {}
  explicit DeviceTokens(std::string token) : token_(std::move(token)) {}

  // A provider for one stream (make one per stream).
  TokenProvider Provider() {
    return credentials_ != nullptr ? credentials_->Provider()
                                   : FixedToken(token_);
  }

  // The token to send now (for one-off calls).
  absl::StatusOr<std::string> Current() {
    return credentials_ != nullptr ? credentials_->AccessToken()
                                   : absl::StatusOr<std::string>(token_);
  }

 private:
  std::unique_ptr<DeviceCredentials> credentials_;
  std::string token_;
};

// With --credentials_file: the saved credentials, or (with --pair, or when
// the file is not there yet and --pair is set) new ones from pairing,
// calling `show` with the code. Without it: TokenFromFlags(). Errors name
// the flag.
absl::StatusOr<std::unique_ptr<DeviceTokens>> DeviceTokensFromFlags(
    std::shared_ptr<grpc::Channel> channel, const std::string& suggested_name,
    const std::function<void(const PairingPrompt&)>& show);

}  // namespace coachd

#endif  // CLIENTS_COMMON_DEVICE_FLAGS_H_
