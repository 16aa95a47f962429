// Paired devices revoked lately, so that their access tokens are refused
// before they expire. Revocation reaches a replica in memory: the pairing
// logic adds what it revokes here, and on Redis a poller adds what other
// replicas revoked (StreamLifetimes). An entry is kept for `retention`,
// longer than any access token lives, then forgotten: by then every token
// of the device has expired anyway.
#ifndef SERVICES_AUTH_REVOKED_DEVICES_H_
#define SERVICES_AUTH_REVOKED_DEVICES_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace coachd {

// Thread-safe; never blocks on I/O (the authenticator asks it inside
// reactions).
class RevokedDevices {
 public:
  // `retention` must exceed the longest access token lifetime.
  explicit RevokedDevices(absl::Duration retention = absl::Hours(1))
      : retention_(retention) {}
  RevokedDevices(const RevokedDevices&) = delete;
  RevokedDevices& operator=(const RevokedDevices&) = delete;

  // Records `device_id` as revoked at `at`. True when it was not known.
  bool Add(const std::string& device_id, absl::Time at);

  // Whether `device_id` is revoked (and not yet forgotten).
  bool Contains(absl::string_view device_id) const;

  // Forgets devices revoked before `now - retention`.
  void Prune(absl::Time now);

  absl::Duration retention() const { return retention_; }

 private:
  const absl::Duration retention_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> revoked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_AUTH_REVOKED_DEVICES_H_
