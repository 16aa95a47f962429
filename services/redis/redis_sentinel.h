// Finding the primary of a Sentinel-watched Redis: the Sentinels of a
// sentinel:// address are asked in turn (SENTINEL get-master-addr-by-name)
// and the server named is checked with ROLE before it is used, so a
// Sentinel that has not yet seen a failover cannot send writes to a
// replica. Every new connection asks again: after a failover the broken or
// READONLY connections are dropped (RedisConnection) and their replacements
// go to the new primary.
//
//   absl::StatusOr<RedisAddress> a =
//       ParseRedisUrl("sentinel://127.0.0.1:26379,127.0.0.1:26380/coachd");
//   absl::StatusOr<HostPort> primary = ResolvePrimary(
//       *a, absl::Milliseconds(200), absl::Seconds(1));  // "10.0.0.7:6379"
#ifndef SERVICES_REDIS_REDIS_SENTINEL_H_
#define SERVICES_REDIS_REDIS_SENTINEL_H_

#include <hiredis/hiredis.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/redis/redis_url.h"

namespace coachd {

// A connection to the primary and where it is.
struct PrimaryContext {
  redisContext* context = nullptr;  // Owned by the caller (redisFree).
  HostPort primary;
};

// Asks the Sentinels of `address` (address.via_sentinel() must hold) in
// order for the primary of address.master_name, connects to the first one
// named that answers ROLE "master", and returns that connection (opened as
// OpenRedisContext does, with `connect_timeout` and `command_timeout` for
// each Sentinel and the primary). NOT_FOUND "no master named M" when every
// Sentinel that answered knows no such master (a configuration error);
// otherwise UNAVAILABLE naming what each Sentinel (or the server it named)
// said. Thread-safe; logs when the primary of a master name changes.
absl::StatusOr<PrimaryContext> ConnectToPrimary(const RedisAddress& address,
                                                absl::Duration connect_timeout,
                                                absl::Duration command_timeout);

// ConnectToPrimary without keeping the connection: where the primary is now.
absl::StatusOr<HostPort> ResolvePrimary(const RedisAddress& address,
                                        absl::Duration connect_timeout,
                                        absl::Duration command_timeout);

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_SENTINEL_H_
