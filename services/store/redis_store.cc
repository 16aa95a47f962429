#include "services/store/redis_store.h"

#include <openssl/sha.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/store/memory_store.h"

namespace coachd {
namespace {

// Create and Commit in one atomic step. Every check comes before the first
// write: Redis does not roll a script back when a command in it fails.
//   KEYS: state hash, event stream, live set.
//   ARGV: 'create'|'commit', expected sequence, epoch, record bytes,
//         session id, created_us, finished '1'|'0', ttl ms, max history,
//         then one SessionEvent per new event, already numbered
//         expected+1.. by the caller (the script checks, it cannot edit).
//   Returns {'ok', last_sequence}, {'exists'}, {'missing'},
//   {'aborted', stored_sequence} or {'epoch', stored_epoch}.
constexpr char kWriteScript[] = R"lua(
local state, log, live = KEYS[1], KEYS[2], KEYS[3]
local expected = tonumber(ARGV[2])
local stored = redis.call('HMGET', state, 'seq', 'epoch')
if ARGV[1] == 'create' then
  if stored[1] then return {'exists'} end
  redis.call('DEL', log)
else
  if not stored[1] then return {'missing'} end
  if tonumber(stored[1]) ~= expected then return {'aborted', stored[1]} end
  if stored[2] ~= ARGV[3] then return {'epoch', stored[2]} end
end
local seq = expected
for i = 10, #ARGV do
  seq = seq + 1
  redis.call('XADD', log, 'MAXLEN', '~', ARGV[9],
             string.format('%d-0', seq), 'e', ARGV[i])
end
redis.call('HSET', state, 'record', ARGV[4],
           'seq', string.format('%d', seq), 'epoch', ARGV[3])
if ARGV[7] == '1' then
  redis.call('ZREM', live, ARGV[5])
  redis.call('PEXPIRE', state, ARGV[8])
  redis.call('PEXPIRE', log, ARGV[8])
elseif ARGV[1] == 'create' then
  redis.call('ZADD', live, ARGV[6], ARGV[5])
end
return {'ok', seq}
)lua";

constexpr int kFollowBatch = 512;  // Events per XREAD.

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

const std::string& WriteScriptSha() {
  static const std::string* sha = new std::string(Sha1Hex(kWriteScript));
  return *sha;
}

absl::string_view Text(const redisReply& r) {
  return absl::string_view(r.str == nullptr ? "" : r.str, r.len);
}

bool IsString(const redisReply& r) {
  return r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS;
}

// The sequence of a stream entry id "<sequence>-0"; -1 if malformed.
int64_t SequenceOfId(absl::string_view id) {
  const size_t dash = id.find('-');
  int64_t seq = -1;
  if (!absl::SimpleAtoi(id.substr(0, dash), &seq)) return -1;
  return seq;
}

// Appends the entries of an XRANGE-style reply (array of [id, [f, v, ...]])
// to `out` as events; malformed entries are logged and skipped.
void ParseEntries(const redisReply& entries, absl::string_view key,
                  std::vector<StoredEvent>* out) {
  if (entries.type != REDIS_REPLY_ARRAY) return;
  for (size_t i = 0; i < entries.elements; ++i) {
    const redisReply& entry = *entries.element[i];
    if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2 ||
        entry.element[1]->type != REDIS_REPLY_ARRAY) {
      continue;
    }
    const redisReply& fields = *entry.element[1];
    coach::v1::SessionEvent event;
    bool parsed = false;
    for (size_t f = 0; f + 1 < fields.elements; f += 2) {
      if (Text(*fields.element[f]) == "e") {
        parsed =
            event.ParseFromArray(fields.element[f + 1]->str,
                                 static_cast<int>(fields.element[f + 1]->len));
      }
    }
    const int64_t seq = SequenceOfId(Text(*entry.element[0]));
    if (!parsed || seq <= 0) {
      LogWarning(absl::StrCat("redis: ", key, " entry ",
                              Text(*entry.element[0]),
                              " is not a session event; skipped"));
      continue;
    }
    event.set_sequence(seq);
    out->push_back(StoredEvent::Make(std::move(event)));
  }
}

}  // namespace

// One Follow: a thread that reads the session's stream with XREAD BLOCK on
// its own connection and hands what it reads to the listener.
class RedisStore::Follower : public FollowHandle {
 public:
  Follower(const RedisConnectionOptions& options,
           std::shared_ptr<RedisCounters> counters, std::string key,
           int64_t after_sequence, absl::Duration block, absl::Duration retry,
           EventListener* listener)
      : counters_(std::move(counters)),
        connection_(options),
        key_(std::move(key)),
        block_ms_(absl::StrCat(
            std::max<int64_t>(1, absl::ToInt64Milliseconds(block)))),
        retry_(retry),
        listener_(listener),
        last_(std::max<int64_t>(0, after_sequence)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~Follower() override {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    connection_.Interrupt();
    thread_.join();
  }

 private:
  void Run() {
    bool failing = false;
    while (!Stopped()) {
      absl::StatusOr<RedisReply> reply = connection_.Command(
          {"XREAD", "COUNT", absl::StrCat(kFollowBatch), "BLOCK", block_ms_,
           "STREAMS", key_, absl::StrCat(last_, "-0")});
      if (absl::IsCancelled(reply.status())) return;
      absl::Status failure = reply.status();
      if (failure.ok() && (*reply)->type == REDIS_REPLY_ERROR) {
        failure = RedisErrorStatus(connection_.address(), "XREAD", **reply);
      }
      if (!failure.ok()) {
        if (!failing) {
          LogWarning(absl::StrCat("following ", key_, ": ", failure.message()));
        }
        failing = true;
        WaitToRetry();
        continue;
      }
      if (failing) LogInfo(absl::StrCat("following ", key_, " again"));
      failing = false;
      Deliver(**reply);
    }
  }

  // Hands the entries of an XREAD reply after `last_` to the listener.
  void Deliver(const redisReply& reply) {
    // Nil: the block timed out. Else [[key, [[id, fields], ...]]].
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0) return;
    const redisReply& stream = *reply.element[0];
    if (stream.type != REDIS_REPLY_ARRAY || stream.elements != 2) return;
    std::vector<StoredEvent> events;
    ParseEntries(*stream.element[1], key_, &events);
    // Advance past every entry read, even skipped ones.
    const redisReply& entries = *stream.element[1];
    if (entries.elements > 0) {
      const redisReply& newest = *entries.element[entries.elements - 1];
      if (newest.type == REDIS_REPLY_ARRAY && newest.elements > 0) {
        last_ = std::max(last_, SequenceOfId(Text(*newest.element[0])));
      }
    }
    if (!events.empty()) listener_->OnEvents(events);
  }

  // Waits out the connection's backoff (at least `retry_`, never less than
  // 10 ms: no spinning), or until stop.
  void WaitToRetry() {
    const absl::Duration wait =
        std::max({absl::Milliseconds(10), retry_,
                  connection_.next_attempt() - absl::Now()});
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), wait);
  }

  bool Stopped() {
    absl::MutexLock lock(&mu_);
    return stop_;
  }

  const std::shared_ptr<RedisCounters> counters_;  // Used by connection_.
  RedisConnection connection_;
  const std::string key_;
  const std::string block_ms_;
  const absl::Duration retry_;
  EventListener* const listener_;
  int64_t last_;  // Only the reader thread touches it.
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

RedisStore::RedisStore(RedisStoreOptions options)
    : options_(std::move(options)),
      pool_(ConnectionOptions(options_.command_timeout), options_.pool_size) {}

RedisStore::~RedisStore() = default;

RedisConnectionOptions RedisStore::ConnectionOptions(
    absl::Duration timeout) const {
  RedisConnectionOptions c;
  c.address = options_.address;
  c.connect_timeout = options_.connect_timeout;
  c.command_timeout = timeout;
  c.min_backoff = options_.min_backoff;
  c.max_backoff = options_.max_backoff;
  c.counters = counters_.get();
  return c;
}

std::string RedisStore::StateKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:state");
}

std::string RedisStore::EventsKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:events");
}

std::string RedisStore::LiveKey() const {
  return absl::StrCat(options_.key_prefix, ":live");
}

RedisStoreStats RedisStore::Stats() const {
  RedisStoreStats s;
  s.commands = counters_->commands.load();
  s.round_trips = counters_->round_trips.load();
  s.connects = counters_->connects.load();
  return s;
}

absl::Status RedisStore::Create(coach::internal::SessionRecord* record,
                                std::vector<coach::v1::SessionEvent>* events) {
  return Write(/*create=*/true, 0, record, events);
}

absl::Status RedisStore::Commit(int64_t expected_sequence,
                                coach::internal::SessionRecord* record,
                                std::vector<coach::v1::SessionEvent>* events) {
  return Write(/*create=*/false, expected_sequence, record, events);
}

absl::Status RedisStore::Write(bool create, int64_t expected_sequence,
                               coach::internal::SessionRecord* record,
                               std::vector<coach::v1::SessionEvent>* events) {
  const std::string& id = record->session_id();
  std::string epoch = create ? RandomId(6) : record->epoch();
  const bool finished =
      record->engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  const int64_t last = expected_sequence + static_cast<int64_t>(events->size());
  // What the caller passed, put back if nothing is stored.
  const std::string old_epoch = record->epoch();
  const int64_t old_last = record->last_sequence();
  struct Saved {
    std::string session_id, epoch;
    int64_t sequence;
  };
  std::vector<Saved> saved;
  saved.reserve(events->size());
  for (const coach::v1::SessionEvent& ev : *events) {
    saved.push_back({ev.session_id(), ev.epoch(), ev.sequence()});
  }
  auto restore = [&] {
    record->set_epoch(old_epoch);
    record->set_last_sequence(old_last);
    for (size_t i = 0; i < events->size(); ++i) {
      (*events)[i].set_session_id(saved[i].session_id);
      (*events)[i].set_epoch(saved[i].epoch);
      (*events)[i].set_sequence(saved[i].sequence);
    }
  };

  // Twice at most: a second time with the stored epoch if ours is stale.
  for (int attempt = 0; attempt < 2; ++attempt) {
    record->set_epoch(epoch);
    record->set_last_sequence(last);
    RedisCommand command = {
        "EVALSHA",
        WriteScriptSha(),
        "3",
        StateKey(id),
        EventsKey(id),
        LiveKey(),
        create ? "create" : "commit",
        absl::StrCat(expected_sequence),
        epoch,
        record->SerializeAsString(),
        id,
        absl::StrCat(record->created_us()),
        finished ? "1" : "0",
        absl::StrCat(absl::ToInt64Milliseconds(options_.finished_ttl)),
        absl::StrCat(options_.max_history)};
    int64_t seq = expected_sequence;
    for (coach::v1::SessionEvent& ev : *events) {
      ev.set_session_id(id);
      ev.set_epoch(epoch);
      ev.set_sequence(++seq);
      command.push_back(ev.SerializeAsString());
    }
    absl::StatusOr<RedisReply> reply;
    {
      RedisPool::Lease conn = pool_.Acquire();
      reply = conn->Command(command);
      if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR &&
          absl::StartsWith(Text(**reply), "NOSCRIPT")) {
        command[0] = "EVAL";
        command[1] = kWriteScript;
        reply = conn->Command(command);
      }
    }
    if (!reply.ok()) {
      restore();
      return reply.status();
    }
    const redisReply& r = **reply;
    if (r.type == REDIS_REPLY_ERROR) {
      restore();
      return RedisErrorStatus(options_.address, create ? "create" : "commit",
                              r);
    }
    const absl::string_view outcome =
        r.type == REDIS_REPLY_ARRAY && r.elements > 0 && IsString(*r.element[0])
            ? Text(*r.element[0])
            : "";
    const absl::string_view detail =
        r.type == REDIS_REPLY_ARRAY && r.elements > 1 && IsString(*r.element[1])
            ? Text(*r.element[1])
            : "";
    if (outcome == "ok") return absl::OkStatus();
    restore();
    if (outcome == "exists") {
      return absl::AlreadyExistsError(
          absl::StrCat("session ", id, " already exists"));
    }
    if (outcome == "missing") {
      return absl::NotFoundError(absl::StrCat("session ", id, " not found"));
    }
    if (outcome == "aborted") {
      return absl::AbortedError(
          absl::StrCat("session ", id, " changed: expected sequence ",
                       expected_sequence, ", stored ", detail));
    }
    if (outcome == "epoch" && attempt == 0) {
      epoch = std::string(detail);
      continue;
    }
    return absl::InternalError(absl::StrCat(
        "redis at ", options_.address.ToString(),
        ": unexpected reply to the write script for session ", id));
  }
  restore();
  return absl::AbortedError(
      absl::StrCat("session ", id, " changed epoch while committing"));
}

absl::StatusOr<coach::internal::SessionRecord> RedisStore::Load(
    absl::string_view session_id) {
  absl::StatusOr<RedisReply> reply =
      pool_.Acquire()->Command({"HGET", StateKey(session_id), "record"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "HGET", r);
  }
  if (r.type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  coach::internal::SessionRecord record;
  if (!record.ParseFromArray(r.str, static_cast<int>(r.len))) {
    return absl::DataLossError(absl::StrCat(
        "the record of session ", session_id, " in redis does not parse"));
  }
  return record;
}

absl::StatusOr<HistoryRead> RedisStore::ReadHistory(
    absl::string_view session_id, absl::string_view epoch,
    int64_t after_sequence, int max_events) {
  const std::string key = EventsKey(session_id);
  absl::StatusOr<std::vector<RedisReply>> replies = pool_.Acquire()->Pipeline(
      {{"HMGET", StateKey(session_id), "seq", "epoch"},
       {"XRANGE", key, absl::StrCat(std::max<int64_t>(0, after_sequence + 1)),
        "+", "COUNT", absl::StrCat(std::max(1, max_events))}});
  if (!replies.ok()) return replies.status();
  const redisReply& state = *(*replies)[0];
  const redisReply& range = *(*replies)[1];
  if (state.type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "HMGET", state);
  }
  if (range.type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "XRANGE", range);
  }
  if (state.type != REDIS_REPLY_ARRAY || state.elements != 2 ||
      state.element[0]->type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  HistoryRead read;
  if (!absl::SimpleAtoi(Text(*state.element[0]), &read.last_sequence)) {
    return absl::DataLossError(absl::StrCat(
        "the sequence of session ", session_id, " in redis does not parse"));
  }
  read.epoch = std::string(Text(*state.element[1]));
  if (epoch != read.epoch || after_sequence > read.last_sequence) {
    read.complete = false;
    return read;
  }
  // The range was read just after the state: drop what was committed since.
  ParseEntries(range, key, &read.events);
  while (!read.events.empty() &&
         read.events.back()->sequence() > read.last_sequence) {
    read.events.pop_back();
  }
  if (after_sequence < read.last_sequence &&
      (read.events.empty() ||
       read.events.front()->sequence() != after_sequence + 1)) {
    read.complete = false;  // Trimmed (or lost) before what was asked.
    read.events.clear();
    return read;
  }
  if (static_cast<int>(read.events.size()) > std::max(0, max_events)) {
    read.events.resize(std::max(0, max_events));
  }
  return read;
}

absl::StatusOr<std::unique_ptr<FollowHandle>> RedisStore::Follow(
    absl::string_view session_id, int64_t after_sequence,
    EventListener* listener) {
  absl::StatusOr<RedisReply> exists =
      pool_.Acquire()->Command({"EXISTS", StateKey(session_id)});
  if (!exists.ok()) return exists.status();
  if ((*exists)->type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "EXISTS", **exists);
  }
  if ((*exists)->integer == 0) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  return std::unique_ptr<FollowHandle>(new Follower(
      ConnectionOptions(options_.follow_block + options_.command_timeout),
      counters_, EventsKey(session_id), after_sequence, options_.follow_block,
      options_.min_backoff, listener));
}

absl::StatusOr<std::vector<std::string>> RedisStore::ListLive() {
  absl::StatusOr<RedisReply> reply =
      pool_.Acquire()->Command({"ZRANGE", LiveKey(), "0", "-1"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "ZRANGE", r);
  }
  std::vector<std::string> ids;
  for (size_t i = 0; r.type == REDIS_REPLY_ARRAY && i < r.elements; ++i) {
    ids.emplace_back(Text(*r.element[i]));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status RedisStore::Ping() {
  absl::StatusOr<RedisReply> reply = pool_.Acquire()->Command({"PING"});
  if (!reply.ok()) return reply.status();
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return RedisErrorStatus(options_.address, "PING", **reply);
  }
  return absl::OkStatus();
}

}  // namespace coachd
