#include "services/session/redis_timer_leases.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/store/memory_session_store.h"

namespace coachd {
namespace {

// KEYS[1]: lease key; ARGV: holder id, ttl ms. 1 if the lease is ours (and
// now lives ttl more), else 0.
constexpr char kRenewScript[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

// KEYS[1]: lease key; ARGV[1]: holder id. 1 if it was ours and is deleted.
constexpr char kReleaseScript[] = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua";

const RedisScript& RenewScript() {
  static const RedisScript& script = RedisScript::Of(kRenewScript);
  return script;
}

const RedisScript& ReleaseScript() {
  static const RedisScript& script = RedisScript::Of(kReleaseScript);
  return script;
}

std::string DefaultHolderId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "coachd");
  }
  return absl::StrCat(host, "-", getpid(), "-", RandomId(3));
}

}  // namespace

RedisTimerLeases::RedisTimerLeases(RedisClient* client,
                                   RedisTimerLeasesOptions options)
    : client_(client),
      options_(std::move(options)),
      holder_id_(options_.holder_id.empty() ? DefaultHolderId()
                                            : options_.holder_id),
      ttl_ms_(absl::StrCat(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.ttl)))),
      clock_(options_.clock != nullptr ? options_.clock : &real_clock_) {}

std::string RedisTimerLeases::LeaseKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:lease");
}

absl::StatusOr<std::vector<std::string>> RedisTimerLeases::Acquire(
    const std::vector<std::string>& session_ids) {
  std::vector<std::string> acquired;
  if (session_ids.empty()) return acquired;
  std::vector<RedisCommand> commands;
  std::vector<const RedisScript*> scripts;
  commands.reserve(2 * session_ids.size());
  for (const std::string& id : session_ids) {
    const std::string key = LeaseKey(id);
    commands.push_back({"SET", key, holder_id_, "NX", "PX", ttl_ms_});
    scripts.push_back(nullptr);
    commands.push_back(RenewScript().Call({key}, {holder_id_, ttl_ms_}));
    scripts.push_back(&RenewScript());
  }
  const absl::Time sent = clock_->Now();
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->RunScripts(scripts, std::move(commands));
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < session_ids.size(); ++i) {
    absl::Status checked = client_->Check("SET", *(*replies)[2 * i]);
    if (checked.ok())
      checked = client_->Check("EVALSHA", *(*replies)[2 * i + 1]);
    if (!checked.ok()) return checked;
    // The SET may fail (held); the compare-and-PEXPIRE says whose it is.
    const redisReply& mine = *(*replies)[2 * i + 1];
    if (mine.type == REDIS_REPLY_INTEGER && mine.integer == 1) {
      acquired.push_back(session_ids[i]);
    }
  }
  absl::MutexLock lock(&mu_);
  for (const std::string& id : acquired) held_[id] = sent + options_.ttl;
  return acquired;
}

bool RedisTimerLeases::Holds(absl::string_view session_id) const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = held_.find(session_id);
  return it != held_.end() && now < it->second;
}

std::vector<std::string> RedisTimerLeases::RenewHeld() {
  std::vector<std::pair<std::string, absl::Time>> held;
  {
    absl::MutexLock lock(&mu_);
    held.assign(held_.begin(), held_.end());
  }
  std::vector<std::string> lost;
  if (held.empty()) return lost;
  std::vector<RedisCommand> commands;
  commands.reserve(held.size());
  for (const auto& [id, until] : held) {
    commands.push_back(
        RenewScript().Call({LeaseKey(id)}, {holder_id_, ttl_ms_}));
  }
  const absl::Time sent = clock_->Now();
  absl::StatusOr<std::vector<RedisReply>> replies = client_->RunScripts(
      std::vector<const RedisScript*>(commands.size(), &RenewScript()),
      std::move(commands));
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < held.size(); ++i) {
    const std::string& id = held[i].first;
    auto it = held_.find(id);
    if (it == held_.end()) continue;  // Released meanwhile.
    const redisReply* r = replies.ok() ? (*replies)[i].get() : nullptr;
    const bool renewed = r != nullptr && r->type == REDIS_REPLY_INTEGER &&
                         r->integer == 1 && held[i].second > sent;
    const bool refused =
        r != nullptr && r->type == REDIS_REPLY_INTEGER && r->integer == 0;
    if (renewed) {
      it->second = sent + options_.ttl;
    } else if (refused || it->second <= clock_->Now() ||
               held[i].second <= sent) {
      // Taken or expired in Redis, or not renewed in time here.
      held_.erase(it);
      lost.push_back(id);
    }
    // Else (unreachable, still within ttl): try again next time.
  }
  std::sort(lost.begin(), lost.end());
  return lost;
}

void RedisTimerLeases::Release(absl::string_view session_id) {
  {
    absl::MutexLock lock(&mu_);
    held_.erase(session_id);
  }
  // Best effort: if this fails, the key expires within ttl.
  (void)client_->Eval(ReleaseScript(), {LeaseKey(session_id)}, {holder_id_},
                      "release lease");
}

std::vector<std::string> RedisTimerLeases::Held() const {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, until] : held_) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace coachd
