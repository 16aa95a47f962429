// Where Redis is: the value of `coachd --redis`, parsed.
//
//   absl::StatusOr<RedisAddress> a = ParseRedisUrl("redis://127.0.0.1:6379/2");
//   // a->host == "127.0.0.1", a->port == 6379, a->db == 2
//   a = ParseRedisUrl("unix:///run/redis/redis.sock");
//   // a->unix_path == "/run/redis/redis.sock", a->db == 0
//   a = ParseRedisUrl("sentinel://10.0.0.5:26379,10.0.0.6:26379/coachd");
//   // a->sentinels has both, a->master_name == "coachd": the primary is
//   // asked of the Sentinels at each connect (see redis_sentinel.h)
#ifndef SERVICES_REDIS_REDIS_URL_H_
#define SERVICES_REDIS_REDIS_URL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coachd {

// A TCP endpoint.
struct HostPort {
  std::string host;
  int port = 0;
  // "HOST:PORT", an IPv6 host in brackets.
  std::string ToString() const;
};

// A Redis server's address: TCP (host, port), a Unix socket path, or the
// Sentinels that know which server is the primary of `master_name`; and the
// logical database to SELECT.
struct RedisAddress {
  std::string host;       // Set for TCP; empty for a Unix socket.
  int port = 6379;        // TCP port.
  std::string unix_path;  // Set for a Unix socket; empty for TCP.
  int db = 0;             // Database index, 0..15 on a default Redis.
  // Set (with master_name) for sentinel://; then host and unix_path are
  // empty: the primary is resolved when a connection is made.
  std::vector<HostPort> sentinels;
  std::string master_name;
  // Credentials sent with AUTH on every connection made to it, from
  // --redis_password_file (LoadRedisPasswordFile): never part of a URL and
  // never printed (ToString leaves them out).
  std::string user;      // An ACL user; empty: the default user.
  std::string password;  // Empty: no AUTH.

  bool via_sentinel() const { return !sentinels.empty(); }
  // For messages: "HOST:PORT[/DB]", "unix:PATH[?db=DB]" or
  // "sentinel:HOST:PORT,.../MASTER_NAME".
  std::string ToString() const;
};

// Parses `redis://HOST:PORT[/DB]` (HOST may be a [bracketed] IPv6 address;
// PORT defaults to 6379 when ":PORT" is left out), `unix://PATH[?db=DB]`
// (PATH absolute) or `sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME`
// (PORT defaults to 26379; MASTER_NAME as in sentinel.conf: letters,
// digits, '.', '-', '_'). INVALID_ARGUMENT naming the part that is wrong;
// no credentials, TLS or query options are supported.
absl::StatusOr<RedisAddress> ParseRedisUrl(absl::string_view url);

// Reads Redis credentials from `path` (the value of `flag`, for messages)
// into `address`: one line, "PASSWORD" (the default user, requirepass) or
// "USER PASSWORD" (an ACL user); surrounding whitespace and the final
// newline are left out. INVALID_ARGUMENT naming the flag and the file when
// it cannot be read, is empty or has more than two words; the message never
// holds the file's contents.
absl::Status LoadRedisPasswordFile(const std::string& path,
                                   absl::string_view flag,
                                   RedisAddress* address);

}  // namespace coachd

#endif  // SERVICES_REDIS_REDIS_URL_H_
