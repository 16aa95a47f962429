#include "services/pairing/memory_pairing_store.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

using coach::internal::DeviceRecord;
using coach::internal::PairingRecord;
using coach::internal::RefreshRecord;

bool PairingKept(const PairingRecord& record, absl::Time now) {
  return now <
         absl::FromUnixMicros(record.expires_us()) + PairingStore::kKeepExpired;
}

bool TokenKept(const RefreshRecord& record, absl::Time now) {
  return now < absl::FromUnixMicros(record.expires_us());
}

}  // namespace

void MemoryPairingStore::MaybeSweepLocked(absl::Time now) {
  if (++writes_ % 256 != 0) return;
  for (auto it = pairings_.begin(); it != pairings_.end();) {
    if (PairingKept(it->second, now)) {
      ++it;
    } else {
      pairings_.erase(it++);
    }
  }
  for (auto& [device, tokens] : tokens_) {
    for (auto it = tokens.begin(); it != tokens.end();) {
      it = TokenKept(it->second.record, now) ? std::next(it) : tokens.erase(it);
    }
  }
  for (auto it = revoked_.begin(); it != revoked_.end();) {
    if (it->second + kKeepRevoked < now) {
      revoked_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = failures_.begin(); it != failures_.end();) {
    if (it->second.window_ends <= now) {
      failures_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status MemoryPairingStore::CreatePairing(const PairingRecord& record,
                                               absl::Time now) {
  absl::MutexLock lock(&mu_);
  MaybeSweepLocked(now);
  auto it = pairings_.find(record.user_code());
  if (it != pairings_.end() && PairingKept(it->second, now)) {
    return absl::AlreadyExistsError(
        absl::StrCat("user code ", record.user_code(), " is in use"));
  }
  PairingRecord stored = record;
  stored.set_version(1);
  pairings_[record.user_code()] = std::move(stored);
  return absl::OkStatus();
}

absl::StatusOr<PairingRecord> MemoryPairingStore::GetPairing(
    absl::string_view user_code, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = pairings_.find(user_code);
  if (it == pairings_.end() || !PairingKept(it->second, now)) {
    return absl::NotFoundError(
        absl::StrCat("no pairing with user code ", user_code));
  }
  return it->second;
}

absl::Status MemoryPairingStore::UpdatePairing(PairingRecord* record,
                                               absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = pairings_.find(record->user_code());
  if (it == pairings_.end() || !PairingKept(it->second, now)) {
    return absl::NotFoundError(
        absl::StrCat("no pairing with user code ", record->user_code()));
  }
  if (it->second.version() != record->version()) {
    return absl::AbortedError(absl::StrCat(
        "pairing ", record->user_code(), " changed meanwhile (version ",
        it->second.version(), ", expected ", record->version(), ")"));
  }
  record->set_version(record->version() + 1);
  it->second = *record;
  return absl::OkStatus();
}

absl::Status MemoryPairingStore::PutDevice(const DeviceRecord& device) {
  absl::MutexLock lock(&mu_);
  devices_[device.subject()][device.device_id()] = device;
  return absl::OkStatus();
}

absl::StatusOr<DeviceRecord> MemoryPairingStore::GetDevice(
    absl::string_view subject, absl::string_view device_id) {
  absl::MutexLock lock(&mu_);
  auto owner = devices_.find(subject);
  if (owner != devices_.end()) {
    auto it = owner->second.find(std::string(device_id));
    if (it != owner->second.end()) return it->second;
  }
  return absl::NotFoundError(
      absl::StrCat("device ", device_id, ": no such device of ", subject));
}

absl::Status MemoryPairingStore::TouchDevice(absl::string_view subject,
                                             absl::string_view device_id,
                                             absl::Time at) {
  absl::MutexLock lock(&mu_);
  auto owner = devices_.find(subject);
  if (owner != devices_.end()) {
    auto it = owner->second.find(std::string(device_id));
    if (it != owner->second.end()) {
      it->second.set_last_seen_us(absl::ToUnixMicros(at));
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(
      absl::StrCat("device ", device_id, ": no such device of ", subject));
}

absl::StatusOr<std::vector<DeviceRecord>> MemoryPairingStore::ListDevices(
    absl::string_view subject) {
  std::vector<DeviceRecord> list;
  {
    absl::MutexLock lock(&mu_);
    auto owner = devices_.find(subject);
    if (owner == devices_.end()) return list;
    for (const auto& [id, device] : owner->second) list.push_back(device);
  }
  std::stable_sort(list.begin(), list.end(),
                   [](const DeviceRecord& a, const DeviceRecord& b) {
                     return a.paired_us() < b.paired_us();
                   });
  return list;
}

absl::StatusOr<bool> MemoryPairingStore::RevokeDevice(
    absl::string_view subject, absl::string_view device_id, absl::Time at) {
  absl::MutexLock lock(&mu_);
  auto owner = devices_.find(subject);
  if (owner == devices_.end() ||
      owner->second.erase(std::string(device_id)) == 0) {
    return false;
  }
  if (owner->second.empty()) devices_.erase(owner);
  tokens_.erase(device_id);
  revoked_[device_id] = at;
  return true;
}

absl::StatusOr<std::vector<std::string>> MemoryPairingStore::RevokedSince(
    absl::Time since) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, at] : revoked_) {
    if (at >= since) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status MemoryPairingStore::AddRefreshToken(const RefreshRecord& token,
                                                 absl::Time now) {
  absl::MutexLock lock(&mu_);
  MaybeSweepLocked(now);
  tokens_[token.device_id()][token.token_hash()] = Token{token, false};
  return absl::OkStatus();
}

absl::StatusOr<Rotation> MemoryPairingStore::RotateRefreshToken(
    absl::string_view device_id, absl::string_view token_hash,
    const RefreshRecord& next, absl::Time now) {
  absl::MutexLock lock(&mu_);
  MaybeSweepLocked(now);
  auto device = tokens_.find(device_id);
  if (device == tokens_.end()) {
    return absl::NotFoundError("refresh token: unknown or expired");
  }
  auto it = device->second.find(std::string(token_hash));
  if (it == device->second.end() || !TokenKept(it->second.record, now)) {
    return absl::NotFoundError("refresh token: unknown or expired");
  }
  if (it->second.used) return Rotation{it->second.record, true};
  it->second.used = true;
  Rotation rotation{it->second.record, false};
  device->second[next.token_hash()] = Token{next, false};
  return rotation;
}

absl::StatusOr<AttemptCount> MemoryPairingStore::AddFailure(
    absl::string_view key, absl::Duration window, absl::Time now) {
  absl::MutexLock lock(&mu_);
  MaybeSweepLocked(now);
  AttemptCount& count = failures_[key];
  if (count.window_ends <= now) count = AttemptCount{0, now + window};
  ++count.count;
  return count;
}

absl::StatusOr<AttemptCount> MemoryPairingStore::Failures(absl::string_view key,
                                                          absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(key);
  if (it == failures_.end() || it->second.window_ends <= now) {
    return AttemptCount{};
  }
  return it->second;
}

}  // namespace coachd
