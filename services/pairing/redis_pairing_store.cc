#include "services/pairing/redis_pairing_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

using coach::internal::DeviceRecord;
using coach::internal::PairingRecord;
using coach::internal::RefreshRecord;

// KEYS: pairing. ARGV: record, kept-until us, now us, ttl ms.
// 1 when stored, 0 when a pairing with the code is kept.
constexpr char kCreatePairing[] = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', '1', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
)lua";

// KEYS: pairing. ARGV: expected version, record, now us, next version.
// 1 stored; 0 version differs; -1 gone.
constexpr char kUpdatePairing[] = R"lua(
local v = redis.call('HGET', KEYS[1], 'v')
local e = redis.call('HGET', KEYS[1], 'e')
if not v or tonumber(e) <= tonumber(ARGV[3]) then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[2], 'v', ARGV[4])
return 1
)lua";

// KEYS: devices. ARGV: device id, record. 1 when stored, 0 when gone.
constexpr char kTouchDevice[] = R"lua(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
)lua";

// KEYS: devices, tokens set, revoked. ARGV: device id, at us, token key
// prefix, forget-before us. 1 revoked; 0 no such device.
constexpr char kRevokeDevice[] = R"lua(
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for _, h in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('DEL', ARGV[3] .. h)
end
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[4])
return 1
)lua";

// KEYS: token, tokens set. ARGV: record, expires us, ttl ms, hash.
constexpr char kAddToken[] = R"lua(
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'u', '0', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
)lua";

// KEYS: used token, next token, tokens set. ARGV: now us, next record,
// next expires us, next ttl ms, next hash.
// {0} unknown/expired, {2, record} used already, {1, record} rotated.
constexpr char kRotateToken[] = R"lua(
local t = redis.call('HMGET', KEYS[1], 'u', 'e', 'r')
if not t[1] or tonumber(t[2]) <= tonumber(ARGV[1]) then return {0} end
if t[1] == '1' then return {2, t[3]} end
redis.call('HSET', KEYS[1], 'u', '1')
redis.call('HSET', KEYS[2], 'r', ARGV[2], 'u', '0', 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[5])
if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return {1, t[3]}
)lua";

// KEYS: counter. ARGV: now us, end of a new window us, window ms.
// {count, window end}.
constexpr char kAddFailure[] = R"lua(
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if e <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'n', '0', 'e', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
return {n, redis.call('HGET', KEYS[1], 'e')}
)lua";

// The scripts, each made once (its SHA computed then).
const RedisScript& Script(const char* source) {
  return RedisScript::Of(source);
}

std::string Micros(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }

// Milliseconds from `now` to `until`, at least 1 (PEXPIRE needs > 0).
std::string TtlMs(absl::Time now, absl::Time until) {
  return absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(until - now) + 1));
}

absl::Status Corrupt(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("redis pairing store: ", what, " does not parse"));
}

int64_t IntegerOf(const redisReply& r) {
  if (r.type == REDIS_REPLY_INTEGER) return r.integer;
  int64_t value = 0;
  if (r.type == REDIS_REPLY_STRING && absl::SimpleAtoi(ReplyText(r), &value)) {
    return value;
  }
  return -1;
}

}  // namespace

RedisPairingStore::RedisPairingStore(RedisClient* client,
                                     RedisPairingStoreOptions options)
    : client_(client), options_(std::move(options)) {}

std::string RedisPairingStore::PairingKey(absl::string_view user_code) const {
  return absl::StrCat(options_.key_prefix, ":{pairing:", user_code, "}");
}
std::string RedisPairingStore::DevicesKey(absl::string_view subject) const {
  return absl::StrCat(options_.key_prefix, ":{person:", subject, "}:devices");
}
std::string RedisPairingStore::TokenPrefix(absl::string_view device_id) const {
  return absl::StrCat(options_.key_prefix, ":{device:", device_id,
                      "}:refresh:");
}
std::string RedisPairingStore::TokensKey(absl::string_view device_id) const {
  return absl::StrCat(options_.key_prefix, ":{device:", device_id, "}:tokens");
}
std::string RedisPairingStore::RevokedKey() const {
  return absl::StrCat(options_.key_prefix, ":revoked");
}
std::string RedisPairingStore::FailKey(absl::string_view key) const {
  return absl::StrCat(options_.key_prefix, ":{fail:", key, "}");
}

absl::Status RedisPairingStore::CreatePairing(const PairingRecord& record,
                                              absl::Time now) {
  PairingRecord stored = record;
  stored.set_version(1);
  const absl::Time kept =
      absl::FromUnixMicros(record.expires_us()) + kKeepExpired;
  absl::StatusOr<RedisReply> reply = client_->Eval(
      Script(kCreatePairing), {PairingKey(record.user_code())},
      {stored.SerializeAsString(), Micros(kept), Micros(now), TtlMs(now, kept)},
      "create pairing");
  if (!reply.ok()) return reply.status();
  if (IntegerOf(**reply) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("user code ", record.user_code(), " is in use"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PairingRecord> RedisPairingStore::GetPairing(
    absl::string_view user_code, absl::Time now) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HMGET", PairingKey(user_code), "r", "v", "e"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 3 ||
      r.element[0]->type != REDIS_REPLY_STRING ||
      IntegerOf(*r.element[2]) <= absl::ToUnixMicros(now)) {
    return absl::NotFoundError(
        absl::StrCat("no pairing with user code ", user_code));
  }
  PairingRecord record;
  if (!record.ParseFromArray(r.element[0]->str,
                             static_cast<int>(r.element[0]->len))) {
    return Corrupt(absl::StrCat("pairing ", user_code));
  }
  record.set_version(IntegerOf(*r.element[1]));
  return record;
}

absl::Status RedisPairingStore::UpdatePairing(PairingRecord* record,
                                              absl::Time now) {
  PairingRecord stored = *record;
  stored.set_version(record->version() + 1);
  absl::StatusOr<RedisReply> reply =
      client_->Eval(Script(kUpdatePairing), {PairingKey(record->user_code())},
           {absl::StrCat(record->version()), stored.SerializeAsString(),
            Micros(now), absl::StrCat(stored.version())},
           "update pairing");
  if (!reply.ok()) return reply.status();
  switch (IntegerOf(**reply)) {
    case 1:
      record->set_version(stored.version());
      return absl::OkStatus();
    case 0:
      return absl::AbortedError(
          absl::StrCat("pairing ", record->user_code(), " changed meanwhile"));
    default:
      return absl::NotFoundError(
          absl::StrCat("no pairing with user code ", record->user_code()));
  }
}

absl::Status RedisPairingStore::PutDevice(const DeviceRecord& device) {
  return client_->Call({"HSET", DevicesKey(device.subject()), device.device_id(),
              device.SerializeAsString()})
      .status();
}

absl::StatusOr<DeviceRecord> RedisPairingStore::GetDevice(
    absl::string_view subject, absl::string_view device_id) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGET", DevicesKey(subject), std::string(device_id)});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(
        absl::StrCat("device ", device_id, ": no such device of ", subject));
  }
  DeviceRecord device;
  if (!device.ParseFromArray((*reply)->str, static_cast<int>((*reply)->len))) {
    return Corrupt(absl::StrCat("device ", device_id));
  }
  return device;
}

absl::Status RedisPairingStore::TouchDevice(absl::string_view subject,
                                            absl::string_view device_id,
                                            absl::Time at) {
  absl::StatusOr<DeviceRecord> device = GetDevice(subject, device_id);
  if (!device.ok()) return device.status();
  device->set_last_seen_us(absl::ToUnixMicros(at));
  absl::StatusOr<RedisReply> reply = client_->Eval(
      Script(kTouchDevice), {DevicesKey(subject)},
      {std::string(device_id), device->SerializeAsString()}, "touch device");
  if (!reply.ok()) return reply.status();
  if (IntegerOf(**reply) != 1) {
    return absl::NotFoundError(
        absl::StrCat("device ", device_id, ": no such device of ", subject));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DeviceRecord>> RedisPairingStore::ListDevices(
    absl::string_view subject) {
  absl::StatusOr<RedisReply> reply = client_->Call({"HVALS", DevicesKey(subject)});
  if (!reply.ok()) return reply.status();
  std::vector<DeviceRecord> list;
  for (size_t i = 0; i < (*reply)->elements; ++i) {
    const redisReply& e = *(*reply)->element[i];
    DeviceRecord device;
    if (!device.ParseFromArray(e.str, static_cast<int>(e.len))) {
      return Corrupt(absl::StrCat("a device of ", subject));
    }
    list.push_back(std::move(device));
  }
  std::sort(list.begin(), list.end(),
            [](const DeviceRecord& a, const DeviceRecord& b) {
              return std::make_pair(a.paired_us(), a.device_id()) <
                     std::make_pair(b.paired_us(), b.device_id());
            });
  return list;
}

absl::StatusOr<bool> RedisPairingStore::RevokeDevice(
    absl::string_view subject, absl::string_view device_id, absl::Time at) {
  absl::StatusOr<RedisReply> reply =
      client_->Eval(Script(kRevokeDevice),
           {DevicesKey(subject), TokensKey(device_id), RevokedKey()},
           {std::string(device_id), Micros(at), TokenPrefix(device_id),
            Micros(at - kKeepRevoked)},
           "revoke device");
  if (!reply.ok()) return reply.status();
  return IntegerOf(**reply) == 1;
}

absl::StatusOr<std::vector<std::string>> RedisPairingStore::RevokedSince(
    absl::Time since) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"ZRANGEBYSCORE", RevokedKey(), Micros(since), "+inf"});
  if (!reply.ok()) return reply.status();
  std::vector<std::string> ids;
  for (size_t i = 0; i < (*reply)->elements; ++i) {
    ids.emplace_back(ReplyText(*(*reply)->element[i]));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status RedisPairingStore::AddRefreshToken(const RefreshRecord& token,
                                                absl::Time now) {
  const std::string hash = absl::BytesToHexString(token.token_hash());
  const absl::Time expires = absl::FromUnixMicros(token.expires_us());
  return client_->Eval(Script(kAddToken),
              {TokenPrefix(token.device_id()) + hash,
               TokensKey(token.device_id())},
              {token.SerializeAsString(), Micros(expires), TtlMs(now, expires),
               hash},
              "add refresh token")
      .status();
}

absl::StatusOr<Rotation> RedisPairingStore::RotateRefreshToken(
    absl::string_view device_id, absl::string_view token_hash,
    const RefreshRecord& next, absl::Time now) {
  const std::string used_hash = absl::BytesToHexString(token_hash);
  const std::string next_hash = absl::BytesToHexString(next.token_hash());
  const absl::Time expires = absl::FromUnixMicros(next.expires_us());
  absl::StatusOr<RedisReply> reply =
      client_->Eval(Script(kRotateToken),
           {TokenPrefix(device_id) + used_hash,
            TokenPrefix(device_id) + next_hash, TokensKey(device_id)},
           {Micros(now), next.SerializeAsString(), Micros(expires),
            TtlMs(now, expires), next_hash},
           "rotate refresh token");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  const int64_t outcome = r.elements > 0 ? IntegerOf(*r.element[0]) : -1;
  if ((outcome != 1 && outcome != 2) || r.elements != 2) {
    return absl::NotFoundError("refresh token: unknown or expired");
  }
  Rotation rotation;
  rotation.replayed = outcome == 2;
  if (!rotation.used.ParseFromArray(r.element[1]->str,
                                    static_cast<int>(r.element[1]->len))) {
    return Corrupt("a refresh token");
  }
  return rotation;
}

absl::StatusOr<AttemptCount> RedisPairingStore::AddFailure(
    absl::string_view key, absl::Duration window, absl::Time now) {
  absl::StatusOr<RedisReply> reply = client_->Eval(
      Script(kAddFailure), {FailKey(key)},
      {Micros(now), Micros(now + window),
       absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(window)))},
      "count failure");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2) {
    return Corrupt("a failure counter");
  }
  return AttemptCount{IntegerOf(*r.element[0]),
                      absl::FromUnixMicros(IntegerOf(*r.element[1]))};
}

absl::StatusOr<AttemptCount> RedisPairingStore::Failures(absl::string_view key,
                                                         absl::Time now) {
  absl::StatusOr<RedisReply> reply = client_->Call({"HMGET", FailKey(key), "n", "e"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_ARRAY || r.elements != 2 ||
      r.element[0]->type != REDIS_REPLY_STRING) {
    return AttemptCount{};
  }
  const absl::Time ends = absl::FromUnixMicros(IntegerOf(*r.element[1]));
  if (ends <= now) return AttemptCount{};
  return AttemptCount{IntegerOf(*r.element[0]), ends};
}

absl::Status RedisPairingStore::Ping() {
  return client_->Call({"PING"}).status();
}

}  // namespace coachd
