// The embedded pairing store: everything in process memory, forgotten when
// coachd stops (devices then pair again). The default without --redis; the
// reference for the pairing store conformance suite.
#ifndef SERVICES_PAIRING_MEMORY_PAIRING_STORE_H_
#define SERVICES_PAIRING_MEMORY_PAIRING_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/pairing/pairing_store.h"

namespace coachd {

// Thread-safe (one lock); never blocks on I/O. Expired entries are dropped
// when met and by a sweep every 256 writes, so memory stays bounded by
// what is live.
class MemoryPairingStore : public PairingStore {
 public:
  MemoryPairingStore() = default;
  MemoryPairingStore(const MemoryPairingStore&) = delete;
  MemoryPairingStore& operator=(const MemoryPairingStore&) = delete;

  absl::Status CreatePairing(const coach::internal::PairingRecord& record,
                             absl::Time now) override;
  absl::StatusOr<coach::internal::PairingRecord> GetPairing(
      absl::string_view user_code, absl::Time now) override;
  absl::Status UpdatePairing(coach::internal::PairingRecord* record,
                             absl::Time now) override;
  absl::Status PutDevice(const coach::internal::DeviceRecord& device) override;
  absl::StatusOr<coach::internal::DeviceRecord> GetDevice(
      absl::string_view subject, absl::string_view device_id) override;
  absl::Status TouchDevice(absl::string_view subject,
                           absl::string_view device_id, absl::Time at) override;
  absl::StatusOr<std::vector<coach::internal::DeviceRecord>> ListDevices(
      absl::string_view subject) override;
  absl::StatusOr<bool> RevokeDevice(absl::string_view subject,
                                    absl::string_view device_id,
                                    absl::Time at) override;
  absl::StatusOr<std::vector<std::string>> RevokedSince(
      absl::Time since) override;
  absl::Status AddRefreshToken(const coach::internal::RefreshRecord& token,
                               absl::Time now) override;
  absl::StatusOr<Rotation> RotateRefreshToken(
      absl::string_view device_id, absl::string_view token_hash,
      const coach::internal::RefreshRecord& next, absl::Time now) override;
  absl::StatusOr<AttemptCount> AddFailure(absl::string_view key,
                                          absl::Duration window,
                                          absl::Time now) override;
  absl::StatusOr<AttemptCount> Failures(absl::string_view key,
                                        absl::Time now) override;
  absl::Status Ping() override { return absl::OkStatus(); }

 private:
  struct Token {
    coach::internal::RefreshRecord record;
    bool used = false;
  };
  // Drops what expired by `now`, every 256th call.
  void MaybeSweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, coach::internal::PairingRecord> pairings_
      ABSL_GUARDED_BY(mu_);
  // subject -> device id -> device.
  absl::flat_hash_map<std::string,
                      std::map<std::string, coach::internal::DeviceRecord>>
      devices_ ABSL_GUARDED_BY(mu_);
  // device id -> token hash -> token.
  absl::flat_hash_map<std::string, std::map<std::string, Token>> tokens_
      ABSL_GUARDED_BY(mu_);
  // device id -> when revoked.
  absl::flat_hash_map<std::string, absl::Time> revoked_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AttemptCount> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_PAIRING_MEMORY_PAIRING_STORE_H_
