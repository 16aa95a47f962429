#include "services/store/redis_followers.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "coach/internal/session_record.pb.h"
#include "services/common/log.h"

namespace coachd {
namespace {

constexpr int kReadBatch = 128;       // Entries (commits) per XRANGE.
constexpr int kSessionsPerRead = 64;  // XRANGEs per catch-up pipeline.
constexpr int64_t kUnknown = std::numeric_limits<int64_t>::max();

// The sequence of a stream entry id "<sequence>-0"; -1 if malformed.
int64_t SequenceOfId(absl::string_view id) {
  int64_t seq = -1;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &seq)) return -1;
  return seq;
}

}  // namespace

bool ParseCommitNotification(absl::string_view payload, int64_t* sequence,
                             std::string* session_id) {
  const size_t space = payload.find(' ');
  if (space == absl::string_view::npos || space + 1 == payload.size()) {
    return false;
  }
  if (!absl::SimpleAtoi(payload.substr(0, space), sequence)) return false;
  *session_id = std::string(payload.substr(space + 1));
  return true;
}

void ParseStreamEntries(const redisReply& entries, absl::string_view key,
                        int64_t after_sequence, std::vector<StoredEvent>* out) {
  if (entries.type != REDIS_REPLY_ARRAY) return;
  coach::internal::EventBatch batch;
  for (size_t i = 0; i < entries.elements; ++i) {
    const redisReply& entry = *entries.element[i];
    const bool shaped = entry.type == REDIS_REPLY_ARRAY &&
                        entry.elements == 2 &&
                        entry.element[1]->type == REDIS_REPLY_ARRAY;
    const int64_t last =
        shaped ? SequenceOfId(ReplyText(*entry.element[0])) : -1;
    if (last > 0 && last <= after_sequence) continue;  // Nothing asked for.
    // The entry's events, oldest first: a batch ("b") or one event ("e",
    // as older versions wrote).
    bool good = last > 0;
    batch.Clear();
    for (size_t f = 0; good && f + 1 < entry.element[1]->elements; f += 2) {
      const absl::string_view field = ReplyText(*entry.element[1]->element[f]);
      const redisReply& value = *entry.element[1]->element[f + 1];
      if (field == "e") {
        batch.add_events(value.str, value.len);
      } else if (field == "b") {
        coach::internal::EventBatch more;
        good = more.ParseFromArray(value.str, static_cast<int>(value.len));
        for (std::string& bytes : *more.mutable_events()) {
          batch.add_events(std::move(bytes));
        }
      }
    }
    const int64_t first = last - batch.events_size() + 1;
    good = good && batch.events_size() > 0 && first > 0;
    std::vector<StoredEvent> parsed;
    for (int64_t seq = std::max(first, after_sequence + 1); good && seq <= last;
         ++seq) {
      std::string& bytes = *batch.mutable_events(static_cast<int>(seq - first));
      coach::v1::SessionEvent event;
      good = event.ParseFromString(bytes);
      if (good && event.sequence() == seq) {
        // The stored bytes are this event's wire form (the writer numbered
        // it before serializing): streams send them as they are.
        parsed.push_back(
            StoredEvent::MakeSerialized(std::move(event), std::move(bytes)));
      } else if (good) {
        event.set_sequence(seq);
        parsed.push_back(StoredEvent::Make(std::move(event)));
      }
    }
    if (!good) {
      LogWarning(absl::StrCat(
          "redis: ", key, " entry ",
          shaped ? ReplyText(*entry.element[0]) : absl::string_view("?"),
          " is not a list of session events; skipped"));
      continue;
    }
    for (StoredEvent& e : parsed) out->push_back(std::move(e));
  }
}

// One Follow. `cursor` is written under `mu` (while delivering) and may be
// read without it, to skip followers that are not behind.
struct RedisFollowers::Follower {
  Follower(EventListener* l, int64_t after) : listener(l), cursor(after) {}

  // Hands `events` (contiguous, oldest first) after the cursor to the
  // listener. False, delivering nothing, if they do not start right after
  // the cursor and `fill_gap` is false; with it (events read from Redis,
  // which has nothing older) they are delivered anyway. Events of another
  // epoch than the last delivered start a new history (the store lost
  // events in a failover): delivered from the first of them, whatever its
  // sequence.
  bool Deliver(const std::vector<StoredEvent>& events, bool fill_gap) {
    absl::MutexLock lock(&mu);
    if (stopped) return true;
    const int64_t last = cursor.load();
    auto same_history = [&](const StoredEvent& e) {
      return epoch.empty() || e->epoch() == epoch;
    };
    size_t first = 0;
    while (first < events.size() && events[first]->sequence() <= last &&
           same_history(events[first])) {
      ++first;
    }
    if (first == events.size()) return true;  // Nothing new.
    if (events[first]->sequence() != last + 1 && !fill_gap &&
        same_history(events[first])) {
      return false;
    }
    epoch = events.back()->epoch();
    if (first == 0) {
      listener->OnEvents(events);
    } else {
      listener->OnEvents(
          std::vector<StoredEvent>(events.begin() + first, events.end()));
    }
    cursor.store(events.back()->sequence());
    return true;
  }

  EventListener* const listener;
  absl::Mutex mu;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  std::string epoch ABSL_GUARDED_BY(mu);  // Of the last event delivered.
  std::atomic<int64_t> cursor;
};

// What the threads, the writers and the handles share.
struct RedisFollowers::Registry {
  struct Session {
    std::string events_key;
    std::vector<std::shared_ptr<Follower>> followers;
    int writes = 0;        // This store's writes in flight (BeginWrite).
    int64_t deferred = 0;  // Newest notification that came during them.
  };

  // Marks `session_id` to be read from Redis for the followers whose cursor
  // is below `target` (kUnknown: all of them).
  void MarkBehindLocked(const std::string& session_id, int64_t target)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    int64_t& t = behind[session_id];
    t = std::max(t, target);
  }

  // Whether a follower of `session` has a cursor below `sequence`.
  static bool AnyBelow(const Session& session, int64_t sequence) {
    for (const std::shared_ptr<Follower>& f : session.followers) {
      if (f->cursor.load() < sequence) return true;
    }
    return false;
  }

  // Forgets `follower` of `session_id`, and the session once it has no
  // followers and no write in flight.
  void Remove(const std::string& session_id, const Follower* follower) {
    absl::MutexLock lock(&mu);
    auto it = sessions.find(session_id);
    if (it == sessions.end()) return;
    auto& fs = it->second.followers;
    fs.erase(std::remove_if(fs.begin(), fs.end(),
                            [follower](const std::shared_ptr<Follower>& f) {
                              return f.get() == follower;
                            }),
             fs.end());
    if (fs.empty() && it->second.writes == 0) {
      sessions.erase(it);
      behind.erase(session_id);
    }
  }

  absl::Mutex mu;
  absl::flat_hash_map<std::string, Session> sessions ABSL_GUARDED_BY(mu);
  // Sessions to read from Redis, with the sequence to read up to at least.
  absl::flat_hash_map<std::string, int64_t> behind ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

// Unregisters its follower when destroyed; waits for a delivery in progress
// (one listener call), never for I/O or a thread.
class RedisFollowers::Handle : public FollowHandle {
 public:
  Handle(std::shared_ptr<Registry> registry, std::string session_id,
         std::shared_ptr<Follower> follower)
      : registry_(std::move(registry)),
        session_id_(std::move(session_id)),
        follower_(std::move(follower)) {}

  ~Handle() override {
    {
      absl::MutexLock lock(&follower_->mu);
      follower_->stopped = true;
    }
    registry_->Remove(session_id_, follower_.get());
  }

 private:
  const std::shared_ptr<Registry> registry_;
  const std::string session_id_;
  const std::shared_ptr<Follower> follower_;
};

RedisFollowers::RedisFollowers(RedisFollowersOptions options,
                               RedisClient* client)
    : options_(std::move(options)),
      client_(client),
      registry_(std::make_shared<Registry>()),
      subscriber_(options_.subscriber) {}

RedisFollowers::~RedisFollowers() {
  {
    absl::MutexLock lock(&registry_->mu);
    registry_->stopping = true;
  }
  subscriber_.Interrupt();
  absl::MutexLock lock(&start_mu_);
  if (!started_) return;
  subscriber_thread_.join();
  catch_up_thread_.join();
}

void RedisFollowers::Start() {
  absl::MutexLock lock(&start_mu_);
  if (started_) return;
  started_ = true;
  subscriber_thread_ = std::thread([this] { SubscribeLoop(); });
  catch_up_thread_ = std::thread([this] { CatchUpLoop(); });
}

absl::StatusOr<std::unique_ptr<FollowHandle>> RedisFollowers::Follow(
    absl::string_view session_id, std::string state_key, std::string events_key,
    int64_t after_sequence, EventListener* listener) {
  const std::string id(session_id);
  auto follower = std::make_shared<Follower>(
      listener, std::max<int64_t>(0, after_sequence));
  // Registered before reading, so that no commit after the read goes
  // unnoticed: its notification or local delivery finds the follower.
  {
    absl::MutexLock lock(&registry_->mu);
    Registry::Session& s = registry_->sessions[id];
    if (s.events_key.empty()) s.events_key = events_key;
    s.followers.push_back(follower);
  }
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->Acquire()->Pipeline(
          {{"HGET", std::move(state_key), "epoch"},
           {"XRANGE", events_key, absl::StrCat(follower->cursor.load() + 1),
            "+", "COUNT", absl::StrCat(kReadBatch)}});
  absl::Status failed = replies.status();
  if (failed.ok()) failed = client_->Check("HGET", *(*replies)[0]);
  if (failed.ok()) failed = client_->Check("XRANGE", *(*replies)[1]);
  if (failed.ok() && !IsStringReply(*(*replies)[0])) {
    failed = absl::NotFoundError(absl::StrCat("session ", id, " not found"));
  }
  if (!failed.ok()) {
    registry_->Remove(id, follower.get());
    return failed;
  }
  {
    // Events of another epoch than this one start a new history.
    absl::MutexLock lock(&follower->mu);
    follower->epoch = std::string(ReplyText(*(*replies)[0]));
  }
  const redisReply& entries = *(*replies)[1];
  std::vector<StoredEvent> stored;
  ParseStreamEntries(entries, events_key, follower->cursor.load(), &stored);
  follower->Deliver(stored, /*fill_gap=*/true);
  if (entries.elements >= static_cast<size_t>(kReadBatch)) {
    absl::MutexLock lock(&registry_->mu);  // The rest on the catch-up thread.
    registry_->MarkBehindLocked(id, kUnknown);
  }
  Start();
  return std::unique_ptr<FollowHandle>(
      new Handle(registry_, id, std::move(follower)));
}

bool RedisFollowers::BeginWrite(absl::string_view session_id) {
  absl::MutexLock lock(&registry_->mu);
  auto it = registry_->sessions.find(session_id);
  if (it == registry_->sessions.end()) return false;
  ++it->second.writes;
  return true;
}

void RedisFollowers::EndWrite(absl::string_view session_id,
                              const std::vector<StoredEvent>& committed) {
  const std::string id(session_id);
  std::vector<std::shared_ptr<Follower>> followers;
  {
    absl::MutexLock lock(&registry_->mu);
    auto it = registry_->sessions.find(id);
    if (it == registry_->sessions.end()) return;  // Not after BeginWrite.
    followers = it->second.followers;
  }
  // Delivered before the write counts as ended: a notification of it that
  // comes meanwhile waits, then finds every cursor past it.
  bool gap = false;
  if (!committed.empty()) {
    for (const std::shared_ptr<Follower>& f : followers) {
      if (!f->Deliver(committed, /*fill_gap=*/false)) gap = true;
    }
  }
  absl::MutexLock lock(&registry_->mu);
  auto it = registry_->sessions.find(id);
  if (it == registry_->sessions.end()) return;
  Registry::Session& s = it->second;
  --s.writes;
  if (gap) registry_->MarkBehindLocked(id, committed.back()->sequence());
  if (s.writes == 0 && s.deferred > 0) {
    if (Registry::AnyBelow(s, s.deferred)) {
      registry_->MarkBehindLocked(id, s.deferred);
    }
    s.deferred = 0;
  }
  if (s.followers.empty() && s.writes == 0) {
    registry_->sessions.erase(it);
    registry_->behind.erase(id);
  }
}

bool RedisFollowers::WaitUnlessStopping(absl::Duration wait) {
  absl::MutexLock lock(&registry_->mu);
  registry_->mu.AwaitWithTimeout(absl::Condition(&registry_->stopping), wait);
  return !registry_->stopping;
}

void RedisFollowers::SubscribeLoop() {
  const std::string& channel = options_.channel;
  bool failing = false;
  auto fail = [&](const absl::Status& status) {
    if (!failing) {
      LogWarning(absl::StrCat("following sessions (", channel,
                              "): ", status.message()));
    }
    failing = true;
  };
  for (;;) {
    absl::StatusOr<RedisReply> reply =
        subscriber_.Command({"SUBSCRIBE", channel});
    if (absl::IsCancelled(reply.status())) return;
    absl::Status status = reply.status();
    if (status.ok()) {
      status = CheckArray(subscriber_.address(), "SUBSCRIBE", **reply);
    }
    if (status.ok() && ElementText(**reply, 0) != "subscribe") {
      status = absl::InternalError(
          absl::StrCat("redis at ", subscriber_.address().ToString(),
                       ": unexpected reply to SUBSCRIBE"));
    }
    if (!status.ok()) {
      fail(status);
      const absl::Duration wait =
          std::max(options_.retry, subscriber_.next_attempt() - absl::Now());
      if (!WaitUnlessStopping(wait)) return;
      continue;
    }
    if (failing)
      LogInfo(absl::StrCat("following sessions (", channel, ") again"));
    failing = false;
    ++subscribes_;
    {
      // Whatever was published while not subscribed is lost: read it all.
      absl::MutexLock lock(&registry_->mu);
      for (const auto& [id, session] : registry_->sessions) {
        if (!session.followers.empty()) {
          registry_->MarkBehindLocked(id, kUnknown);
        }
      }
    }
    for (;;) {
      absl::StatusOr<RedisReply> message =
          subscriber_.ReadPushed(options_.poll);
      if (absl::IsCancelled(message.status())) return;
      if (absl::IsDeadlineExceeded(message.status())) {
        if (!WaitUnlessStopping(absl::ZeroDuration())) return;
        continue;
      }
      if (!message.ok()) {
        fail(message.status());
        break;
      }
      const redisReply& m = **message;
      // ["message", channel, "<sequence> <session id>"]
      int64_t sequence = 0;
      std::string id;
      if (m.type != REDIS_REPLY_ARRAY || m.elements != 3 ||
          ReplyText(*m.element[0]) != "message" ||
          !ParseCommitNotification(ReplyText(*m.element[2]), &sequence, &id)) {
        continue;
      }
      absl::MutexLock lock(&registry_->mu);
      auto it = registry_->sessions.find(id);
      if (it == registry_->sessions.end()) continue;  // Not followed here.
      Registry::Session& s = it->second;
      if (s.writes > 0) {  // Maybe our own: decided when the write ends.
        s.deferred = std::max(s.deferred, sequence);
      } else if (Registry::AnyBelow(s, sequence)) {
        registry_->MarkBehindLocked(id, sequence);
      }
    }
    // The connection broke: subscribe again after the least wait.
    if (!WaitUnlessStopping(options_.retry)) return;
  }
}

void RedisFollowers::CatchUpLoop() {
  struct Read {
    std::string session_id;
    std::string events_key;
    int64_t target;
    std::vector<std::shared_ptr<Follower>> followers;
    int64_t from = kUnknown;  // Read after this (the lowest cursor behind).
  };
  bool failing = false;
  for (;;) {
    std::vector<Read> reads;
    {
      absl::MutexLock lock(&registry_->mu);
      Registry& r = *registry_;
      auto ready = [&r]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(r.mu) {
        return r.stopping || !r.behind.empty();
      };
      r.mu.Await(absl::Condition(&ready));
      if (r.stopping) return;
      while (!r.behind.empty() &&
             static_cast<int>(reads.size()) < kSessionsPerRead) {
        auto it = r.behind.begin();
        auto session = r.sessions.find(it->first);
        if (session != r.sessions.end()) {
          reads.push_back({it->first, session->second.events_key, it->second,
                           session->second.followers});
        }
        r.behind.erase(it);
      }
    }
    // From the lowest cursor below the target; none below: nothing to read.
    std::vector<RedisCommand> commands;
    std::vector<Read*> planned;
    for (Read& read : reads) {
      for (const std::shared_ptr<Follower>& f : read.followers) {
        const int64_t c = f->cursor.load();
        if (c < read.target) read.from = std::min(read.from, c);
      }
      if (read.from == kUnknown) continue;
      commands.push_back({"XRANGE", read.events_key,
                          absl::StrCat(read.from + 1), "+", "COUNT",
                          absl::StrCat(kReadBatch)});
      planned.push_back(&read);
    }
    if (commands.empty()) continue;
    absl::StatusOr<std::vector<RedisReply>> replies;
    absl::Time next_attempt;
    {
      RedisPool::Lease conn = client_->Acquire();
      replies = conn->Pipeline(commands);
      next_attempt = conn->next_attempt();
    }
    ++catch_up_reads_;
    // Redis unreachable, or not serving for now (loading, busy): these
    // sessions again, after a wait. Logged once until a read works.
    absl::Status transient = replies.status();
    std::vector<const Read*> again;
    if (!replies.ok()) again.assign(planned.begin(), planned.end());
    for (size_t i = 0; replies.ok() && i < planned.size(); ++i) {
      const Read& read = *planned[i];
      const redisReply& reply = *(*replies)[i];
      if (reply.type == REDIS_REPLY_ERROR) {
        absl::Status error = client_->Check("XRANGE", reply);
        if (absl::IsUnavailable(error)) {
          transient = std::move(error);
          again.push_back(&read);
        } else {
          LogWarning(absl::StrCat("following ", read.events_key, ": ",
                                  error.message()));
        }
        continue;
      }
      std::vector<StoredEvent> events;
      ParseStreamEntries(reply, read.events_key, read.from, &events);
      for (const std::shared_ptr<Follower>& f : read.followers) {
        f->Deliver(events, /*fill_gap=*/true);
      }
      if (reply.elements >= static_cast<size_t>(kReadBatch)) {
        absl::MutexLock lock(&registry_->mu);  // More to read.
        registry_->MarkBehindLocked(read.session_id, kUnknown);
      }
    }
    if (transient.ok()) {
      if (failing) LogInfo("catching up followed sessions again");
      failing = false;
      continue;
    }
    if (!failing) {
      LogWarning(
          absl::StrCat("catching up followed sessions: ", transient.message()));
    }
    failing = true;
    {
      absl::MutexLock lock(&registry_->mu);
      for (const Read* read : again) {
        registry_->MarkBehindLocked(read->session_id, read->target);
      }
    }
    if (!WaitUnlessStopping(
            std::max(options_.retry, next_attempt - absl::Now()))) {
      return;
    }
  }
}

}  // namespace coachd
