// A Redis store with a client of its own, for tests: in production the
// backend's stores share one client; a test that plays two replicas gives
// each store its own, so that each counts and fails over on its own.
//
//   WithOwnClient<RedisSchedulerStore> store(client_options, {});
#ifndef TESTS_COMMON_OWN_REDIS_CLIENT_H_
#define TESTS_COMMON_OWN_REDIS_CLIENT_H_

#include <utility>

#include "services/redis/redis_client.h"

namespace coachd {

// Holds a client, so that it is made before the store that uses it.
struct OwnRedisClient {
  explicit OwnRedisClient(const RedisClientOptions& options)
      : client(options) {}
  RedisClient client;
};

// `Store` (constructed as Store(RedisClient*, Options)) over a client that
// lives and dies with it.
template <typename Store>
class WithOwnClient : private OwnRedisClient, public Store {
 public:
  template <typename Options>
  WithOwnClient(const RedisClientOptions& client_options, Options options)
      : OwnRedisClient(client_options), Store(&client, std::move(options)) {}

  RedisClient& own_client() { return client; }
};

}  // namespace coachd

#endif  // TESTS_COMMON_OWN_REDIS_CLIENT_H_
