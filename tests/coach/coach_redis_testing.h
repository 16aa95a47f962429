// Test helpers for coaching on Redis: point a CoachServer's sessions, coach
// links and coach boards at a real redis-server, and (for tests that run
// the embedded suite again on Redis) one redis-server per test process.
//
//   ServerOptions options = ...;
//   ASSERT_TRUE(UseRedisForCoaching(redis->url(), &options).ok());
#ifndef TESTS_COACH_COACH_REDIS_TESTING_H_
#define TESTS_COACH_COACH_REDIS_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "services/coach/redis_coach_board.h"
#include "services/server/coach_server.h"

namespace coachd {

// Sets options->backend to one that keeps sessions (RedisSessionStore), coach
// links (RedisCoachLinkStore) and boards (RedisCoachBoard with `board`) in the
// Redis at `url`, over one client. Timer leases and the scheduler stay
// embedded. INVALID_ARGUMENT for a bad url.
absl::Status UseRedisForCoaching(const std::string& url, ServerOptions* options,
                                 RedisCoachBoardOptions board = {});

// Starts a redis-server the first time (it lives until the process exits;
// call from the main thread), empties it, and calls UseRedisForCoaching.
absl::Status UseSharedRedisForCoaching(ServerOptions* options);

}  // namespace coachd

#endif  // TESTS_COACH_COACH_REDIS_TESTING_H_
