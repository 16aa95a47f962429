#include "tests/coach/coach_redis_testing.h"

#include <cstdlib>
#include <memory>
#include <utility>

#include "services/coach/redis_coach_links.h"
#include "services/store/redis_connection.h"
#include "services/store/redis_store.h"
#include "services/store/redis_url.h"
#include "tests/common/redis_server.h"

namespace coachd {

absl::Status UseRedisForCoaching(const std::string& url, ServerOptions* options,
                                 RedisLiveBoardOptions board) {
  absl::StatusOr<RedisAddress> address = ParseRedisUrl(url);
  if (!address.ok()) return address.status();
  RedisStoreOptions store;
  store.address = *address;
  options->store = std::make_unique<RedisStore>(store);
  RedisCoachLinksOptions links;
  links.address = *address;
  options->coach_links = std::make_unique<RedisCoachLinks>(links);
  board.address = *address;
  options->coach_board = [board](CoachLinkStore* links, const Clock* clock) {
    return std::make_unique<RedisLiveBoard>(links, clock, board);
  };
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
