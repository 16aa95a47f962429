// The pairing store in Redis, shared by every coachd replica: a device
// paired through one replica refreshes through any other, and a revocation
// made on one reaches all (RevokedSince, polled by each replica's
// StreamLifetimes). Each write is one Lua script: one round trip, atomic.
//
// Keys (PREFIX defaults to "coachd"):
//   PREFIX:{pairing:CODE}            hash r=PairingRecord v=version
//                                    e=kept-until (us); expires with it
//   PREFIX:{person:S}:devices        hash device id -> DeviceRecord
//   PREFIX:{device:D}:refresh:HASH   hash r=RefreshRecord u=used(0|1)
//                                    e=expires (us); HASH is the hex SHA-256
//                                    of the token: the token itself is never
//                                    stored, sent to Redis or logged
//   PREFIX:{device:D}:tokens         set of the device's HASHes
//   PREFIX:revoked                   sorted set device id by revocation time
//   PREFIX:{fail:KEY}                hash n=failures e=window end (us)
// Expiry times are stored and compared with the caller's `now` (the
// injected clock); Redis expires the keys too (PEXPIRE from the same
// times), so nothing outlives its use.
//
// Redis Cluster: RevokeDevice touches the person's, the device's and the
// global revoked key in one script, which needs one Redis (or one slot);
// every other call stays within one hash tag.
#ifndef SERVICES_PAIRING_REDIS_PAIRING_STORE_H_
#define SERVICES_PAIRING_REDIS_PAIRING_STORE_H_

#include <string>
#include <vector>

#include "services/pairing/pairing_store.h"
#include "services/redis/redis_client.h"

namespace coachd {

// Options of RedisPairingStore.
struct RedisPairingStoreOptions {
  std::string key_prefix = "coachd";  // Keys start with "PREFIX:".
};

// Thread-safe; every call is one round trip on the shared client (two when
// Redis lost its script cache) and fails fast with UNAVAILABLE while Redis
// is down.
class RedisPairingStore : public PairingStore {
 public:
  // `client` must outlive the store.
  RedisPairingStore(RedisClient* client, RedisPairingStoreOptions options);
  RedisPairingStore(const RedisPairingStore&) = delete;
  RedisPairingStore& operator=(const RedisPairingStore&) = delete;

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
  absl::Status Ping() override;

 private:
  std::string PairingKey(absl::string_view user_code) const;
  std::string DevicesKey(absl::string_view subject) const;
  std::string TokenPrefix(absl::string_view device_id) const;
  std::string TokensKey(absl::string_view device_id) const;
  std::string RevokedKey() const;
  std::string FailKey(absl::string_view key) const;
  RedisClient* const client_;
  const RedisPairingStoreOptions options_;
};

}  // namespace coachd

#endif  // SERVICES_PAIRING_REDIS_PAIRING_STORE_H_
