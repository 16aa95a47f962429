#include "services/pairing/pairing.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/auth/codes.h"

namespace coachd {
namespace {

using coach::internal::DeviceRecord;
using coach::internal::PairingRecord;
using coach::internal::RefreshRecord;
using coach::v1::PollPairingResponse;

constexpr int kMaxNameBytes = 64;
// Compare-and-set retries before giving up (only replicas racing on one
// pairing need more than one).
constexpr int kMaxRetries = 4;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(static_cast<int32_t>(
      (absl::ToUnixNanos(t) - absl::ToUnixSeconds(t) * 1000000000)));
}

int32_t Seconds(absl::Duration d) {
  return static_cast<int32_t>(absl::ToInt64Seconds(d));
}

coach::v1::Device ToDevice(const DeviceRecord& record) {
  coach::v1::Device device;
  device.set_device_id(record.device_id());
  device.set_name(record.name());
  device.set_kind(static_cast<coach::v1::PairedKind>(record.kind()));
  SetTime(absl::FromUnixMicros(record.paired_us()), device.mutable_paired_at());
  if (record.last_seen_us() != 0) {
    SetTime(absl::FromUnixMicros(record.last_seen_us()),
            device.mutable_last_seen());
  }
  return device;
}

absl::Status NoPendingPairing() {
  return absl::NotFoundError(
      "user_code: no pairing waits for this code (mistyped, used, denied or "
      "expired)");
}

// A refresh token names its owner and device: "<base64url(sub)>:<device>".
std::string RefreshOwner(absl::string_view subject,
                         absl::string_view device_id) {
  return absl::StrCat(absl::WebSafeBase64Escape(subject), ":", device_id);
}

bool ParseRefreshOwner(absl::string_view owner, std::string* subject,
                       std::string* device_id) {
  const size_t colon = owner.find(':');
  if (colon == absl::string_view::npos || colon + 1 == owner.size()) {
    return false;
  }
  *device_id = std::string(owner.substr(colon + 1));
  return absl::WebSafeBase64Unescape(owner.substr(0, colon), subject) &&
         !subject->empty();
}

std::string Wait(absl::Time until, absl::Time now) {
  return absl::FormatDuration(absl::Ceil(until - now, absl::Seconds(1)));
}

}  // namespace

std::string PeerAddress(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  const size_t first = peer.find(':');
  if (colon == absl::string_view::npos || colon == first) {
    return std::string(peer);
  }
  return std::string(peer.substr(0, colon));
}

Pairing::Pairing(PairingStore* store, const Authenticator* auth,
                 const Clock* clock, PairingOptions options,
                 std::function<void(const std::string&)> on_revoked)
    : store_(store),
      auth_(auth),
      clock_(clock),
      options_(options),
      on_revoked_(std::move(on_revoked)) {}

absl::StatusOr<coach::v1::StartPairingResponse> Pairing::Start(
    const coach::v1::StartPairingRequest& request) {
  if (request.suggested_name().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("suggested_name: at most ", kMaxNameBytes, " bytes, got ",
                     request.suggested_name().size()));
  }
  const absl::Time now = clock_->Now();
  for (int attempt = 0; attempt < 8; ++attempt) {
    PairingRecord record;
    record.set_user_code(NewUserCode());
    const std::string device_code = NewOwnedSecret(record.user_code());
    record.set_device_code_hash(Sha256(device_code));
    record.set_suggested_name(request.suggested_name());
    record.set_created_us(absl::ToUnixMicros(now));
    record.set_expires_us(absl::ToUnixMicros(now + options_.code_lifetime));
    record.set_interval_us(absl::ToInt64Microseconds(options_.poll_interval));
    record.set_state(PairingRecord::PENDING);
    absl::Status created = store_->CreatePairing(record, now);
    if (absl::IsAlreadyExists(created)) continue;  // Draw another code.
    if (!created.ok()) return created;
    coach::v1::StartPairingResponse response;
    response.set_device_code(device_code);
    response.set_user_code(FormatUserCode(record.user_code()));
    response.set_expires_in_seconds(Seconds(options_.code_lifetime));
    response.set_interval_seconds(Seconds(options_.poll_interval));
    return response;
  }
  return absl::UnavailableError("no free user code found; try again");
}

absl::StatusOr<coach::v1::PollPairingResponse> Pairing::Poll(
    const coach::v1::PollPairingRequest& request) {
  absl::StatusOr<std::string> user_code =
      OwnerOfSecret(request.device_code(), "device_code");
  if (!user_code.ok()) return user_code.status();
  const std::string hash = Sha256(request.device_code());
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    const absl::Time now = clock_->Now();
    absl::StatusOr<PairingRecord> record = store_->GetPairing(*user_code, now);
    if (absl::IsNotFound(record.status()) ||
        (record.ok() && !SecretsEqual(record->device_code_hash(), hash))) {
      return absl::NotFoundError(
          "device_code: unknown (never issued, or expired long ago)");
    }
    if (!record.ok()) return record.status();
    PollPairingResponse response;
    response.set_interval_seconds(
        Seconds(absl::Microseconds(record->interval_us())));
    if (record->state() == PairingRecord::ISSUED) {
      response.set_state(PollPairingResponse::EXPIRED);
      return response;
    }
    if (record->state() == PairingRecord::DENIED) {
      response.set_state(PollPairingResponse::DENIED);
      return response;
    }
    if (now >= absl::FromUnixMicros(record->expires_us())) {
      response.set_state(PollPairingResponse::EXPIRED);
      return response;
    }
    const bool too_fast = record->last_poll_us() != 0 &&
                          now - absl::FromUnixMicros(record->last_poll_us()) <
                              absl::Microseconds(record->interval_us());
    record->set_last_poll_us(absl::ToUnixMicros(now));
    if (too_fast) {
      record->set_interval_us(
          record->interval_us() +
          absl::ToInt64Microseconds(options_.slow_down_step));
      response.set_state(PollPairingResponse::SLOW_DOWN);
      response.set_interval_seconds(
          Seconds(absl::Microseconds(record->interval_us())));
    } else if (record->state() == PairingRecord::APPROVED) {
      record->set_state(PairingRecord::ISSUED);
      response.set_state(PollPairingResponse::APPROVED);
    } else {
      response.set_state(PollPairingResponse::PENDING);
    }
    absl::Status updated = store_->UpdatePairing(&*record, now);
    if (absl::IsAborted(updated)) continue;  // Raced: read again.
    if (!updated.ok()) return updated;
    if (response.state() != PollPairingResponse::APPROVED) return response;
    // This poll won the pairing: it alone hands out credentials.
    absl::StatusOr<DeviceRecord> device =
        store_->GetDevice(record->subject(), record->device_id());
    if (absl::IsNotFound(device.status())) {
      // Revoked between approval and this poll.
      response.set_state(PollPairingResponse::DENIED);
      return response;
    }
    if (!device.ok()) return device.status();
    RefreshRecord refresh;
    std::string refresh_token;
    absl::StatusOr<coach::v1::Credentials> credentials =
        Issue(*device, now, &refresh, &refresh_token);
    if (!credentials.ok()) return credentials.status();
    absl::Status stored = store_->AddRefreshToken(refresh, now);
    if (!stored.ok()) return stored;
    absl::Status touched =
        store_->TouchDevice(device->subject(), device->device_id(), now);
    if (!touched.ok() && !absl::IsNotFound(touched)) return touched;
    *response.mutable_credentials() = *std::move(credentials);
    return response;
  }
  return absl::AbortedError("device_code: polled concurrently; poll again");
}

absl::Status Pairing::CheckManager(const Identity& who, const char* what) {
  if (who.role == Role::kDevice) {
    return absl::PermissionDeniedError(absl::StrCat(
        "a device token cannot ", what,
        ": use the person's own sign-in (coachctl, the web page)"));
  }
  return absl::OkStatus();
}

absl::Status Pairing::CheckFailureLimits(const Identity& who,
                                         const std::string& address,
                                         absl::Time now) {
  struct Limit {
    std::string key;
    int max;
    std::string what;
  };
  const Limit limits[] = {
      {absl::StrCat("person:", who.subject), options_.max_failures_per_person,
       absl::StrCat("person ", who.subject)},
      {absl::StrCat("address:", address), options_.max_failures_per_address,
       absl::StrCat("address ", address)},
  };
  for (const Limit& limit : limits) {
    absl::StatusOr<AttemptCount> count = store_->Failures(limit.key, now);
    if (!count.ok()) return count.status();
    if (count->count >= limit.max) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many wrong user codes from ", limit.what, " (", count->count,
          " in ", absl::FormatDuration(options_.failure_window),
          "); try again in ", Wait(count->window_ends, now), ", at ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", count->window_ends,
                           absl::UTCTimeZone())));
    }
  }
  return absl::OkStatus();
}

absl::Status Pairing::Failed(const Identity& who, const std::string& address,
                             absl::Time now, absl::Status error) {
  for (const std::string& key : {absl::StrCat("person:", who.subject),
                                 absl::StrCat("address:", address)}) {
    absl::StatusOr<AttemptCount> counted =
        store_->AddFailure(key, options_.failure_window, now);
    if (!counted.ok()) return counted.status();
  }
  return error;
}

absl::StatusOr<PairingRecord> Pairing::PendingFor(const Identity& who,
                                                  const std::string& address,
                                                  const std::string& typed,
                                                  absl::Time now) {
  absl::Status limited = CheckFailureLimits(who, address, now);
  if (!limited.ok()) return limited;
  absl::StatusOr<std::string> code = NormalizeUserCode(typed, "user_code");
  if (!code.ok()) return Failed(who, address, now, code.status());
  absl::StatusOr<PairingRecord> record = store_->GetPairing(*code, now);
  if (absl::IsNotFound(record.status()) ||
      (record.ok() && (record->state() != PairingRecord::PENDING ||
                       now >= absl::FromUnixMicros(record->expires_us())))) {
    return Failed(who, address, now, NoPendingPairing());
  }
  return record;
}

absl::StatusOr<coach::v1::ApprovePairingResponse> Pairing::Approve(
    const Identity& who, const std::string& address,
    const coach::v1::ApprovePairingRequest& request) {
  absl::Status allowed = CheckManager(who, "approve pairings");
  if (!allowed.ok()) return allowed;
  if (request.name().empty() || request.name().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "name: 1 to ", kMaxNameBytes, " bytes (\"kitchen speaker\"), got ",
        request.name().size()));
  }
  if (request.kind() == coach::v1::PAIRED_KIND_UNSPECIFIED ||
      !coach::v1::PairedKind_IsValid(request.kind())) {
    return absl::InvalidArgumentError(
        "kind: required (speaker, display, web, home_assistant or "
        "coach_console)");
  }
  const bool console = request.kind() == coach::v1::PAIRED_KIND_COACH_CONSOLE;
  if (console != (who.role == Role::kCoach)) {
    return absl::InvalidArgumentError(
        console ? "kind: a coach console is approved by the coach"
                : "kind: a coach approves only PAIRED_KIND_COACH_CONSOLE");
  }
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    const absl::Time now = clock_->Now();
    absl::StatusOr<PairingRecord> record =
        PendingFor(who, address, request.user_code(), now);
    if (!record.ok()) return record.status();
    record->set_state(PairingRecord::APPROVED);
    record->set_subject(who.subject);
    record->set_role(RoleName(who.role));
    record->set_device_name(request.name());
    record->set_kind(request.kind());
    record->set_device_id(absl::StrCat("dev-", RandomHex(8)));
    absl::Status updated = store_->UpdatePairing(&*record, now);
    if (absl::IsAborted(updated)) continue;  // A poll or decision raced.
    if (!updated.ok()) return updated;
    DeviceRecord device;
    device.set_device_id(record->device_id());
    device.set_subject(who.subject);
    device.set_role(who.role == Role::kCoach ? RoleName(Role::kCoach)
                                             : RoleName(Role::kDevice));
    device.set_name(request.name());
    device.set_kind(request.kind());
    device.set_paired_us(absl::ToUnixMicros(now));
    absl::Status put = store_->PutDevice(device);
    if (!put.ok()) return put;
    coach::v1::ApprovePairingResponse response;
    *response.mutable_device() = ToDevice(device);
    return response;
  }
  return absl::AbortedError("user_code: changed concurrently; try again");
}

absl::StatusOr<coach::v1::DenyPairingResponse> Pairing::Deny(
    const Identity& who, const std::string& address,
    const coach::v1::DenyPairingRequest& request) {
  absl::Status allowed = CheckManager(who, "deny pairings");
  if (!allowed.ok()) return allowed;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    const absl::Time now = clock_->Now();
    absl::StatusOr<PairingRecord> record =
        PendingFor(who, address, request.user_code(), now);
    if (!record.ok()) return record.status();
    record->set_state(PairingRecord::DENIED);
    record->set_subject(who.subject);
    absl::Status updated = store_->UpdatePairing(&*record, now);
    if (absl::IsAborted(updated)) continue;
    if (!updated.ok()) return updated;
    return coach::v1::DenyPairingResponse();
  }
  return absl::AbortedError("user_code: changed concurrently; try again");
}

absl::StatusOr<coach::v1::Credentials> Pairing::Issue(
    const DeviceRecord& device, absl::Time now, RefreshRecord* refresh,
    std::string* refresh_token) {
  absl::StatusOr<Role> role = ParseRole(device.role());
  if (!role.ok()) return absl::InternalError("stored device has a bad role");
  Identity identity{device.subject(), *role, device.device_id()};
  const absl::Time access_expires = now + options_.access_lifetime;
  const absl::Time refresh_expires = now + options_.refresh_lifetime;
  *refresh_token =
      NewOwnedSecret(RefreshOwner(device.subject(), device.device_id()));
  refresh->set_token_hash(Sha256(*refresh_token));
  refresh->set_device_id(device.device_id());
  refresh->set_subject(device.subject());
  refresh->set_issued_us(absl::ToUnixMicros(now));
  refresh->set_expires_us(absl::ToUnixMicros(refresh_expires));
  coach::v1::Credentials credentials;
  credentials.set_access_token(
      auth_->keys()->Sign(identity, now, access_expires));
  SetTime(access_expires, credentials.mutable_access_expires_at());
  credentials.set_refresh_token(*refresh_token);
  SetTime(refresh_expires, credentials.mutable_refresh_expires_at());
  credentials.set_device_id(device.device_id());
  return credentials;
}

absl::StatusOr<coach::v1::Credentials> Pairing::Refresh(
    const coach::v1::RefreshTokenRequest& request) {
  absl::StatusOr<std::string> owner =
      OwnerOfSecret(request.refresh_token(), "refresh_token");
  if (!owner.ok()) return owner.status();
  std::string subject;
  std::string device_id;
  if (!ParseRefreshOwner(*owner, &subject, &device_id)) {
    return absl::InvalidArgumentError(
        "refresh_token: malformed (not one coachd issued)");
  }
  const absl::Time now = clock_->Now();
  absl::StatusOr<DeviceRecord> device = store_->GetDevice(subject, device_id);
  if (absl::IsNotFound(device.status())) {
    return absl::UnauthenticatedError(
        "refresh_token: its device was revoked; pair the device again");
  }
  if (!device.ok()) return device.status();
  RefreshRecord next;
  std::string next_token;
  absl::StatusOr<coach::v1::Credentials> credentials =
      Issue(*device, now, &next, &next_token);
  if (!credentials.ok()) return credentials.status();
  absl::StatusOr<Rotation> rotation = store_->RotateRefreshToken(
      device_id, Sha256(request.refresh_token()), next, now);
  if (absl::IsNotFound(rotation.status())) {
    return absl::UnauthenticatedError(
        "refresh_token: unknown, expired or revoked; pair the device again");
  }
  if (!rotation.ok()) return rotation.status();
  if (rotation->replayed) {
    absl::StatusOr<bool> revoked =
        store_->RevokeDevice(subject, device_id, now);
    if (!revoked.ok()) return revoked.status();
    if (on_revoked_) on_revoked_(device_id);
    return absl::UnauthenticatedError(
        "refresh_token: used before, so a copy of it exists; the device is "
        "revoked: pair it again");
  }
  absl::Status touched = store_->TouchDevice(subject, device_id, now);
  if (!touched.ok() && !absl::IsNotFound(touched)) return touched;
  return credentials;
}

absl::StatusOr<coach::v1::ListDevicesResponse> Pairing::ListDevices(
    const Identity& who) {
  absl::Status allowed = CheckManager(who, "list devices");
  if (!allowed.ok()) return allowed;
  absl::StatusOr<std::vector<DeviceRecord>> devices =
      store_->ListDevices(who.subject);
  if (!devices.ok()) return devices.status();
  coach::v1::ListDevicesResponse response;
  for (const DeviceRecord& device : *devices) {
    *response.add_devices() = ToDevice(device);
  }
  return response;
}

absl::StatusOr<coach::v1::RevokeDeviceResponse> Pairing::RevokeDevice(
    const Identity& who, const coach::v1::RevokeDeviceRequest& request) {
  // A device may end itself (signing out); only its person ends others.
  const bool itself = who.role == Role::kDevice && !who.device_id.empty() &&
                      who.device_id == request.device_id();
  if (!itself) {
    absl::Status allowed = CheckManager(who, "revoke other devices");
    if (!allowed.ok()) return allowed;
  }
  if (request.device_id().empty()) {
    return absl::InvalidArgumentError("device_id: required (see ListDevices)");
  }
  absl::StatusOr<bool> revoked =
      store_->RevokeDevice(who.subject, request.device_id(), clock_->Now());
  if (!revoked.ok()) return revoked.status();
  if (!*revoked) {
    return absl::NotFoundError(absl::StrCat("device_id: ", request.device_id(),
                                            " is not one of your devices"));
  }
  if (on_revoked_) on_revoked_(request.device_id());
  return coach::v1::RevokeDeviceResponse();
}

}  // namespace coachd
