#include "services/coach/redis_coach_board.h"

#include <algorithm>
#include <deque>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/coach/redis_board_scripts.h"
#include "services/common/log.h"
#include "services/store/memory_session_store.h"

namespace coachd {

using coach::v1::LiveUpdate;

namespace {

constexpr int kReadBatch = 512;  // Entries per XREAD.
// Commits published in one round trip at most (PublishPending).
constexpr size_t kPublishBatch = 256;

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return ts;
}

// The sequence of a stream entry id "<sequence>-0"; -1 if malformed.
int64_t SequenceOfId(absl::string_view id) {
  int64_t seq = -1;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &seq)) return -1;
  return seq;
}

// The updates of an XRANGE-style reply ([[id, [field, value...]]...]),
// numbered from their ids and stamped with `epoch`. `*newest` is the
// highest id read, even of entries skipped as malformed.
std::vector<SharedUpdate> ParseEntries(const redisReply& entries,
                                       const std::string& epoch,
                                       absl::string_view key, int64_t* newest) {
  std::vector<SharedUpdate> updates;
  if (entries.type != REDIS_REPLY_ARRAY) return updates;
  for (size_t i = 0; i < entries.elements; ++i) {
    const redisReply& entry = *entries.element[i];
    if (entry.type != REDIS_REPLY_ARRAY || entry.elements != 2 ||
        entry.element[1]->type != REDIS_REPLY_ARRAY) {
      continue;
    }
    const int64_t seq = SequenceOfId(ReplyText(*entry.element[0]));
    if (newest != nullptr) *newest = std::max(*newest, seq);
    const redisReply& fields = *entry.element[1];
    auto update = std::make_shared<LiveUpdate>();
    bool parsed = false;
    for (size_t f = 0; f + 1 < fields.elements; f += 2) {
      if (ReplyText(*fields.element[f]) == "u") {
        parsed = update->ParseFromArray(
            fields.element[f + 1]->str,
            static_cast<int>(fields.element[f + 1]->len));
      }
    }
    if (!parsed || seq <= 0) {
      LogWarning(absl::StrCat("live board: ", key, " entry ",
                              ReplyText(*entry.element[0]),
                              " is not a live update; skipped"));
      continue;
    }
    update->set_epoch(epoch);
    update->set_sequence(seq);
    updates.push_back(std::move(update));
  }
  return updates;
}

}  // namespace

// One board (a coach's, or a person's own) on this replica: a mirror of the
// board in Redis (rows and recent updates), kept current by a reader thread,
// and the watchers it feeds. Watchers whose start needs Redis wait in
// `pending_` until the board's I/O thread joins them (Join) or fails them
// (FailPending).
class RedisCoachBoard::Feed : public BoardFeed {
 public:
  Feed(RedisCoachBoard* board, BoardKeys keys)
      : board_(board),
        keys_(std::move(keys)),
        stream_key_(keys_.board),
        meta_key_(keys_.meta),
        block_ms_(absl::StrCat(std::max<int64_t>(
            1, absl::ToInt64Milliseconds(board->options_.follow_block)))),
        window_(std::max(1, board->options_.window)),
        reader_(board->client_->ConnectionOptions(
            board->options_.follow_block +
            board->client_->options().command_timeout)) {}

  ~Feed() override { Stop(); }

  const BoardKeys& keys() const { return keys_; }

  // Serves `sink` from the mirror when it can: a resume within the recent
  // updates. Else registers it as pending (for CatchUp) under `*pending_id`
  // and returns false.
  bool AttachFast(const coach::v1::ResumePosition* position, LiveSink* sink,
                  uint64_t* pending_id) {
    absl::MutexLock lock(&mu_);
    if (initialized_ && position != nullptr && position->epoch() == epoch_ &&
        position->last_sequence() <= last_ &&
        position->last_sequence() + 1 >= history_from_) {
      for (const SharedUpdate& update : history_) {
        if (update->sequence() > position->last_sequence()) {
          sink->Deliver(update);
        }
      }
      watchers_.push_back({sink, last_});
      return true;
    }
    *pending_id = next_pending_id_++;
    pending_.push_back({*pending_id, sink});
    return false;
  }

  // Sets up the mirror from `state` unless it is set up; starts the reader
  // when this call set it up.
  void InitializeOnce(const BoardState& state) {
    absl::MutexLock lock(&mu_);
    if (initialized_ || stop_) return;
    InstallLocked(state);
    initialized_ = true;
    thread_ = std::thread([this] { Run(); });  // It waits for our lock.
  }

  // Joins pending sink `id` (if still pending): delivers `first` (updates
  // of `epoch` through `last`), then what the mirror has beyond `last`.
  void Join(uint64_t id, const std::string& epoch,
            const std::vector<SharedUpdate>& first, int64_t last) {
    absl::MutexLock lock(&mu_);
    auto it = FindPendingLocked(id);
    if (it == pending_.end()) return;  // Detached meanwhile.
    LiveSink* sink = it->sink;
    pending_.erase(it);
    for (const SharedUpdate& update : first) sink->Deliver(update);
    if (epoch != epoch_) {
      sink->Deliver(SnapshotLocked(
          false, "the board's history was reset while this watch started"));
      last = last_;
    } else if (last < last_) {
      if (last + 1 >= history_from_) {
        for (const SharedUpdate& update : history_) {
          if (update->sequence() > last) sink->Deliver(update);
        }
      } else {
        sink->Deliver(SnapshotLocked(
            false, "the board moved on too far while this watch started"));
      }
      last = last_;
    }
    watchers_.push_back({sink, last});
  }

  // Fails pending sink `id` (if still pending) with `status`.
  void FailPending(uint64_t id, const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    auto it = FindPendingLocked(id);
    if (it == pending_.end()) return;
    LiveSink* sink = it->sink;
    pending_.erase(it);
    sink->Fail(status);
    MaybeIdleLocked();
  }

  bool Idle() const {
    absl::MutexLock lock(&mu_);
    return watchers_.empty() && pending_.empty();
  }

  // No more retirement requests to the board (it is going away).
  void Orphan() {
    absl::MutexLock lock(&mu_);
    orphaned_ = true;
  }

  // Stops the reader and waits for it. Idempotent.
  void Stop() {
    std::thread reader;
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      reader = std::move(thread_);
    }
    reader_.Interrupt();
    if (reader.joinable()) reader.join();
  }

  int64_t last() const {
    absl::MutexLock lock(&mu_);
    return last_;
  }

  void Detach(LiveSink* sink) override {
    absl::MutexLock lock(&mu_);
    pending_.erase(
        std::remove_if(pending_.begin(), pending_.end(),
                       [sink](const Pending& p) { return p.sink == sink; }),
        pending_.end());
    watchers_.erase(
        std::remove_if(watchers_.begin(), watchers_.end(),
                       [sink](const Watcher& w) { return w.sink == sink; }),
        watchers_.end());
    MaybeIdleLocked();
  }

  SharedUpdate Snapshot(bool recovered,
                        absl::string_view reason) const override {
    absl::MutexLock lock(&mu_);
    return SnapshotLocked(recovered, reason);
  }

 private:
  struct Watcher {
    LiveSink* sink;
    int64_t last;  // The last sequence it got.
  };
  // A sink waiting for CatchUp; the id tells it from a later sink at the
  // same address.
  struct Pending {
    uint64_t id;
    LiveSink* sink;
  };

  std::vector<Pending>::iterator FindPendingLocked(uint64_t id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::find_if(pending_.begin(), pending_.end(),
                        [id](const Pending& p) { return p.id == id; });
  }

  void MaybeIdleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (watchers_.empty() && pending_.empty() && !orphaned_) {
      board_->ScheduleRetire(keys_.name);
    }
  }

  void InstallLocked(const BoardState& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    epoch_ = state.epoch;
    last_ = state.sequence;
    rows_ = state.rows;
    history_.clear();
    history_from_ = last_ + 1;
  }

  SharedUpdate SnapshotLocked(bool recovered, absl::string_view reason) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::make_shared<const LiveUpdate>(BoardSnapshot(
        epoch_, last_, rows_, board_->clock_->Now(), recovered, reason));
  }

  // Applies the next update and hands it to the watchers that lack it.
  void ApplyLocked(const SharedUpdate& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    last_ = update->sequence();
    ApplyToRows(*update, &rows_);
    history_.push_back(update);
    while (static_cast<int>(history_.size()) > window_) {
      history_.pop_front();
      history_from_ = history_.front()->sequence();
    }
    for (Watcher& w : watchers_) {
      if (update->sequence() > w.last) {
        w.sink->Deliver(update);
        w.last = update->sequence();
      }
    }
  }

  bool Stopped() const {
    absl::MutexLock lock(&mu_);
    return stop_;
  }

  // Waits out the connection's backoff (at least 10 ms), or until stopped.
  void WaitToRetry() {
    const absl::Duration wait = std::max(
        {absl::Milliseconds(10), board_->client_->options().min_backoff,
         reader_.next_attempt() - absl::Now()});
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stop_), wait);
  }

  // Reloads the mirror from Redis and gives every watcher a snapshot
  // (recovered=false, `reason`). False when Redis could not be read.
  bool Reload(absl::string_view reason) {
    absl::StatusOr<BoardState> state = board_->LoadBoard(&reader_, keys_);
    if (!state.ok()) return false;
    absl::MutexLock lock(&mu_);
    InstallLocked(*state);
    SharedUpdate snapshot = SnapshotLocked(false, reason);
    for (Watcher& w : watchers_) {
      w.sink->Deliver(snapshot);
      w.last = last_;
    }
    return true;
  }

  // The reader: XREAD BLOCK from the mirror's last sequence, then the
  // board's epoch (read after the entries: when it is still the mirror's,
  // the entries are of that epoch too).
  void Run() {
    bool failing = false;
    for (;;) {
      int64_t cursor = 0;
      std::string epoch;
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        cursor = last_;
        epoch = epoch_;
      }
      absl::StatusOr<std::vector<RedisReply>> replies = reader_.Pipeline(
          {{"XREAD", "COUNT", absl::StrCat(kReadBatch), "BLOCK", block_ms_,
            "STREAMS", stream_key_, absl::StrCat(cursor, "-0")},
           {"HGET", meta_key_, "epoch"}});
      if (absl::IsCancelled(replies.status())) return;
      absl::Status failure = replies.status();
      for (size_t i = 0; failure.ok() && i < replies->size(); ++i) {
        failure =
            board_->client_->Check(i == 0 ? "XREAD" : "HGET", *(*replies)[i]);
      }
      if (!failure.ok()) {
        if (!failing) {
          LogWarning(absl::StrCat("live board of ", keys_.name, ": ",
                                  failure.message()));
        }
        failing = true;
        WaitToRetry();
        continue;
      }
      if (failing) {
        LogInfo(absl::StrCat("live board of ", keys_.name, " again"));
      }
      failing = false;
      const redisReply& stored = *(*replies)[1];
      if (stored.type != REDIS_REPLY_STRING || ReplyText(stored) != epoch) {
        if (!Reload("the board's history in redis was lost; the board as "
                    "it is now")) {
          WaitToRetry();
        }
        continue;
      }
      // Nil: the block timed out. Else [[key, [[id, fields]...]]].
      const redisReply& read = *(*replies)[0];
      if (read.type != REDIS_REPLY_ARRAY || read.elements == 0 ||
          read.element[0]->type != REDIS_REPLY_ARRAY ||
          read.element[0]->elements != 2) {
        continue;
      }
      int64_t newest = cursor;
      std::vector<SharedUpdate> updates = ParseEntries(
          *read.element[0]->element[1], epoch, stream_key_, &newest);
      bool gap = false;
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        for (const SharedUpdate& update : updates) {
          if (update->sequence() <= last_) continue;
          if (update->sequence() != last_ + 1) {
            gap = true;  // Trimmed before this reader got there.
            break;
          }
          ApplyLocked(update);
        }
        if (!gap && newest > last_) last_ = newest;  // Skip malformed ones.
      }
      if (gap && !Reload("this replica fell behind the board's history; the "
                         "board as it is now")) {
        WaitToRetry();
      }
    }
  }

  RedisCoachBoard* const board_;
  const BoardKeys keys_;
  const std::string stream_key_;
  const std::string meta_key_;
  const std::string block_ms_;
  const int window_;
  RedisConnection reader_;  // The reader thread's (and Interrupt).

  mutable absl::Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool initialized_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool orphaned_ ABSL_GUARDED_BY(mu_) = false;
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  int64_t last_ ABSL_GUARDED_BY(mu_) = 0;
  // The mirror serves resumes from here on: history_ holds
  // [history_from_, last_].
  int64_t history_from_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<SharedUpdate> history_ ABSL_GUARDED_BY(mu_);
  BoardRows rows_ ABSL_GUARDED_BY(mu_);
  std::vector<Watcher> watchers_ ABSL_GUARDED_BY(mu_);
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_pending_id_ ABSL_GUARDED_BY(mu_) = 1;
};

RedisCoachBoard::RedisCoachBoard(CoachLinkStore* links, const Clock* clock,
                                 RedisClient* client,
                                 RedisCoachBoardOptions options)
    : links_(links),
      clock_(clock),
      client_(client),
      options_(std::move(options)),
      keys_(options_.key_prefix),
      io_(std::make_unique<Executor>(std::max(1, options_.io_threads))),
      worker_(std::make_unique<Executor>(1)) {}

RedisCoachBoard::~RedisCoachBoard() {
  worker_.reset();  // Publishes what is queued.
  {
    absl::MutexLock lock(&feeds_mu_);
    for (auto& [coach, feed] : feeds_) feed->Orphan();
  }
  io_.reset();  // Finishes the catch-ups and retirements queued.
  absl::flat_hash_map<std::string, std::shared_ptr<Feed>> feeds;
  {
    absl::MutexLock lock(&feeds_mu_);
    feeds.swap(feeds_);
  }
  for (auto& [coach, feed] : feeds) feed->Stop();
}

RedisBoardStats RedisCoachBoard::Stats() const {
  RedisBoardStats s;
  s.published = published_.load();
  return s;
}

void RedisCoachBoard::OnCommit(const coach::internal::SessionRecord& record,
                               const std::vector<StoredEvent>& events) {
  if (events.empty()) return;
  auto batch = std::make_shared<const SessionBatch>(BatchOf(record, events));
  {
    absl::MutexLock lock(&pending_mu_);
    pending_.push_back(std::move(batch));
    if (publish_scheduled_) return;  // The run queued takes this one too.
    publish_scheduled_ = true;
  }
  worker_->Schedule([this] { PublishPending(); });
}

void RedisCoachBoard::OnLinked(const std::string& person,
                               const std::string& coach) {
  worker_->Schedule([this, person, coach] { PublishLinked(person, coach); });
}

void RedisCoachBoard::OnUnlinked(const std::string& person,
                                 const std::string& coach) {
  worker_->Schedule([this, person, coach] { PublishUnlinked(person, coach); });
}

RedisCoachBoard::BoardKeys RedisCoachBoard::CoachBoardKeys(
    const std::string& coach) const {
  return {absl::StrCat("coach ", coach), false,
          keys_.Clients(coach),          keys_.Board(coach),
          keys_.BoardMeta(coach),        keys_.BoardRows(coach),
          keys_.BoardSeen(coach),        keys_.BoardEnded(coach)};
}

RedisCoachBoard::BoardKeys RedisCoachBoard::OwnBoardKeys(
    const std::string& person) const {
  const std::string meta = keys_.OwnBoard(person, "meta");
  return {absl::StrCat("person ", person),
          true,
          meta,
          keys_.OwnBoard(person, "board"),
          meta,
          keys_.OwnBoard(person, "rows"),
          keys_.OwnBoard(person, "seen"),
          keys_.OwnBoard(person, "ended")};
}

RedisCommand RedisCoachBoard::BoardCall(
    const BoardKeys& keys, const std::string& person,
    const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {args.front(), person, RandomId(6),
                                   absl::StrCat(options_.window),
                                   absl::StrCat(options_.ended_memory)};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return BoardScript().Call(
      {keys.clients, keys.board, keys.meta, keys.rows, keys.seen, keys.ended},
      argv);
}

void RedisCoachBoard::RunPublish(absl::string_view what, PublishCalls publish) {
  absl::StatusOr<std::vector<RedisReply>> replies =
      client_->RunScripts(publish.scripts, std::move(publish.calls));
  if (!replies.ok()) {
    LogWarning(absl::StrCat("live board: ", what,
                            " not published: ", replies.status().message()));
    return;
  }
  for (size_t i = 0; i < replies->size(); ++i) {
    const redisReply& r = *(*replies)[i];
    const absl::Status checked = client_->Check("script", r);
    if (!checked.ok()) {
      LogWarning(absl::StrCat("live board: ", what,
                              " not published: ", checked.message()));
    } else if (publish.coach_board[i] && r.type == REDIS_REPLY_ARRAY &&
               r.elements > 0 && r.element[0]->type == REDIS_REPLY_INTEGER) {
      published_ += r.element[0]->integer;
    }
  }
}

void RedisCoachBoard::PublishPending() {
  std::vector<std::shared_ptr<const SessionBatch>> batches;
  {
    absl::MutexLock lock(&pending_mu_);
    batches.swap(pending_);
    publish_scheduled_ = false;
  }
  CoachesByPerson coaches;
  for (size_t from = 0; from < batches.size(); from += kPublishBatch) {
    const size_t to = std::min(batches.size(), from + kPublishBatch);
    PublishCalls publish;
    for (size_t i = from; i < to; ++i) {
      AddPublish(*batches[i], &coaches, &publish);
    }
    RunPublish(to - from == 1 ? absl::StrCat("commit of session ",
                                             batches[from]->session_id)
                              : absl::StrCat(to - from, " commits"),
               std::move(publish));
  }
}

void RedisCoachBoard::AddPublish(const SessionBatch& batch,
                                 CoachesByPerson* coaches, PublishCalls* out) {
  std::string discomfort;
  std::vector<std::string> coach_args = {
      "batch", batch.session_id, absl::StrCat(batch.row.session_sequence()),
      batch.finished ? "1" : "0", batch.row.SerializeAsString()};
  for (const LiveUpdate& update : batch.updates) {
    if (update.kind() == coach::v1::LIVE_UPDATE_KIND_DISCOMFORT) {
      discomfort = update.session().last_discomfort().SerializeAsString();
    }
    LiveUpdate bare = update;
    bare.clear_session();
    LiveUpdate row;
    *row.mutable_session() = update.session();
    coach_args.push_back(bare.SerializeAsString());
    coach_args.push_back(row.SerializeAsString());
  }
  auto add = [out](RedisCommand call, const RedisScript* script,
                   bool coach_board) {
    out->calls.push_back(std::move(call));
    out->scripts.push_back(script);
    out->coach_board.push_back(coach_board);
  };
  add(PersonScript().Call(
          {keys_.PersonLive(batch.person), keys_.PersonEnded(batch.person)},
          {batch.session_id, absl::StrCat(batch.row.session_sequence()),
           batch.finished ? "1" : "0", batch.row.SerializeAsString(),
           discomfort, absl::StrCat(options_.ended_memory)}),
      &PersonScript(), false);
  if (batch.updates.empty()) return;
  std::vector<std::string> own_args = coach_args;
  own_args.front() = "own";
  add(BoardCall(OwnBoardKeys(batch.person), batch.person, own_args),
      &BoardScript(), false);
  auto found = coaches->find(batch.person);
  if (found == coaches->end()) {
    found =
        coaches->emplace(batch.person, links_->CoachesOf(batch.person)).first;
  }
  if (!found->second.ok()) {
    LogWarning(
        absl::StrCat("live board: coaches of ", batch.person,
                     " unknown, updates of session ", batch.session_id,
                     " not published: ", found->second.status().message()));
    return;
  }
  for (const coach::v1::CoachLink& link : *found->second) {
    add(BoardCall(CoachBoardKeys(link.coach_id()), batch.person, coach_args),
        &BoardScript(), true);
  }
}

void RedisCoachBoard::PublishLinked(const std::string& person,
                                    const std::string& coach) {
  absl::StatusOr<PersonLive> live = ReadPerson(person);
  if (!live.ok()) {
    LogWarning(absl::StrCat("live board: ", person, " linked ", coach,
                            ", not published: ", live.status().message()));
    return;
  }
  const google::protobuf::Timestamp now = ToProto(clock_->Now());
  std::vector<std::string> args = {"linked"};
  auto add = [&](const coach::v1::LiveSession* row) {
    LiveUpdate update;
    update.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
    update.set_person_id(person);
    *update.mutable_server_time() = now;
    if (row != nullptr) {
      update.set_session_id(row->session_id());
      update.set_exercise_id(row->exercise_id());
      update.set_exercise_name(row->exercise_name());
      *update.mutable_session() = *row;
    }
    args.push_back(row == nullptr ? "" : row->session_id());
    args.push_back(absl::StrCat(row == nullptr ? 0 : row->session_sequence()));
    args.push_back(row == nullptr ? "" : row->SerializeAsString());
    args.push_back(update.SerializeAsString());
  };
  if (live->live.empty()) add(nullptr);
  for (const coach::v1::LiveSession& row : live->live) add(&row);
  RunPublish(absl::StrCat(person, " linking ", coach),
             {{BoardCall(CoachBoardKeys(coach), person, args)},
              {&BoardScript()},
              {true}});
}

void RedisCoachBoard::PublishUnlinked(const std::string& person,
                                      const std::string& coach) {
  LiveUpdate update;
  update.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED);
  update.set_person_id(person);
  *update.mutable_server_time() = ToProto(clock_->Now());
  RunPublish(absl::StrCat(person, " unlinking ", coach),
             {{BoardCall(CoachBoardKeys(coach), person,
                         {"unlinked", update.SerializeAsString()})},
              {&BoardScript()},
              {true}});
}

absl::StatusOr<RedisCoachBoard::BoardState> RedisCoachBoard::LoadBoard(
    RedisConnection* connection, const BoardKeys& keys) {
  absl::StatusOr<std::vector<RedisReply>> replies = RedisScript::Run(
      connection, {&LoadScript()},
      {LoadScript().Call({keys.clients, keys.meta, keys.rows},
                         {RandomId(6), keys.own ? "1" : "0"})});
  if (!replies.ok()) return replies.status();
  const redisReply& r = *replies->front();
  absl::Status checked = client_->Check("load board", r);
  if (!checked.ok()) return checked;
  BoardState state;
  if (r.type != REDIS_REPLY_ARRAY || r.elements < 2 ||
      r.element[0]->type != REDIS_REPLY_STRING ||
      !absl::SimpleAtoi(ReplyText(*r.element[1]), &state.sequence)) {
    return absl::DataLossError(
        absl::StrCat("redis at ", client_->address().ToString(),
                     ": the board of ", keys.name, " does not parse"));
  }
  state.epoch = std::string(ReplyText(*r.element[0]));
  for (size_t i = 2; i < r.elements; ++i) {
    coach::v1::LiveSession row;
    if (row.ParseFromArray(r.element[i]->str,
                           static_cast<int>(r.element[i]->len))) {
      state.rows[row.session_id()] = std::move(row);
    }
  }
  return state;
}

absl::StatusOr<PersonLive> RedisCoachBoard::ReadPerson(
    const std::string& person) {
  absl::StatusOr<RedisReply> reply =
      client_->Call({"HGETALL", keys_.PersonLive(person)});
  if (!reply.ok()) return reply.status();
  const redisReply& r = **reply;
  absl::Status array = CheckArray(client_->address(), "HGETALL", r);
  if (!array.ok()) return array;
  BoardRows rows;
  PersonLive live;
  for (size_t i = 0; i + 1 < r.elements; i += 2) {
    const absl::string_view field = ReplyText(*r.element[i]);
    const redisReply& value = *r.element[i + 1];
    if (absl::StartsWith(field, "row:")) {
      coach::v1::LiveSession row;
      if (row.ParseFromArray(value.str, static_cast<int>(value.len))) {
        rows[row.session_id()] = std::move(row);
      }
    } else if (field == "discomfort") {
      coach::v1::DiscomfortNote note;
      if (note.ParseFromArray(value.str, static_cast<int>(value.len))) {
        live.last_discomfort = std::move(note);
      }
    }
  }
  for (auto& [id, row] : rows) live.live.push_back(std::move(row));
  return live;
}

absl::StatusOr<PersonLive> RedisCoachBoard::LiveOf(const std::string& person) {
  return ReadPerson(person);
}

absl::StatusOr<std::unique_ptr<BoardAttachment>> RedisCoachBoard::Attach(
    const std::string& coach, const coach::v1::ResumePosition* position,
    LiveSink* sink) {
  return AttachTo(CoachBoardKeys(coach), position, sink);
}

absl::StatusOr<std::unique_ptr<BoardAttachment>> RedisCoachBoard::AttachOwn(
    const std::string& person, const coach::v1::ResumePosition* position,
    LiveSink* sink) {
  return AttachTo(OwnBoardKeys(person), position, sink);
}

absl::StatusOr<std::unique_ptr<BoardAttachment>> RedisCoachBoard::AttachTo(
    BoardKeys keys, const coach::v1::ResumePosition* position, LiveSink* sink) {
  std::shared_ptr<Feed> feed;
  bool served = false;
  uint64_t pending_id = 0;
  {
    absl::MutexLock lock(&feeds_mu_);
    std::shared_ptr<Feed>& slot = feeds_[keys.name];
    if (slot == nullptr) slot = std::make_shared<Feed>(this, std::move(keys));
    feed = slot;
    served = feed->AttachFast(position, sink, &pending_id);
  }
  if (!served) {
    std::optional<coach::v1::ResumePosition> where;
    if (position != nullptr) where = *position;
    io_->Schedule(
        [this, feed, where, pending_id] { CatchUp(feed, where, pending_id); });
  }
  return std::make_unique<BoardAttachment>(std::move(feed), sink);
}

void RedisCoachBoard::CatchUp(
    const std::shared_ptr<Feed>& feed,
    const std::optional<coach::v1::ResumePosition>& position,
    uint64_t pending_id) {
  RedisPool::Lease conn = client_->Acquire();
  absl::StatusOr<BoardState> state = LoadBoard(&*conn, feed->keys());
  if (!state.ok()) {
    feed->FailPending(pending_id, state.status());
    return;
  }
  feed->InitializeOnce(*state);
  auto snapshot = [&](bool recovered, absl::string_view reason) {
    return std::vector<SharedUpdate>{std::make_shared<const LiveUpdate>(
        BoardSnapshot(state->epoch, state->sequence, state->rows, clock_->Now(),
                      recovered, reason))};
  };
  std::vector<SharedUpdate> first;
  int64_t last = state->sequence;
  if (!position.has_value()) {
    first = snapshot(true, "a fresh watch: the board as it is");
  } else if (position->epoch() != state->epoch) {
    first = snapshot(false,
                     "the board's history has another epoch (it was lost, "
                     "or the position is from another coachd)");
  } else if (position->last_sequence() > state->sequence) {
    first =
        snapshot(false, "the resume position is ahead of the board's history");
  } else if (position->last_sequence() < state->sequence) {
    const std::string& key = feed->keys().board;
    absl::StatusOr<RedisReply> range = conn->Command(
        {"XRANGE", key, absl::StrCat(position->last_sequence() + 1, "-0"),
         absl::StrCat(state->sequence, "-0")});
    if (range.ok()) {
      absl::Status checked = client_->Check("XRANGE", **range);
      if (!checked.ok()) range = checked;
    }
    if (!range.ok()) {
      feed->FailPending(pending_id, range.status());
      return;
    }
    std::vector<SharedUpdate> missed =
        ParseEntries(**range, state->epoch, key, nullptr);
    if (missed.empty() ||
        missed.front()->sequence() != position->last_sequence() + 1) {
      const int64_t kept =
          missed.empty() ? state->sequence + 1 : missed.front()->sequence();
      first = snapshot(false, absl::StrCat("history trimmed: updates before ",
                                           kept, " are gone"));
    } else {
      first = std::move(missed);
      last = first.back()->sequence();
    }
  } else {
    last = position->last_sequence();
  }
  feed->Join(pending_id, state->epoch, first, last);
}

void RedisCoachBoard::ScheduleRetire(const std::string& name) {
  io_->Schedule([this, name] { RetireIfIdle(name); });
}

void RedisCoachBoard::RetireIfIdle(const std::string& name) {
  std::shared_ptr<Feed> feed;
  {
    absl::MutexLock lock(&feeds_mu_);
    auto it = feeds_.find(name);
    if (it == feeds_.end() || !it->second->Idle()) return;
    feed = std::move(it->second);
    feeds_.erase(it);
  }
  feed->Stop();
}

int RedisCoachBoard::ReaderCountForTest() const {
  absl::MutexLock lock(&feeds_mu_);
  return static_cast<int>(feeds_.size());
}

void RedisCoachBoard::Drain() {
  absl::Notification published;
  worker_->Schedule([&published] { published.Notify(); });
  published.WaitForNotification();
}

}  // namespace coachd
