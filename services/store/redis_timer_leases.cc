#include "services/store/redis_timer_leases.h"

#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/store/memory_store.h"

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

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

const std::string& RenewSha() {
  static const std::string* sha = new std::string(Sha1Hex(kRenewScript));
  return *sha;
}

const std::string& ReleaseSha() {
  static const std::string* sha = new std::string(Sha1Hex(kReleaseScript));
  return *sha;
}

bool IsNoScript(const redisReply& r) {
  return r.type == REDIS_REPLY_ERROR && r.str != nullptr &&
         absl::StartsWith(absl::string_view(r.str, r.len), "NOSCRIPT");
}

std::string DefaultHolderId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "coachd");
  }
  return absl::StrCat(host, "-", getpid(), "-", RandomId(3));
}

RedisConnectionOptions ConnectionOptionsOf(const RedisTimerLeasesOptions& o,
                                           RedisCounters* counters) {
  RedisConnectionOptions c;
  c.address = o.address;
  c.connect_timeout = o.connect_timeout;
  c.command_timeout = o.command_timeout;
  c.min_backoff = o.min_backoff;
  c.max_backoff = o.max_backoff;
  c.counters = counters;
  return c;
}

// Runs `commands` in one round trip; if Redis has not cached the scripts
// (a fresh or restarted server), loads them and runs them again.
absl::StatusOr<std::vector<RedisReply>> RunScripts(
    RedisPool& pool, const std::vector<RedisCommand>& commands) {
  RedisPool::Lease conn = pool.Acquire();
  absl::StatusOr<std::vector<RedisReply>> replies = conn->Pipeline(commands);
  if (!replies.ok()) return replies;
  bool missing = false;
  for (const RedisReply& r : *replies) missing = missing || IsNoScript(*r);
  if (!missing) return replies;
  absl::StatusOr<std::vector<RedisReply>> loaded = conn->Pipeline(
      {{"SCRIPT", "LOAD", kRenewScript}, {"SCRIPT", "LOAD", kReleaseScript}});
  if (!loaded.ok()) return loaded;
  return conn->Pipeline(commands);
}

}  // namespace

RedisTimerLeases::RedisTimerLeases(RedisTimerLeasesOptions options)
    : options_(std::move(options)),
      holder_id_(options_.holder_id.empty() ? DefaultHolderId()
                                            : options_.holder_id),
      ttl_ms_(absl::StrCat(
          std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.ttl)))),
      clock_(options_.clock != nullptr ? options_.clock : &real_clock_),
      pool_(ConnectionOptionsOf(options_, counters_.get()),
            std::max(1, options_.pool_size)) {}

std::string RedisTimerLeases::LeaseKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:lease");
}

RedisStoreStats RedisTimerLeases::Stats() const {
  RedisStoreStats s;
  s.commands = counters_->commands.load();
  s.round_trips = counters_->round_trips.load();
  s.connects = counters_->connects.load();
  return s;
}

absl::StatusOr<std::vector<std::string>> RedisTimerLeases::Acquire(
    const std::vector<std::string>& session_ids) {
  std::vector<std::string> acquired;
  if (session_ids.empty()) return acquired;
  std::vector<RedisCommand> commands;
  commands.reserve(2 * session_ids.size());
  for (const std::string& id : session_ids) {
    const std::string key = LeaseKey(id);
    commands.push_back({"SET", key, holder_id_, "NX", "PX", ttl_ms_});
    commands.push_back({"EVALSHA", RenewSha(), "1", key, holder_id_, ttl_ms_});
  }
  const absl::Time sent = clock_->Now();
  absl::StatusOr<std::vector<RedisReply>> replies = RunScripts(pool_, commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < session_ids.size(); ++i) {
    for (size_t j : {2 * i, 2 * i + 1}) {
      const redisReply& r = *(*replies)[j];
      if (r.type == REDIS_REPLY_ERROR) {
        return RedisErrorStatus(options_.address, commands[j][0], r);
      }
    }
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
        {"EVALSHA", RenewSha(), "1", LeaseKey(id), holder_id_, ttl_ms_});
  }
  const absl::Time sent = clock_->Now();
  absl::StatusOr<std::vector<RedisReply>> replies = RunScripts(pool_, commands);
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
  (void)RunScripts(pool_, {{"EVALSHA", ReleaseSha(), "1", LeaseKey(session_id),
                            holder_id_}});
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
