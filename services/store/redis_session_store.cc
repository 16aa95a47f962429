#include "services/store/redis_session_store.h"

#include <algorithm>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/store/memory_session_store.h"

namespace coachd {
namespace {

// Create and Commit in one atomic step. Every check comes before the first
// write: Redis does not roll a script back when a command in it fails.
//   KEYS: state hash, event stream, live set.
//   ARGV: 'create'|'commit', expected sequence, epoch, record bytes,
//         session id, created_us, finished '1'|'0', ttl ms, max history,
//         commits channel, '1' to move the session to `epoch` after a
//         failover ('0' otherwise), then per stream entry to append its last
//         sequence and its events (an EventBatch), already numbered
//         expected+1.. by the caller (the script checks what it can; it
//         cannot edit).
//   Returns {'ok', last_sequence}, {'exists'}, {'missing'},
//   {'aborted', stored_sequence}, {'epoch', stored_epoch}, {'failover'} or
//   {'numbering'}.
// Lost writes: replication is asynchronous, so a replica promoted by a
// failover may lack a session's last events, which devices may have got.
// The state hash keeps `hist`, the replication id of the server that wrote
// it last. A commit on a server whose history began with a promotion since
// then (its replication id differs and it has a replid2: it took over from
// another) returns {'failover'}; the caller commits again with a new epoch
// and the flag, and devices get a not-recovered snapshot instead of events
// that may differ from those they saw. A restarted server (no replid2) keeps
// its history: its AOF is what it had.
//   When it appended events it publishes "<last_sequence> <session id>" on
//   the commits channel (for the followers of every replica).
// A commit's events are one stream entry (kMaxEventsPerEntry at most, more
// take several) with id "<its last sequence>-0" and one field "b", the
// batch. The script handles a few strings per commit, not one per event:
// Lua copying each argument was most of what a write cost Redis. Entries
// whose events are all more than max history behind the newest are trimmed
// (MINID ~, whole stream nodes at a time).
constexpr char kWriteScript[] = R"lua(
local state, log, live = KEYS[1], KEYS[2], KEYS[3]
local expected = tonumber(ARGV[2])
local seq = expected
for i = 12, #ARGV - 1, 2 do
  local last = tonumber(ARGV[i])
  if not last or last <= seq then return {'numbering'} end
  seq = last
end
local repl = redis.call('INFO', 'replication')
local hist = string.match(repl, 'master_replid:(%x+)') or ''
local took_over = not string.match(
  string.match(repl, 'master_replid2:(%x+)') or '0', '^0+$')
local stored = redis.call('HMGET', state, 'seq', 'epoch', 'hist')
if ARGV[1] == 'create' then
  if stored[1] then return {'exists'} end
  redis.call('DEL', log)
else
  if not stored[1] then return {'missing'} end
  if tonumber(stored[1]) ~= expected then return {'aborted', stored[1]} end
  local moved = stored[3] and stored[3] ~= hist and took_over
  if ARGV[11] == '1' then
    if not moved then return {'epoch', stored[2]} end
  else
    if moved then return {'failover'} end
    if stored[2] ~= ARGV[3] then return {'epoch', stored[2]} end
  end
end
local minid = string.format('%d', math.max(0, seq - tonumber(ARGV[9]) + 1))
for i = 12, #ARGV - 1, 2 do
  redis.call('XADD', log, 'MINID', '~', minid, ARGV[i] .. '-0', 'b', ARGV[i + 1])
end
redis.call('HSET', state, 'record', ARGV[4],
           'seq', string.format('%d', seq), 'epoch', ARGV[3], 'hist', hist)
if ARGV[7] == '1' then
  redis.call('ZREM', live, ARGV[5])
  redis.call('PEXPIRE', state, ARGV[8])
  redis.call('PEXPIRE', log, ARGV[8])
elseif ARGV[1] == 'create' then
  redis.call('ZADD', live, ARGV[6], ARGV[5])
end
if seq > expected then
  redis.call('PUBLISH', ARGV[10], string.format('%d ', seq) .. ARGV[5])
end
return {'ok', seq}
)lua";

const RedisScript& WriteScript() {
  static const RedisScript& script = RedisScript::Of(kWriteScript);
  return script;
}

}  // namespace

RedisSessionStore::RedisSessionStore(RedisClient* client,
                                     RedisSessionStoreOptions options)
    : client_(client),
      options_(std::move(options)),
      followers_(FollowersOptions(), client_),
      recent_(options_.recent) {}

RedisSessionStore::~RedisSessionStore() = default;

RedisFollowersOptions RedisSessionStore::FollowersOptions() const {
  RedisFollowersOptions f;
  f.subscriber = client_->ConnectionOptions(client_->options().command_timeout);
  f.channel = CommitsChannel();
  f.poll = options_.follow_block;
  f.retry = client_->options().min_backoff;
  return f;
}

std::string RedisSessionStore::StateKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:state");
}

std::string RedisSessionStore::EventsKey(absl::string_view session_id) const {
  return absl::StrCat(options_.key_prefix, ":{", session_id, "}:events");
}

std::string RedisSessionStore::LiveKey() const {
  return absl::StrCat(options_.key_prefix, ":live");
}

std::string RedisSessionStore::CommitsChannel() const {
  return absl::StrCat(options_.key_prefix, ":commits");
}

RedisSessionStoreStats RedisSessionStore::Stats() const {
  const RedisClientStats client = client_->Stats();
  RedisSessionStoreStats s;
  s.commands = client.commands;
  s.round_trips = client.round_trips;
  s.connects = client.connects;
  s.subscribes = followers_.subscribes();
  s.catch_up_reads = followers_.catch_up_reads();
  s.recent_hits = recent_hits_.load();
  return s;
}

absl::StatusOr<std::vector<StoredEvent>> RedisSessionStore::Create(
    coach::internal::SessionRecord* record,
    std::vector<coach::v1::SessionEvent> events) {
  return Write(/*create=*/true, 0, record, std::move(events));
}

absl::StatusOr<std::vector<StoredEvent>> RedisSessionStore::Commit(
    int64_t expected_sequence, coach::internal::SessionRecord* record,
    std::vector<coach::v1::SessionEvent> events) {
  return Write(/*create=*/false, expected_sequence, record, std::move(events));
}

absl::StatusOr<std::vector<StoredEvent>> RedisSessionStore::Write(
    bool create, int64_t expected_sequence,
    coach::internal::SessionRecord* record,
    std::vector<coach::v1::SessionEvent> events) {
  const std::string& id = record->session_id();
  std::string epoch = create ? RandomId(6) : record->epoch();
  const bool finished =
      record->engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  const absl::Time began = absl::Now();
  const int64_t last = expected_sequence + static_cast<int64_t>(events.size());
  // What the caller passed, put back if nothing is stored. The events are
  // ours: each attempt numbers and serializes them afresh.
  const std::string old_epoch = record->epoch();
  const int64_t old_last = record->last_sequence();
  auto restore = [&] {
    record->set_epoch(old_epoch);
    record->set_last_sequence(old_last);
  };
  // This store's followers of the session get the events from here, as
  // written (EndWrite), rather than read back from Redis.
  const bool followed = !events.empty() && followers_.BeginWrite(id);
  // If the write fails: EndWrite with nothing written. Cancelled when it
  // took (EndWrite then gets the events written).
  absl::Cleanup end_failed = [&] {
    if (followed) followers_.EndWrite(id, {});
  };

  // A second time with the stored epoch if ours is stale, or with a new
  // one after a failover; a third if both.
  bool new_history = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    record->set_epoch(epoch);
    record->set_last_sequence(last);
    RedisCommand command = WriteScript().Call(
        {StateKey(id), EventsKey(id), LiveKey()},
        {create ? "create" : "commit", absl::StrCat(expected_sequence), epoch,
         record->SerializeAsString(), id, absl::StrCat(record->created_us()),
         finished ? "1" : "0",
         absl::StrCat(absl::ToInt64Milliseconds(options_.finished_ttl)),
         absl::StrCat(options_.max_history), CommitsChannel(),
         new_history ? "1" : "0"});
    // The events numbered and serialized (their wire form), then batched
    // into entries.
    std::vector<coach::internal::EventBatch> batches(
        (events.size() + kMaxEventsPerEntry - 1) / kMaxEventsPerEntry);
    int64_t seq = expected_sequence;
    for (size_t i = 0; i < events.size(); ++i) {
      coach::v1::SessionEvent& ev = events[i];
      ev.set_session_id(id);
      ev.set_epoch(epoch);
      ev.set_sequence(++seq);
      coach::internal::EventBatch& batch = batches[i / kMaxEventsPerEntry];
      ev.SerializeToString(batch.add_events());
      if (batch.events_size() == kMaxEventsPerEntry || seq == last) {
        command.push_back(absl::StrCat(seq));
        command.push_back(batch.SerializeAsString());
      }
    }
    absl::StatusOr<std::vector<RedisReply>> replies =
        client_->RunScripts({&WriteScript()}, {std::move(command)});
    absl::Status failed = replies.status();
    if (failed.ok()) {
      failed = client_->Check(create ? "create" : "commit", *replies->front());
    }
    if (!failed.ok()) {
      restore();
      return failed;
    }
    const redisReply& r = *replies->front();
    const absl::string_view outcome = ElementText(r, 0);
    const absl::string_view detail = ElementText(r, 1);
    if (outcome == "ok") {
      // The bytes just sent are the wire form.
      std::vector<StoredEvent> written;
      written.reserve(events.size());
      for (size_t i = 0; i < events.size(); ++i) {
        written.push_back(StoredEvent::MakeSerialized(
            std::move(events[i]),
            std::move(*batches[i / kMaxEventsPerEntry].mutable_events(
                static_cast<int>(i % kMaxEventsPerEntry)))));
      }
      std::move(end_failed).Cancel();
      if (followed) followers_.EndWrite(id, written);
      // Finished sessions too: devices often join or resume just after.
      // Their state cannot change any more, so until the session expires
      // (counted from before the write, as Redis counts from after it)
      // history reads of it need no Redis at all.
      recent_.Add(
          id, epoch, written,
          finished ? began + options_.finished_ttl : absl::InfinitePast());
      return written;
    }
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
    if (outcome == "numbering") {
      return absl::InternalError(absl::StrCat(
          "session ", id, ": the write script refused the events' numbering"));
    }
    if (outcome == "epoch" && attempt < 2) {
      epoch = std::string(detail);
      new_history = false;
      continue;
    }
    if (outcome == "failover" && attempt < 2) {
      // Events since the session's last write may be lost: a new epoch.
      LogWarning(absl::StrCat("session ", id, ": redis at ",
                              client_->address().ToString(),
                              " failed over since its last write; events "
                              "may be lost: new history epoch"));
      epoch = RandomId(6);
      new_history = true;
      continue;
    }
    return absl::InternalError(absl::StrCat(
        "redis at ", client_->address().ToString(),
        ": unexpected reply to the write script for session ", id));
  }
  restore();
  return absl::AbortedError(
      absl::StrCat("session ", id, " changed epoch while committing"));
}

absl::StatusOr<coach::internal::SessionRecord> RedisSessionStore::Load(
    absl::string_view session_id) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGET", StateKey(session_id), "record"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
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

absl::StatusOr<HistoryRead> RedisSessionStore::ReadHistory(
    absl::string_view session_id, absl::string_view epoch,
    int64_t after_sequence, int max_events) {
  const std::string key = EventsKey(session_id);
  // What this store wrote itself needs no reading back: Redis is asked for
  // the state and for what comes after the kept events.
  std::vector<StoredEvent> kept =
      recent_.After(session_id, epoch, after_sequence, std::max(0, max_events));
  // Kept events that fill the request, or reach the end of a session that
  // finished here: nothing to ask Redis.
  const int64_t final_sequence =
      recent_.FinalSequence(session_id, epoch, absl::Now());
  const bool filled =
      max_events > 0 && static_cast<int>(kept.size()) >= max_events;
  const bool to_the_end =
      final_sequence >= 0 && after_sequence <= final_sequence &&
      (kept.empty() ? after_sequence : kept.back()->sequence()) ==
          final_sequence;
  if (filled || to_the_end) {
    HistoryRead read;
    read.epoch = std::string(epoch);
    read.last_sequence = to_the_end ? final_sequence : kept.back()->sequence();
    read.events = std::move(kept);
    recent_hits_.fetch_add(static_cast<int64_t>(read.events.size()));
    return read;
  }
  const int64_t read_from = std::max<int64_t>(0, after_sequence + 1) +
                            static_cast<int64_t>(kept.size());
  absl::StatusOr<std::vector<RedisReply>> replies = client_->Pipeline(
      {{"HMGET", StateKey(session_id), "seq", "epoch"},
       {"XRANGE", key, absl::StrCat(read_from), "+", "COUNT",
        absl::StrCat(std::max<int64_t>(
            1, max_events - static_cast<int64_t>(kept.size())))}});
  if (!replies.ok()) return replies.status();
  const redisReply& state = *(*replies)[0];
  const redisReply& range = *(*replies)[1];
  absl::Status checked = client_->Check("HMGET", state);
  if (checked.ok()) checked = client_->Check("XRANGE", range);
  if (!checked.ok()) return checked;
  if (state.type != REDIS_REPLY_ARRAY || state.elements != 2 ||
      state.element[0]->type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  HistoryRead read;
  if (!absl::SimpleAtoi(ReplyText(*state.element[0]), &read.last_sequence)) {
    return absl::DataLossError(absl::StrCat(
        "the sequence of session ", session_id, " in redis does not parse"));
  }
  read.epoch = std::string(ElementText(state, 1));
  if (epoch != read.epoch || after_sequence > read.last_sequence) {
    read.complete = false;
    return read;
  }
  // The range was read just after the state: drop what was committed since.
  read.events = std::move(kept);
  recent_hits_.fetch_add(static_cast<int64_t>(read.events.size()));
  ParseStreamEntries(range, key, read_from - 1, &read.events);
  while (!read.events.empty() &&
         read.events.back()->sequence() > read.last_sequence) {
    read.events.pop_back();
  }
  bool contiguous = true;
  for (size_t i = 1; i < read.events.size() && contiguous; ++i) {
    contiguous =
        read.events[i]->sequence() == read.events[i - 1]->sequence() + 1;
  }
  if (!contiguous || (after_sequence < read.last_sequence &&
                      (read.events.empty() || read.events.front()->sequence() !=
                                                  after_sequence + 1))) {
    // Trimmed (or lost) before what was asked, or an entry in between that
    // did not parse: the reader cannot be caught up event by event.
    read.complete = false;
    read.events.clear();
    return read;
  }
  if (static_cast<int>(read.events.size()) > std::max(0, max_events)) {
    read.events.resize(std::max(0, max_events));
  }
  return read;
}

absl::StatusOr<std::unique_ptr<FollowHandle>> RedisSessionStore::Follow(
    absl::string_view session_id, int64_t after_sequence,
    EventListener* listener) {
  return followers_.Follow(session_id, StateKey(session_id),
                           EventsKey(session_id), after_sequence, listener);
}

absl::StatusOr<std::vector<std::string>> RedisSessionStore::ListLive() {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"ZRANGE", LiveKey(), "0", "-1"});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  absl::Status array = CheckArray(client_->address(), "ZRANGE", r);
  if (!array.ok()) return array;
  std::vector<std::string> ids;
  for (size_t i = 0; i < r.elements; ++i) {
    ids.emplace_back(ElementText(r, i));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::Status RedisSessionStore::Ping() {
  return client_->Call({"PING"}).status();
}

}  // namespace coachd
