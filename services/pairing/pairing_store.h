// Where pairing keeps its state: pairings in progress (by user code), paired
// devices (by owner), refresh tokens (by device, only the hash of each),
// devices revoked lately, and counters of failed approvals. Two
// implementations share this interface and one conformance suite
// (tests/pairing/pairing_store_conformance_test.cc): MemoryPairingStore
// (embedded, the default) and RedisPairingStore.
//
// Times are passed in (`now`, from the pairing logic's clock): a store
// forgets what has expired by that time, never by a clock of its own.
//
//   PairingRecord record = ...;   // user_code, expires_us, ...
//   store->CreatePairing(record, now);           // ALREADY_EXISTS: new code
//   absl::StatusOr<PairingRecord> p = store->GetPairing(code, now);
//   p->set_state(PairingRecord::APPROVED);
//   store->UpdatePairing(&*p, now);             // ABORTED: someone was first
#ifndef SERVICES_PAIRING_PAIRING_STORE_H_
#define SERVICES_PAIRING_PAIRING_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/internal/pairing_record.pb.h"

namespace coachd {

// Failed attempts counted in a fixed window.
struct AttemptCount {
  int64_t count = 0;  // Failures in the current window.
  // When the window ends and the count starts again from 0; InfinitePast
  // when no window is open (count 0).
  absl::Time window_ends = absl::InfinitePast();
};

// What RotateRefreshToken found.
struct Rotation {
  coach::internal::RefreshRecord used;  // The token presented.
  // True when it had been used before: a replay, and nothing changed.
  bool replayed = false;
};

// The store. Implementations are thread-safe. Methods may block on I/O:
// call them from worker threads, never from a gRPC reaction. Every method
// may fail with UNAVAILABLE when the store cannot be reached.
class PairingStore {
 public:
  virtual ~PairingStore() = default;

  // How long a pairing is kept past its expires_us, so that a late poll
  // learns it expired rather than that it never existed.
  static constexpr absl::Duration kKeepExpired = absl::Minutes(10);

  // Stores a new pairing with version 1 (record->version is ignored), kept
  // until expires_us + kKeepExpired. ALREADY_EXISTS when a pairing with its
  // user code is kept (the caller draws another code).
  virtual absl::Status CreatePairing(
      const coach::internal::PairingRecord& record, absl::Time now) = 0;

  // The pairing of `user_code` (normalized). NOT_FOUND when none is kept.
  virtual absl::StatusOr<coach::internal::PairingRecord> GetPairing(
      absl::string_view user_code, absl::Time now) = 0;

  // Replaces the pairing of record->user_code if its stored version is
  // still record->version, and bumps record->version. ABORTED (nothing
  // changes) when it was updated meanwhile; NOT_FOUND when it is gone. This
  // compare-and-set is what makes codes single use: of two approvals, or
  // two polls handing out credentials, one wins.
  virtual absl::Status UpdatePairing(coach::internal::PairingRecord* record,
                                     absl::Time now) = 0;

  // Stores (or replaces) a paired device of device.subject.
  virtual absl::Status PutDevice(
      const coach::internal::DeviceRecord& device) = 0;

  // A device of `subject`. NOT_FOUND when `subject` has no such device
  // (never paired, revoked, or someone else's).
  virtual absl::StatusOr<coach::internal::DeviceRecord> GetDevice(
      absl::string_view subject, absl::string_view device_id) = 0;

  // Sets the device's last_seen_us. NOT_FOUND as GetDevice.
  virtual absl::Status TouchDevice(absl::string_view subject,
                                   absl::string_view device_id,
                                   absl::Time at) = 0;

  // `subject`'s devices, ordered by paired_us, then device id.
  virtual absl::StatusOr<std::vector<coach::internal::DeviceRecord>>
  ListDevices(absl::string_view subject) = 0;

  // Removes the device of `subject` and every refresh token of it, and
  // records it as revoked at `at` (RevokedSince), all in one step. True
  // when the device existed; false (and nothing recorded) otherwise.
  virtual absl::StatusOr<bool> RevokeDevice(absl::string_view subject,
                                            absl::string_view device_id,
                                            absl::Time at) = 0;

  // How long a revocation is remembered for RevokedSince.
  static constexpr absl::Duration kKeepRevoked = absl::Hours(1);

  // Devices revoked at or after `since`, by anyone, in any process. Entries
  // may be forgotten kKeepRevoked after their revocation.
  virtual absl::StatusOr<std::vector<std::string>> RevokedSince(
      absl::Time since) = 0;

  // Stores a refresh token (unused), kept until its expires_us.
  virtual absl::Status AddRefreshToken(
      const coach::internal::RefreshRecord& token, absl::Time now) = 0;

  // Rotation, in one step: if the token `token_hash` of `device_id` is
  // kept and unused, marks it used, stores `next` (of the same device) and
  // returns the used token's record. When it was used already, returns it
  // with replayed=true and changes nothing (the caller revokes the
  // device). NOT_FOUND when it is unknown, expired or its device was
  // revoked. A used token is kept, marked, until it expires, to recognize
  // replays.
  virtual absl::StatusOr<Rotation> RotateRefreshToken(
      absl::string_view device_id, absl::string_view token_hash,
      const coach::internal::RefreshRecord& next, absl::Time now) = 0;

  // Counts one failure under `key`: in the window open for it, or in a new
  // one of length `window` starting now. Returns the count after this one.
  virtual absl::StatusOr<AttemptCount> AddFailure(absl::string_view key,
                                                  absl::Duration window,
                                                  absl::Time now) = 0;

  // The failures counted under `key` in its open window (count 0 when
  // none is open).
  virtual absl::StatusOr<AttemptCount> Failures(absl::string_view key,
                                                absl::Time now) = 0;

  // OK when the store can serve requests now.
  virtual absl::Status Ping() = 0;
};

}  // namespace coachd

#endif  // SERVICES_PAIRING_PAIRING_STORE_H_
