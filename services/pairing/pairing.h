// Pairing as plain logic: the device authorization grant (RFC 8628) over a
// PairingStore and an injected Clock, with nothing of gRPC. AuthService
// (auth_service.h) adapts it to the API.
//
//   Pairing pairing(&store, &auth, &clock, {}, on_revoked);
//   StartPairingResponse start = *pairing.Start({});            // device
//   pairing.Approve(alice, "ipv4:10.0.0.2", {code, name, kind});  // person
//   PollPairingResponse poll = *pairing.Poll({start.device_code()});
//   Credentials next = *pairing.Refresh({poll.credentials().refresh_token()});
//
// States of a pairing: PENDING -> APPROVED -> ISSUED (credentials handed
// out once), or PENDING -> DENIED; past expires_in, EXPIRED. Every change
// is a compare-and-set in the store, so a code is approved or spent once
// even when replicas race.
#ifndef SERVICES_PAIRING_PAIRING_H_
#define SERVICES_PAIRING_PAIRING_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coach/v1/auth.pb.h"
#include "services/auth/authenticator.h"
#include "services/auth/identity.h"
#include "services/common/clock.h"
#include "services/pairing/pairing_store.h"

namespace coachd {

// Lifetimes and limits of pairing.
struct PairingOptions {
  absl::Duration code_lifetime = absl::Minutes(10);  // Device and user code.
  absl::Duration poll_interval = absl::Seconds(5);   // RFC 8628's default.
  absl::Duration slow_down_step = absl::Seconds(5);  // Added per SLOW_DOWN.
  absl::Duration access_lifetime = absl::Minutes(15);
  absl::Duration refresh_lifetime = absl::Hours(24 * 30);
  // Wrong user codes (approvals and denials) allowed per window, per
  // person and per address; past them RESOURCE_EXHAUSTED until the window
  // ends. With 1.8e9 codes and ~a few pending, guessing one takes about
  // 1e8 tries: at 10 per 15 minutes, thousands of years.
  int max_failures_per_person = 10;
  int max_failures_per_address = 30;
  absl::Duration failure_window = absl::Minutes(15);
};

// Thread-safe (state is in the store). Store, authenticator and clock must
// outlive it. Methods block on the store: call them from workers.
class Pairing {
 public:
  // `auth` provides the signing keys (its KeySet, so rotation applies to
  // new tokens at once). `on_revoked(device_id)` is called after a device
  // was revoked here (by its owner, or by a replayed refresh token), to end
  // its streams in this process at once; may be empty.
  Pairing(PairingStore* store, const Authenticator* auth, const Clock* clock,
          PairingOptions options,
          std::function<void(const std::string&)> on_revoked);

  // A new pairing: device code, user code, expiry, interval. UNAVAILABLE
  // when no free user code was found (store errors pass through).
  absl::StatusOr<coach::v1::StartPairingResponse> Start(
      const coach::v1::StartPairingRequest& request);

  // The device's poll. See PollPairingResponse for the states.
  // INVALID_ARGUMENT for a malformed device code, NOT_FOUND for one that is
  // unknown (or forgotten long after it expired).
  absl::StatusOr<coach::v1::PollPairingResponse> Poll(
      const coach::v1::PollPairingRequest& request);

  // `who` (a person, or a coach for a coach console) approves the user
  // code, from `address` (the peer, for rate limits). PERMISSION_DENIED for
  // device tokens; INVALID_ARGUMENT for a bad name or kind or a malformed
  // code; NOT_FOUND for a code with no pending pairing; RESOURCE_EXHAUSTED
  // past the failure limits (message: which limit, when to retry).
  absl::StatusOr<coach::v1::ApprovePairingResponse> Approve(
      const Identity& who, const std::string& address,
      const coach::v1::ApprovePairingRequest& request);

  // As Approve, but the pairing is refused.
  absl::StatusOr<coach::v1::DenyPairingResponse> Deny(
      const Identity& who, const std::string& address,
      const coach::v1::DenyPairingRequest& request);

  // Rotation: new credentials for a refresh token, which is spent.
  // INVALID_ARGUMENT for a malformed token; UNAUTHENTICATED for an unknown,
  // expired or revoked one, and for a replay (which revokes the device).
  absl::StatusOr<coach::v1::Credentials> Refresh(
      const coach::v1::RefreshTokenRequest& request);

  // `who`'s devices. PERMISSION_DENIED for device tokens.
  absl::StatusOr<coach::v1::ListDevicesResponse> ListDevices(
      const Identity& who);

  // Revokes one of `who`'s devices. NOT_FOUND when `who` has no such
  // device; PERMISSION_DENIED for device tokens but the device's own (a
  // device may revoke itself: a browser's sign-out).
  absl::StatusOr<coach::v1::RevokeDeviceResponse> RevokeDevice(
      const Identity& who, const coach::v1::RevokeDeviceRequest& request);

 private:
  // Fails unless `who` may manage devices (a person or a coach).
  static absl::Status CheckManager(const Identity& who, const char* what);
  // RESOURCE_EXHAUSTED when `who` or `address` used up its failures.
  absl::Status CheckFailureLimits(const Identity& who,
                                  const std::string& address, absl::Time now);
  // Counts a wrong code against both limits; returns `error`.
  absl::Status Failed(const Identity& who, const std::string& address,
                      absl::Time now, absl::Status error);
  // Loads the pending pairing `typed` names for a decision.
  absl::StatusOr<coach::internal::PairingRecord> PendingFor(
      const Identity& who, const std::string& address, const std::string& typed,
      absl::Time now);
  // Access token and a new refresh token for `device`.
  absl::StatusOr<coach::v1::Credentials> Issue(
      const coach::internal::DeviceRecord& device, absl::Time now,
      coach::internal::RefreshRecord* refresh, std::string* refresh_token);

  PairingStore* const store_;
  const Authenticator* const auth_;
  const Clock* const clock_;
  const PairingOptions options_;
  const std::function<void(const std::string&)> on_revoked_;
};

// "ipv4:10.0.0.2:5311" -> "ipv4:10.0.0.2": the peer without its port, for
// per-address limits.
std::string PeerAddress(absl::string_view peer);

}  // namespace coachd

#endif  // SERVICES_PAIRING_PAIRING_H_
