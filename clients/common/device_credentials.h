// A paired device's side of pairing, for every client that runs on a device
// (voice, display, the coach console, the web gateway, the Home Assistant
// bridge): pair once (show or say the user code, poll until the person
// approves), keep the credentials in a file only the device's user can read
// (mode 0600), and always have a valid access token: refreshed shortly
// before it expires, and at once when the server answers UNAUTHENTICATED.
//
//   auto channel = MakeChannel("127.0.0.1:50051");
//   absl::StatusOr<std::unique_ptr<DeviceCredentials>> creds =
//       DeviceCredentials::Load(channel, "speaker.json");      // paired before
//   if (absl::IsNotFound(creds.status())) {
//     creds = DeviceCredentials::Pair(channel, "speaker.json", "kitchen",
//         [](const PairingPrompt& p) {
//           std::cout << "Approve code " << p.user_code << "\n"; });
//   }
//   SessionFollower follower(channel, (*creds)->Provider(), id, kind);
//
// Streams take a TokenProvider (token_provider.h): SessionFollower and
// ReminderWatcher refresh through it after UNAUTHENTICATED and resume from
// where they were, so a token's expiry costs no event.
#ifndef CLIENTS_COMMON_DEVICE_CREDENTIALS_H_
#define CLIENTS_COMMON_DEVICE_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/common/token_provider.h"
#include "coach/v1/auth.grpc.pb.h"

namespace coachd {

// What a device shows or says while it waits for approval.
struct PairingPrompt {
  std::string user_code;      // "KQ7-4PMX".
  absl::Duration expires_in;  // How long the person has to approve it.
};

// Options of DeviceCredentials::Pair.
struct PairOptions {
  // At most this long for a whole pairing (the server's expiry also ends
  // it); a bound for tests.
  absl::Duration max_wait = absl::Minutes(15);
};

// Options of DeviceCredentials.
struct CredentialsOptions {
  // Refresh when the access token has less than this left.
  absl::Duration refresh_before = absl::Minutes(1);
};

// Thread-safe: several streams of one device share it.
class DeviceCredentials {
 public:
  // Pairs: StartPairing, `show(prompt)` once, then polls at the server's
  // interval (slowing down when told) until approved, denied or expired.
  // Saves the credentials to `path` (mode 0600) before returning them.
  // PERMISSION_DENIED when the person denied it, DEADLINE_EXCEEDED when
  // the code expired unapproved; RPC and file errors as they are.
  static absl::StatusOr<std::unique_ptr<DeviceCredentials>> Pair(
      std::shared_ptr<grpc::Channel> channel, std::string path,
      const std::string& suggested_name,
      const std::function<void(const PairingPrompt&)>& show,
      PairOptions pair_options = {}, CredentialsOptions options = {});

  // Credentials saved by an earlier Pair. NOT_FOUND when `path` does not
  // exist (pair first); INVALID_ARGUMENT when it does not parse.
  static absl::StatusOr<std::unique_ptr<DeviceCredentials>> Load(
      std::shared_ptr<grpc::Channel> channel, std::string path,
      CredentialsOptions options = {});

  DeviceCredentials(const DeviceCredentials&) = delete;
  DeviceCredentials& operator=(const DeviceCredentials&) = delete;

  // A valid access token: the saved one, or a fresh one when it has less
  // than refresh_before left (RefreshToken, saved to the file).
  // UNAUTHENTICATED when the refresh token was refused (revoked: pair
  // again); UNAVAILABLE while coachd cannot be reached.
  absl::StatusOr<std::string> AccessToken();

  // Refreshes now (after the server answered UNAUTHENTICATED), unless the
  // token was refreshed since `seen` was handed out; returns the token.
  absl::StatusOr<std::string> Refresh(const std::string& seen);

  // A provider for one stream: provider(false) = AccessToken(),
  // provider(true) = Refresh(the token it last handed out). Make one per
  // stream (it is not thread-safe itself); this object must outlive it.
  TokenProvider Provider();

  std::string device_id() const;

 private:
  DeviceCredentials(std::shared_ptr<grpc::Channel> channel, std::string path,
                    coach::v1::Credentials credentials,
                    CredentialsOptions options);
  absl::Status RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::unique_ptr<coach::v1::AuthService::Stub> stub_;
  const std::string path_;
  const CredentialsOptions options_;
  mutable absl::Mutex mu_;
  coach::v1::Credentials credentials_ ABSL_GUARDED_BY(mu_);
};

// Writes `credentials` to `path` as JSON, readable by the owner only (mode
// 0600, written to a temporary file and renamed into place).
absl::Status SaveCredentials(const std::string& path,
                             const coach::v1::Credentials& credentials);

// Reads what SaveCredentials wrote. NOT_FOUND when `path` does not exist.
absl::StatusOr<coach::v1::Credentials> LoadCredentials(const std::string& path);

// What a JWT says of itself: its sub, role and exp claims.
struct TokenClaims {
  std::string subject;  // "sub": the person (or coach).
  std::string role;     // "role": "user", "device" or "coach".
  absl::Time expires;   // "exp".
};

// The claims of `jwt`, read without checking its signature: for naming
// things on the device only, never for deciding access (coachd verifies
// every token). INVALID_ARGUMENT naming "token" when it is not three
// dot-separated parts whose middle is base64url JSON with a non-empty
// string "sub", a string "role" and a number "exp".
absl::StatusOr<TokenClaims> ReadClaims(absl::string_view jwt);

// "KQ7-4PMX" -> "K, Q, 7. 4, P, M, X.": a code as a speaker says it.
std::string SpokenUserCode(const std::string& user_code);

}  // namespace coachd

#endif  // CLIENTS_COMMON_DEVICE_CREDENTIALS_H_
