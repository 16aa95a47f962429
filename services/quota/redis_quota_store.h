// QuotaStore on Redis: one hash per key ({"n": count, "e": window end in
// Unix microseconds}) that expires with its window, updated by one script,
// so every replica on the Redis counts against the same limit. Held slots
// (Join, Leave) are one set per key, "PREFIX:slots:{KEY}", changed by one
// script: every replica checks against the same members.
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
  absl::StatusOr<SlotJoin> Join(absl::string_view key, absl::string_view member,
                                int64_t limit) override;
  absl::Status Leave(absl::string_view key, absl::string_view member) override;

 private:
  std::string SlotsKey(absl::string_view key) const;

  RedisClient* client_;
  const RedisQuotaStoreOptions options_;
};

}  // namespace coachd

#endif  // SERVICES_QUOTA_REDIS_QUOTA_STORE_H_
