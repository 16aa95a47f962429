#include "services/scheduler/redis_scheduler_store.h"

#include <algorithm>
#include <cstdint>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/log.h"
#include "services/scheduler/scheduler_records.h"

namespace coachd {
namespace {

// Helpers every script starts with. A reminder is stored as
//   "<state> <day> <due_us> <expires_us> <version> <snoozes> <content>"
// where the scripts read and write the six scheduling fields and carry
// <content> (a coach.internal.ReminderContent) as it is. Numbers stay below
// 2^53, so Lua's doubles hold them exactly; '%.0f' prints them without an
// exponent.
constexpr char kPrelude[] = R"lua(
local function parse(v)
  local st, day, due, exp, ver, snz, rest = string.match(v,
      '^(%a+) (%-?%d+) (%-?%d+) (%-?%d+) (%d+) (%d+) (.*)$')
  if not st then return nil end
  return {st = st, day = tonumber(day), due = tonumber(due),
          exp = tonumber(exp), ver = tonumber(ver), snz = tonumber(snz),
          rest = rest}
end
local function encode(r)
  return string.format('%s %.0f %.0f %.0f %.0f %.0f ', r.st, r.day, r.due,
                       r.exp, r.ver, r.snz) .. r.rest
end
local function scheduled(r)
  return r.st == 'planned' or r.st == 'snoozed' or r.st == 'due'
end
-- Writes r under id and, while it waits, its due-set entry.
local function store(rem, due, member, id, r)
  local v = encode(r)
  redis.call('HSET', rem, id, v)
  if scheduled(r) then
    local at = r.due
    if r.st == 'due' then at = r.exp end
    redis.call('ZADD', due, string.format('%.0f', at), member)
  end
  return v
end
-- Tells every replica's followers.
local function tell(changes, maxlen, person, id, v)
  redis.call('XADD', changes, 'MAXLEN', '~', maxlen, '*',
             'p', person, 'i', id, 'r', v)
end
)lua";

// Makes `next` the person's one planned reminder (or none), keeping a
// reminder with its id that is past planning, and forgets closed reminders
// of days before forget_before.
//   KEYS: reminders hash, due set.
//   ARGV: person, forget_before, next id ('' for none), next day, due_us,
//         expires_us, snoozes, content.
//   Returns 'ok' or 'kept'.
constexpr char kSetPlannedBody[] = R"lua(
local rem, due = KEYS[1], KEYS[2]
local person, forget, next_id = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local all = redis.call('HGETALL', rem)
for i = 1, #all, 2 do
  local id, r = all[i], parse(all[i + 1])
  if r then
    local replaced = r.st == 'planned' and id ~= next_id
    local forgotten = (r.st == 'done' or r.st == 'cleared') and r.day < forget
    if replaced or forgotten then
      redis.call('HDEL', rem, id)
      redis.call('ZREM', due, id .. '|' .. person)
    end
  end
end
if next_id == '' then return 'ok' end
local version = 0
local current = redis.call('HGET', rem, next_id)
if current then
  local r = parse(current)
  if r and r.st ~= 'planned' then return 'kept' end
  if r then version = r.ver end
end
store(rem, due, next_id .. '|' .. person, next_id,
      {st = 'planned', day = tonumber(ARGV[4]), due = tonumber(ARGV[5]),
       exp = tonumber(ARGV[6]), ver = version + 1, snz = tonumber(ARGV[7]),
       rest = ARGV[8]})
return 'ok'
)lua";

// Claims one reminder of the due window: only if its member is still in the
// due set at a due score (so of several racing callers exactly one wins),
// then moves it on and tells followers of a change they can see.
//   KEYS: reminders hash, due set, change stream.
//   ARGV: person, id, now_us, max changes.
//   Returns the stored reminder, nil when not claimed, {'corrupt'}.
constexpr char kClaimBody[] = R"lua(
local rem, due, changes = KEYS[1], KEYS[2], KEYS[3]
local person, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local member = id .. '|' .. person
local score = redis.call('ZSCORE', due, member)
if not score or tonumber(score) > now then return false end
redis.call('ZREM', due, member)
local v = redis.call('HGET', rem, id)
if not v then return false end
local r = parse(v)
if not r then return {'corrupt'} end
if not scheduled(r) then return false end
local seen = r.st ~= 'planned'
if r.st == 'due' or now >= r.exp then
  r.st = 'cleared'
else
  r.st = 'due'
end
r.ver = r.ver + 1
v = store(rem, due, member, id, r)
if seen or r.st == 'due' then tell(changes, ARGV[4], person, id, v) end
return v
)lua";

// Marks a fired reminder done or snoozes it.
//   KEYS: reminders hash, due set, change stream.
//   ARGV: person, id, '1' snooze | '0' done, until_us, linger_us,
//         max changes.
//   Returns {'ok', reminder}, {'missing'}, {'closed', state}, {'corrupt'}.
constexpr char kAckBody[] = R"lua(
local rem, due, changes = KEYS[1], KEYS[2], KEYS[3]
local person, id, snooze = ARGV[1], ARGV[2], ARGV[3] == '1'
local v = redis.call('HGET', rem, id)
if not v then return {'missing'} end
local r = parse(v)
if not r then return {'corrupt'} end
if r.st == 'planned' then return {'missing'} end
if not snooze and r.st == 'done' then return {'ok', v} end
if r.st ~= 'due' and r.st ~= 'snoozed' then return {'closed', r.st} end
local member = id .. '|' .. person
redis.call('ZREM', due, member)
if snooze then
  local untl = tonumber(ARGV[4])
  r.st = 'snoozed'
  r.due = untl
  r.snz = r.snz + 1
  if untl >= r.exp then r.exp = untl + tonumber(ARGV[5]) end
else
  r.st = 'done'
end
r.ver = r.ver + 1
v = store(rem, due, member, id, r)
tell(changes, ARGV[6], person, id, v)
return {'ok', v}
)lua";

// Clears those of the ids that are due or snoozed.
//   KEYS: reminders hash, due set, change stream.
//   ARGV: person, max changes, id...
constexpr char kClearBody[] = R"lua(
local rem, due, changes = KEYS[1], KEYS[2], KEYS[3]
local person = ARGV[1]
for i = 3, #ARGV do
  local id = ARGV[i]
  local v = redis.call('HGET', rem, id)
  local r = v and parse(v)
  if r and (r.st == 'due' or r.st == 'snoozed') then
    local member = id .. '|' .. person
    redis.call('ZREM', due, member)
    r.st = 'cleared'
    r.ver = r.ver + 1
    tell(changes, ARGV[2], person, id, store(rem, due, member, id, r))
  end
end
return 'ok'
)lua";

constexpr int kReadBatch = 256;  // Change-stream entries per XREAD.
constexpr int kClaimRounds = 8;  // Windows ClaimDue reads at most.

// A script: the prelude, then `body`.
const RedisScript* MakeScript(const char* body) {
  return new RedisScript(absl::StrCat(kPrelude, body));
}

const RedisScript& SetPlannedScript() {
  static const RedisScript* s = MakeScript(kSetPlannedBody);
  return *s;
}
const RedisScript& ClaimScript() {
  static const RedisScript* s = MakeScript(kClaimBody);
  return *s;
}
const RedisScript& AckScript() {
  static const RedisScript* s = MakeScript(kAckBody);
  return *s;
}
const RedisScript& ClearScript() {
  static const RedisScript* s = MakeScript(kClearBody);
  return *s;
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// A stream entry id "<ms>-<seq>", comparable.
using StreamId = std::pair<uint64_t, uint64_t>;

bool ParseStreamId(absl::string_view text, StreamId* id) {
  const size_t dash = text.find('-');
  if (dash == absl::string_view::npos) return false;
  return absl::SimpleAtoi(text.substr(0, dash), &id->first) &&
         absl::SimpleAtoi(text.substr(dash + 1), &id->second);
}

}  // namespace

// One listener of one person.
struct RedisSchedulerStore::Follower {
  std::string person;
  ReminderListener* listener;
  StreamId after;  // Hears the change-stream entries after this one.
};

// Unfollows when destroyed.
class RedisSchedulerStore::Watch : public ReminderWatch {
 public:
  Watch(RedisSchedulerStore* store, Follower* follower)
      : store_(store), follower_(follower) {}
  ~Watch() override { store_->Unfollow(follower_); }

 private:
  RedisSchedulerStore* store_;
  Follower* follower_;
};

// The thread that reads the change stream with XREAD BLOCK on its own
// connection and hands each change to the store's followers.
class RedisSchedulerStore::Reader {
 public:
  Reader(RedisSchedulerStore* store, const RedisConnectionOptions& options,
         std::string key, StreamId start, absl::Duration block,
         absl::Duration retry)
      : store_(store),
        connection_(options),
        key_(std::move(key)),
        block_ms_(absl::StrCat(
            std::max<int64_t>(1, absl::ToInt64Milliseconds(block)))),
        retry_(retry),
        last_(absl::StrCat(start.first, "-", start.second)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~Reader() {
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
    bool resync = false;
    while (!Stopped()) {
      absl::StatusOr<RedisReply> reply =
          connection_.Command({"XREAD", "COUNT", absl::StrCat(kReadBatch),
                               "BLOCK", block_ms_, "STREAMS", key_, last_});
      if (absl::IsCancelled(reply.status())) return;
      absl::Status failure = reply.status();
      if (failure.ok()) {
        failure = CheckReply(connection_.address(), "XREAD", **reply);
      }
      if (failure.ok()) {
        Handle(**reply);
        // Back after a failure: the stream may have been trimmed past us.
        if (resync) failure = Resync();
      }
      if (!failure.ok()) {
        if (!failing) {
          LogWarning(absl::StrCat("reminder changes (", key_,
                                  "): ", failure.message()));
        }
        failing = true;
        resync = true;
        WaitToRetry();
        continue;
      }
      if (failing) LogInfo(absl::StrCat("reminder changes (", key_, ") again"));
      failing = false;
      resync = false;
    }
  }

  // Delivers the entries of an XREAD reply:
  // nil (the block timed out) or [[key, [[id, [f, v, ...]], ...]]].
  void Handle(const redisReply& reply) {
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0) return;
    const redisReply& stream = *reply.element[0];
    if (stream.type != REDIS_REPLY_ARRAY || stream.elements != 2 ||
        stream.element[1]->type != REDIS_REPLY_ARRAY) {
      return;
    }
    const redisReply& entries = *stream.element[1];
    for (size_t i = 0; i < entries.elements; ++i) {
      const redisReply& entry = *entries.element[i];
      if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2 ||
          !IsStringReply(*entry.element[0])) {
        continue;
      }
      const std::string id(ReplyText(*entry.element[0]));
      last_ = id;  // Past every entry read, even a malformed one.
      const redisReply& fields = *entry.element[1];
      absl::string_view person, reminder_id, value;
      for (size_t f = 0;
           fields.type == REDIS_REPLY_ARRAY && f + 1 < fields.elements;
           f += 2) {
        const absl::string_view name = ElementText(fields, f);
        const absl::string_view text = ElementText(fields, f + 1);
        if (name == "p") person = text;
        if (name == "i") reminder_id = text;
        if (name == "r") value = text;
      }
      ReminderRecord r;
      if (!DecodeReminder(person, reminder_id, value, &r)) {
        LogWarning(absl::StrCat("reminder changes (", key_, "): entry ", id,
                                " is not a reminder; skipped"));
        continue;
      }
      store_->Deliver(id, r);
    }
  }

  // Re-delivers the visible reminders of everyone followed.
  absl::Status Resync() {
    for (const std::string& person : store_->FollowedPeople()) {
      absl::StatusOr<std::vector<ReminderRecord>> all =
          store_->ListReminders(person);
      if (!all.ok()) return all.status();
      for (const ReminderRecord& r : *all) {
        if (r.state != ReminderState::kPlanned) store_->Deliver("", r);
      }
    }
    return absl::OkStatus();
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

  RedisSchedulerStore* const store_;
  RedisConnection connection_;
  const std::string key_;
  const std::string block_ms_;
  const absl::Duration retry_;
  std::string last_;  // Only the reader thread touches it.
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

RedisSchedulerStore::RedisSchedulerStore(RedisClient* client,
                                         RedisSchedulerStoreOptions options)
    : client_(client), options_(std::move(options)) {}

RedisSchedulerStore::~RedisSchedulerStore() {
  std::unique_ptr<Reader> reader;
  {
    absl::MutexLock lock(&reader_mu_);
    reader = std::move(reader_);
  }
  reader.reset();  // Joins the thread, which uses the pool and followers.
}

std::string RedisSchedulerStore::GoalKey(absl::string_view person) const {
  return absl::StrCat(options_.key_prefix, ":sched:{", person, "}:goal");
}

std::string RedisSchedulerStore::DoneKey(absl::string_view person) const {
  return absl::StrCat(options_.key_prefix, ":sched:{", person, "}:done");
}

std::string RedisSchedulerStore::RemindersKey(absl::string_view person) const {
  return absl::StrCat(options_.key_prefix, ":sched:{", person, "}:rem");
}

std::string RedisSchedulerStore::DueKey() const {
  return absl::StrCat(options_.key_prefix, ":sched:due");
}

std::string RedisSchedulerStore::ChangesKey() const {
  return absl::StrCat(options_.key_prefix, ":sched:changes");
}

absl::StatusOr<GoalRecord> RedisSchedulerStore::LoadGoal(
    absl::string_view person) {
  absl::StatusOr<RedisReply> reply = client_->Call({"GET", GoalKey(person)});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  if (r.type != REDIS_REPLY_STRING) {
    return absl::NotFoundError(absl::StrCat(
        "no goal set for \"", person, "\" yet; set one with `coachctl goal`"));
  }
  GoalRecord goal;
  if (!DecodeGoal(ReplyText(r), &goal)) {
    return absl::DataLossError(absl::StrCat("the goal at ", GoalKey(person),
                                            " in redis does not parse"));
  }
  return goal;
}

absl::Status RedisSchedulerStore::SaveGoal(absl::string_view person,
                                           const GoalRecord& goal) {
  return client_->Call({"SET", GoalKey(person), EncodeGoal(goal)}).status();
}

absl::StatusOr<bool> RedisSchedulerStore::AddCompletion(
    absl::string_view person, const CompletionRecord& completion) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HSETNX", DoneKey(person), completion.key,
                     EncodeCompletion(completion)});
  if (!reply.ok()) return reply.status();
  absl::StatusOr<int64_t> added =
      ReplyInteger(client_->address(), "HSETNX", **reply);
  if (!added.ok()) return added.status();
  return *added == 1;
}

absl::StatusOr<std::vector<CompletionRecord>>
RedisSchedulerStore::ListCompletions(absl::string_view person,
                                     DayNumber from_day) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGETALL", DoneKey(person)});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  absl::Status array = CheckArray(client_->address(), "HGETALL", r);
  if (!array.ok()) return array;
  std::vector<CompletionRecord> out;
  for (size_t i = 0; i + 1 < r.elements; i += 2) {
    CompletionRecord c;
    c.key = std::string(ElementText(r, i));
    if (!DecodeCompletion(ElementText(r, i + 1), &c)) {
      return absl::DataLossError(absl::StrCat("completion \"", c.key, "\" at ",
                                              DoneKey(person),
                                              " in redis does not parse"));
    }
    if (c.day >= from_day) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const CompletionRecord& a, const CompletionRecord& b) {
              return std::tie(a.day, a.at, a.key) <
                     std::tie(b.day, b.at, b.key);
            });
  return out;
}

absl::StatusOr<std::vector<ReminderRecord>> RedisSchedulerStore::ListReminders(
    absl::string_view person) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGETALL", RemindersKey(person)});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  absl::Status array = CheckArray(client_->address(), "HGETALL", r);
  if (!array.ok()) return array;
  std::vector<ReminderRecord> out;
  for (size_t i = 0; i + 1 < r.elements; i += 2) {
    ReminderRecord reminder;
    if (!DecodeReminder(person, ElementText(r, i), ElementText(r, i + 1),
                        &reminder)) {
      // One bad record must not hide the person's other reminders.
      LogWarning(absl::StrCat("reminder \"", ElementText(r, i), "\" at ",
                              RemindersKey(person),
                              " does not parse; skipped"));
      continue;
    }
    out.push_back(std::move(reminder));
  }
  std::sort(out.begin(), out.end(),
            [](const ReminderRecord& a, const ReminderRecord& b) {
              return a.id < b.id;
            });
  return out;
}

absl::Status RedisSchedulerStore::SetPlanned(
    absl::string_view person, const std::optional<ReminderRecord>& next,
    DayNumber forget_before) {
  std::vector<std::string> args = {std::string(person),
                                   absl::StrCat(forget_before)};
  if (next.has_value()) {
    args.insert(
        args.end(),
        {next->id, absl::StrCat(next->day), absl::StrCat(Micros(next->due)),
         absl::StrCat(Micros(next->expires)), absl::StrCat(next->snoozes),
         EncodeContent(*next)});
  } else {
    args.insert(args.end(), {"", "0", "0", "0", "0", ""});
  }
  return client_
      ->Eval(SetPlannedScript(), {RemindersKey(person), DueKey()}, args,
             "SetPlanned script")
      .status();
}

absl::StatusOr<std::vector<ReminderRecord>> RedisSchedulerStore::ClaimWindow(
    absl::Time now, int max, bool* window_full) {
  const std::string now_us = absl::StrCat(Micros(now));
  absl::StatusOr<RedisReply> window =
      client_->Call({"ZRANGEBYSCORE", DueKey(), "-inf", now_us, "LIMIT", "0",
                     absl::StrCat(max)});
  if (!window.ok()) return window.status();
  const redisReply& w = **window;
  absl::Status array = CheckArray(client_->address(), "ZRANGEBYSCORE", w);
  if (!array.ok()) return array;
  *window_full = static_cast<int>(w.elements) >= max;
  std::vector<std::pair<std::string, std::string>> candidates;  // Person, id.
  std::vector<RedisCommand> calls;
  const std::string max_changes = absl::StrCat(options_.max_changes);
  for (size_t i = 0; i < w.elements; ++i) {
    const absl::string_view member = ElementText(w, i);
    const size_t bar = member.find('|');
    if (bar == absl::string_view::npos) {
      LogWarning(absl::StrCat("due reminder \"", member, "\" in ", DueKey(),
                              " names no person; ignored"));
      continue;
    }
    std::string id(member.substr(0, bar));
    std::string person(member.substr(bar + 1));
    calls.push_back(
        ClaimScript().Call({RemindersKey(person), DueKey(), ChangesKey()},
                           {person, id, now_us, max_changes}));
    candidates.emplace_back(std::move(person), std::move(id));
  }
  std::vector<ReminderRecord> claimed;
  if (calls.empty()) return claimed;
  const std::vector<const RedisScript*> scripts(calls.size(), &ClaimScript());
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->RunScripts(scripts, std::move(calls));
  if (!replies.ok()) return replies.status();
  absl::Status first_error;
  for (size_t i = 0; i < replies->size(); ++i) {
    const redisReply& r = *(*replies)[i];
    const auto& [person, id] = candidates[i];
    const absl::Status checked = client_->Check("claim script", r);
    if (!checked.ok()) {
      if (first_error.ok()) first_error = checked;
      continue;
    }
    if (r.type == REDIS_REPLY_ARRAY) {  // {'corrupt'}: taken off the due set.
      LogWarning(absl::StrCat("reminder \"", id, "\" at ", RemindersKey(person),
                              " does not parse; it will not fire"));
      continue;
    }
    if (r.type != REDIS_REPLY_STRING) continue;  // Another caller's.
    ReminderRecord reminder;
    if (DecodeReminder(person, id, ReplyText(r), &reminder)) {
      claimed.push_back(std::move(reminder));
    }
  }
  if (!first_error.ok()) {
    if (claimed.empty()) return first_error;
    LogWarning(first_error.message());  // Report what did move on.
  }
  return claimed;
}

absl::StatusOr<std::vector<ReminderRecord>> RedisSchedulerStore::ClaimDue(
    absl::Time now, int max) {
  std::vector<ReminderRecord> out;
  for (int round = 0;
       round < kClaimRounds && static_cast<int>(out.size()) < max; ++round) {
    const int wanted = max - static_cast<int>(out.size());
    bool full = false;
    absl::StatusOr<std::vector<ReminderRecord>> got =
        ClaimWindow(now, wanted, &full);
    if (!got.ok()) {
      if (out.empty()) return got.status();
      break;  // Return what was claimed; the next call reports the error.
    }
    const bool lost = static_cast<int>(got->size()) < wanted;
    for (ReminderRecord& r : *got) out.push_back(std::move(r));
    // Only when others took part of a full window can more be due.
    if (!full || !lost) break;
  }
  return out;
}

absl::StatusOr<ReminderRecord> RedisSchedulerStore::Acknowledge(
    absl::string_view person, absl::string_view id, const ReminderAck& ack) {
  absl::StatusOr<RedisReply> reply =
      client_->Eval(AckScript(), {RemindersKey(person), DueKey(), ChangesKey()},
                    {std::string(person), std::string(id),
                     ack.snooze ? "1" : "0", absl::StrCat(Micros(ack.until)),
                     absl::StrCat(absl::ToInt64Microseconds(kSnoozeLinger)),
                     absl::StrCat(options_.max_changes)},
                    "acknowledge script");
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  const absl::string_view outcome = ElementText(r, 0);
  if (outcome == "ok") {
    ReminderRecord reminder;
    if (DecodeReminder(person, id, ElementText(r, 1), &reminder)) {
      return reminder;
    }
  } else if (outcome == "missing") {
    return absl::NotFoundError(
        absl::StrCat("reminder_id: no reminder \"", id, "\" has fired"));
  } else if (outcome == "closed") {
    return absl::FailedPreconditionError(
        absl::StrCat("reminder ", id, " is ", ElementText(r, 1),
                     "; only a due or snoozed reminder can be acknowledged"));
  }
  return absl::DataLossError(absl::StrCat("reminder \"", id, "\" at ",
                                          RemindersKey(person),
                                          " in redis does not parse"));
}

absl::Status RedisSchedulerStore::ClearOpen(
    absl::string_view person, const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  std::vector<std::string> args = {std::string(person),
                                   absl::StrCat(options_.max_changes)};
  args.insert(args.end(), ids.begin(), ids.end());
  return client_
      ->Eval(ClearScript(), {RemindersKey(person), DueKey(), ChangesKey()},
             args, "clear script")
      .status();
}

absl::StatusOr<std::unique_ptr<ReminderWatch>>
RedisSchedulerStore::FollowReminders(absl::string_view person,
                                     ReminderListener* listener) {
  // The newest change now: the watch hears every entry after it. The first
  // watch also starts the reader there, under reader_mu_, so that no later
  // watch can ask for entries from before the reader's start.
  auto newest = [this]() -> absl::StatusOr<StreamId> {
    absl::StatusOr<RedisReply> reply =
        client_->Call({"XREVRANGE", ChangesKey(), "+", "-", "COUNT", "1"});
    if (!reply.ok()) return reply.status();
    const redisReply& r = **reply;
    StreamId id{0, 0};
    if (r.type == REDIS_REPLY_ARRAY && r.elements > 0 &&
        r.element[0]->type == REDIS_REPLY_ARRAY && r.element[0]->elements > 0 &&
        !ParseStreamId(ElementText(*r.element[0], 0), &id)) {
      return absl::DataLossError(absl::StrCat(
          "the newest entry of ", ChangesKey(), " has a malformed id"));
    }
    return id;
  };
  auto follower = std::make_unique<Follower>();
  follower->person = std::string(person);
  follower->listener = listener;
  Follower* raw = follower.get();
  auto add = [&](StreamId after) {
    follower->after = after;
    absl::MutexLock lock(&mu_);
    followers_[raw->person].push_back(std::move(follower));
  };
  {
    absl::MutexLock lock(&reader_mu_);
    if (reader_ == nullptr) {
      absl::StatusOr<StreamId> after = newest();
      if (!after.ok()) return after.status();
      add(*after);
      reader_ = std::make_unique<Reader>(
          this,
          client_->ConnectionOptions(options_.follow_block +
                                     client_->options().command_timeout),
          ChangesKey(), *after, options_.follow_block,
          client_->options().min_backoff);
      return std::unique_ptr<ReminderWatch>(new Watch(this, raw));
    }
  }
  absl::StatusOr<StreamId> after = newest();
  if (!after.ok()) return after.status();
  add(*after);
  return std::unique_ptr<ReminderWatch>(new Watch(this, raw));
}

void RedisSchedulerStore::Deliver(const std::string& stream_id,
                                  const ReminderRecord& reminder) {
  StreamId id{0, 0};
  const bool from_stream = !stream_id.empty();
  if (from_stream && !ParseStreamId(stream_id, &id)) return;
  absl::MutexLock lock(&mu_);
  auto it = followers_.find(reminder.person);
  if (it == followers_.end()) return;
  for (const std::unique_ptr<Follower>& f : it->second) {
    if (!from_stream || id > f->after) f->listener->OnReminder(reminder);
  }
}

std::vector<std::string> RedisSchedulerStore::FollowedPeople() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> people;
  people.reserve(followers_.size());
  for (const auto& [person, followers] : followers_) people.push_back(person);
  return people;
}

void RedisSchedulerStore::Unfollow(Follower* follower) {
  absl::MutexLock lock(&mu_);
  auto it = followers_.find(follower->person);
  if (it == followers_.end()) return;
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [follower](const std::unique_ptr<Follower>& f) {
                              return f.get() == follower;
                            }),
             list.end());
  if (list.empty()) followers_.erase(it);
}

}  // namespace coachd
