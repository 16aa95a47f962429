#include "services/quota/redis_quota_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/check.h"
#include "services/redis/redis_reply.h"
#include "services/redis/redis_script.h"

namespace coachd {
namespace {

// KEYS[1] the counter; ARGV: now (us), window end if a new one opens (us),
// window (ms), limit. Returns {allowed 0/1, count, window end (us) as the
// string stored (Lua would print a number of 16 digits in exponent form).
constexpr char kTake[] = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if (not e) or tonumber(e) <= tonumber(ARGV[1]) then
  e = ARGV[2]
  redis.call('HSET', KEYS[1], 'n', '0', 'e', e)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n >= tonumber(ARGV[4]) then
  return {0, n, e}
end
n = redis.call('HINCRBY', KEYS[1], 'n', 1)
return {1, n, e}
)lua";

const RedisScript& TakeScript() {
  static const RedisScript* script = new RedisScript(kTake);
  return *script;
}

// KEYS[1] the set; ARGV: member, limit. Returns {joined 0/1, members}.
constexpr char kJoin[] = R"lua(
local joined = 0
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 or
   redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[1], ARGV[1])
  joined = 1
end
return {joined, redis.call('SMEMBERS', KEYS[1])}
)lua";

int64_t IntegerOf(const redisReply& r) {
  if (r.type == REDIS_REPLY_INTEGER) return r.integer;
  int64_t value = -1;
  if (r.type == REDIS_REPLY_STRING && absl::SimpleAtoi(ReplyText(r), &value)) {
    return value;
  }
  return -1;
}

}  // namespace

RedisQuotaStore::RedisQuotaStore(RedisClient* client,
                                 RedisQuotaStoreOptions options)
    : client_(client), options_(std::move(options)) {}

absl::StatusOr<QuotaTake> RedisQuotaStore::Take(absl::string_view key,
                                                int64_t limit,
                                                absl::Duration window,
                                                absl::Time now) {
  COACHD_DCHECK(limit >= 1, "a quota's limit is at least 1");
  absl::StatusOr<RedisReply> reply = client_->Eval(
      TakeScript(), {absl::StrCat(options_.key_prefix, ":quota:{", key, "}")},
      {absl::StrCat(absl::ToUnixMicros(now)),
       absl::StrCat(absl::ToUnixMicros(now + window)),
       absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(window))),
       absl::StrCat(limit)},
      "take quota");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 3 ||
      IntegerOf(*r.element[1]) < 0 || IntegerOf(*r.element[2]) < 0) {
    return absl::InternalError("take quota: unexpected reply from Redis");
  }
  QuotaTake take;
  take.allowed = IntegerOf(*r.element[0]) == 1;
  take.count = IntegerOf(*r.element[1]);
  take.window_ends = absl::FromUnixMicros(IntegerOf(*r.element[2]));
  return take;
}

std::string RedisQuotaStore::SlotsKey(absl::string_view key) const {
  return absl::StrCat(options_.key_prefix, ":slots:{", key, "}");
}

absl::StatusOr<SlotJoin> RedisQuotaStore::Join(absl::string_view key,
                                               absl::string_view member,
                                               int64_t limit) {
  COACHD_DCHECK(limit >= 1, "a slot limit is at least 1");
  absl::StatusOr<RedisReply> reply =
      client_->Eval(RedisScript::Of(kJoin), {SlotsKey(key)},
                    {std::string(member), absl::StrCat(limit)}, "join slots");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
      r.element[0]->type != REDIS_REPLY_INTEGER ||
      r.element[1]->type != REDIS_REPLY_ARRAY) {
    return absl::InternalError("join slots: unexpected reply from Redis");
  }
  SlotJoin join;
  join.allowed = r.element[0]->integer == 1;
  const redisReply& members = *r.element[1];
  for (size_t i = 0; i < members.elements; ++i) {
    join.members.emplace_back(ReplyText(*members.element[i]));
  }
  std::sort(join.members.begin(), join.members.end());
  return join;
}

absl::Status RedisQuotaStore::Leave(absl::string_view key,
                                    absl::string_view member) {
  return client_->Call({"SREM", SlotsKey(key), std::string(member)}).status();
}

}  // namespace coachd
