// Where Redis is: the value of `coachd --redis`, parsed.
//
//   absl::StatusOr<RedisAddress> a = ParseRedisUrl("redis://127.0.0.1:6379/2");
//   // a->host == "127.0.0.1", a->port == 6379, a->db == 2
//   a = ParseRedisUrl("unix:///run/redis/redis.sock");
//   // a->unix_path == "/run/redis/redis.sock", a->db == 0
#ifndef SERVICES_REDIS_REDIS_URL_H_
#define SERVICES_REDIS_REDIS_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coachd {

// A Redis server's address: TCP (host, port) or a Unix socket path, and the
// logical database to SELECT.
struct RedisAddress {
  std::string host;       // Set for TCP; empty for a Unix socket.
  int port = 6379;        // TCP port.
  std::string unix_path;  // Set for a Unix socket; empty for TCP.
  int db = 0;             // Database index, 0..15 on a default Redis.

  // For messages: "HOST:PORT[/DB]" or "unix:PATH[?db=DB]".
  std::string ToString() const;
};

// Parses `redis://HOST:PORT[/DB]` (HOST may be a [bracketed] IPv6 address;
// PORT defaults to 6379 when ":PORT" is left out) or `unix://PATH[?db=DB]`
// (PATH absolute). INVALID_ARGUMENT naming the part that is wrong; no
// credentials, TLS or query options are supported.
absl::StatusOr<RedisAddress> ParseRedisUrl(absl::string_view url);

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_URL_H_
