// How many commands a Redis server has run, from INFO commandstats, read over
// a plain socket (RESP), so that loadgen can say how many Redis commands
// coachd spends per published and per delivered event.
//
//   absl::StatusOr<RedisCommandCounts> c = ReadRedisCommandCounts(6379);
//   int64_t calls = c->total;  // every command but INFO itself
#ifndef CLIENTS_LOADGEN_REDIS_STATS_H_
#define CLIENTS_LOADGEN_REDIS_STATS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// Calls per command since the server started (or CONFIG RESETSTAT).
struct RedisCommandCounts {
  std::map<std::string, int64_t> calls;  // By command name ("evalsha").
  int64_t total = 0;                     // Sum over commands, INFO excluded.
};

// Sends INFO commandstats to the Redis server on 127.0.0.1:`port`, after
// AUTH when `password` is set (as `user` when set). UNAVAILABLE when it
// cannot be reached or answers with an error (or nothing within
// `timeout`); PERMISSION_DENIED when AUTH is refused; INTERNAL when the
// reply does not parse.
absl::StatusOr<RedisCommandCounts> ReadRedisCommandCounts(
    int port, absl::Duration timeout = absl::Seconds(2),
    absl::string_view user = "", absl::string_view password = "");

// Parses the text of INFO commandstats ("cmdstat_get:calls=3,usec=...").
absl::StatusOr<RedisCommandCounts> ParseCommandStats(absl::string_view text);

// `after` - `before`, per command and in total.
RedisCommandCounts Difference(const RedisCommandCounts& after,
                              const RedisCommandCounts& before);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_REDIS_STATS_H_
