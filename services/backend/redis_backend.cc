#include "services/backend/redis_backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {

RedisBackend::RedisBackend(RedisBackendOptions options)
    : options_(std::move(options)), client_(options_.client) {}

std::string RedisBackend::Describe() const {
  return absl::StrCat("redis at ", client_.address().ToString());
}

absl::Status RedisBackend::Ping() { return client_.Call({"PING"}).status(); }

std::unique_ptr<SessionStore> RedisBackend::MakeSessionStore() {
  return std::make_unique<RedisSessionStore>(&client_, options_.sessions);
}

std::unique_ptr<TimerLeases> RedisBackend::MakeTimerLeases() {
  auto leases = std::make_unique<RedisTimerLeases>(&client_, options_.leases);
  LogInfo(absl::StrCat("replica ", leases->holder_id(), ", timer leases of ",
                       absl::FormatDuration(leases->ttl())));
  return leases;
}

std::unique_ptr<CoachLinkStore> RedisBackend::MakeCoachLinks() {
  return std::make_unique<RedisCoachLinkStore>(&client_, options_.links);
}

std::unique_ptr<CoachBoard> RedisBackend::MakeCoachBoard(CoachLinkStore* links,
                                                         const Clock* clock) {
  return std::make_unique<RedisCoachBoard>(links, clock, &client_,
                                           options_.board);
}

std::unique_ptr<SchedulerStore> RedisBackend::MakeSchedulerStore() {
  return std::make_unique<RedisSchedulerStore>(&client_, options_.scheduler);
}

std::unique_ptr<PairingStore> RedisBackend::MakePairingStore() {
  return std::make_unique<RedisPairingStore>(&client_, options_.pairing);
}

std::unique_ptr<QuotaStore> RedisBackend::MakeQuotaStore() {
  return std::make_unique<RedisQuotaStore>(&client_, options_.quotas);
}

}  // namespace coachd
