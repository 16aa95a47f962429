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

std::vector<CallbackRegistration> RedisBackend::RegisterMetrics(
    MetricsRegistry* registry) {
  struct Counted {
    const char* name;
    const char* help;
    int64_t RedisClientStats::*field;
  };
  static constexpr Counted kCounted[] = {
      {"coachd_redis_round_trips_total",
       "Replies waited for from Redis (a pipeline is one).",
       &RedisClientStats::round_trips},
      {"coachd_redis_commands_total",
       "Commands sent to Redis, each one of a pipeline counted.",
       &RedisClientStats::commands},
      {"coachd_redis_connects_total",
       "Connections made to Redis: the first ones and every reconnect.",
       &RedisClientStats::connects},
      {"coachd_redis_errors_total",
       "Failed connection attempts and broken connections to Redis.",
       &RedisClientStats::errors},
  };
  std::vector<CallbackRegistration> out;
  for (const Counted& c : kCounted) {
    out.push_back(registry->AddCallback(
        c.name, c.help, MetricType::kCounter, {}, [this, field = c.field] {
          MetricSample sample;
          sample.value = static_cast<double>(client_.Stats().*field);
          return std::vector<MetricSample>{sample};
        }));
  }
  return out;
}

}  // namespace coachd
