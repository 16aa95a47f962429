#include "tests/coach/coach_redis_testing.h"

#include <cstdlib>
#include <memory>
#include <utility>

#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"

namespace coachd {

absl::Status UseRedisForCoaching(const std::string& url, ServerOptions* options,
                                 RedisCoachBoardOptions board) {
  absl::StatusOr<RedisAddress> address = ParseRedisUrl(url);
  if (!address.ok()) return address.status();
  MixedBackendOptions backend;
  backend.redis.client.address = *address;
  backend.redis.board = std::move(board);
  backend.sessions = true;
  backend.coaching = true;
  options->backend = std::make_unique<MixedBackend>(std::move(backend));
  return absl::OkStatus();
}

absl::Status UseSharedRedisForCoaching(ServerOptions* options) {
  static RedisServer* server = nullptr;
  if (server == nullptr) {
    absl::StatusOr<std::unique_ptr<RedisServer>> started = RedisServer::Start();
    if (!started.ok()) return started.status();
    server = started->release();
    // Stopped at exit (and by PR_SET_PDEATHSIG if the process dies).
    std::atexit([] { delete server; });
  }
  absl::StatusOr<RedisAddress> address = ParseRedisUrl(server->url());
  if (!address.ok()) return address.status();
  RedisConnection admin(RedisConnectionOptions{*address});
  absl::StatusOr<RedisReply> flushed = admin.Command({"FLUSHALL"});
  if (!flushed.ok()) return flushed.status();
  return UseRedisForCoaching(server->url(), options);
}

}  // namespace coachd
