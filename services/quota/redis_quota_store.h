// QuotaStore on Redis: one hash per key ({"n": count, "e": window end in
// Unix microseconds}) that expires with its window, updated by one script,
// so every replica on the Redis counts against the same limit.
#ifndef SERVICES_QUOTA_REDIS_QUOTA_STORE_H_
#define SERVICES_QUOTA_REDIS_QUOTA_STORE_H_

#include <string>

#include "services/quota/quota_store.h"
#include "services/redis/redis_client.h"

namespace coachd {

struct RedisQuotaStoreOptions {
  std::string key_prefix = "coachd";  // Keys are "PREFIX:quota:{KEY}".
};

// Thread-safe. `client` must outlive the store.
class RedisQuotaStore : public QuotaStore {
 public:
  RedisQuotaStore(RedisClient* client, RedisQuotaStoreOptions options);
  RedisQuotaStore(const RedisQuotaStore&) = delete;
  RedisQuotaStore& operator=(const RedisQuotaStore&) = delete;

  absl::StatusOr<QuotaTake> Take(absl::string_view key, int64_t limit,
                                 absl::Duration window,
                                 absl::Time now) override;

 private:
  RedisClient* client_;
  const RedisQuotaStoreOptions options_;
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_REDIS_QUOTA_STORE_H_
