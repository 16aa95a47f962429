#include "services/store/memory_session_store.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/check.h"

namespace coachd {

// Holds the session itself, so unfollowing works even after the session
// left the map (finished and evicted).
class MemorySessionStore::Handle : public FollowHandle {
 public:
  Handle(std::shared_ptr<Session> session, EventListener* listener)
      : session_(std::move(session)), listener_(listener) {}
  ~Handle() override {
    absl::MutexLock lock(&session_->mu);
    auto& l = session_->listeners;
    l.erase(std::remove(l.begin(), l.end(), listener_), l.end());
  }

 private:
  const std::shared_ptr<Session> session_;
  EventListener* const listener_;
};

MemorySessionStore::MemorySessionStore(MemorySessionStoreOptions options)
    : options_(options) {}
MemorySessionStore::~MemorySessionStore() = default;

absl::StatusOr<std::shared_ptr<MemorySessionStore::Session>>
MemorySessionStore::Find(absl::string_view session_id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  return it->second;
}

namespace {

// History events searched for the record's last cue: the engine saves the
// newest cue of each commit, so it is nearly always among the last few.
constexpr size_t kCueSearch = 16;

// Bytes of SessionEvent fields 1-3 (session_id, sequence, epoch) with these
// values, as serialization writes them first.
size_t HeadSize(const std::string& session_id, int64_t sequence,
                const std::string& epoch) {
  using google::protobuf::io::CodedOutputStream;
  size_t n = 0;
  if (!session_id.empty()) {
    n += 1 +
         CodedOutputStream::VarintSize32(
             static_cast<uint32_t>(session_id.size())) +
         session_id.size();
  }
  if (sequence != 0) {
    n += 1 + CodedOutputStream::VarintSize64(static_cast<uint64_t>(sequence));
  }
  if (!epoch.empty()) {
    n += 1 +
         CodedOutputStream::VarintSize32(static_cast<uint32_t>(epoch.size())) +
         epoch.size();
  }
  return n;
}

}  // namespace

int64_t MemorySessionStore::CueInHistoryLocked(
    const Session& session, const coach::v1::SessionEvent& cue) {
  if (!cue.session_id().empty() || cue.sequence() != 0 ||
      !cue.epoch().empty()) {
    return 0;
  }
  const std::string bare = cue.SerializeAsString();
  const size_t n = session.history.size();
  for (size_t k = 0; k < n && k < kCueSearch; ++k) {
    const StoredEvent& event = session.history[n - 1 - k];
    const std::shared_ptr<const std::string> wire = event.Wire();
    // The fields after the first three serialize as the cue does: equal
    // messages but for those (fields in number order, no unknown fields).
    const size_t head = HeadSize(session.id, event.sequence(), session.epoch);
    if (wire->size() == head + bare.size() &&
        wire->compare(head, bare.size(), bare) == 0) {
      return event.sequence();
    }
  }
  return 0;
}

void MemorySessionStore::KeepLocked(Session* session,
                                    coach::internal::SessionRecord* record) {
  session->epoch = record->epoch();
  session->last_sequence = record->last_sequence();
  session->finished =
      record->engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  session->cue_sequence = 0;
  if (record->has_engine() && record->engine().has_last_cue()) {
    session->cue_sequence =
        CueInHistoryLocked(*session, record->engine().last_cue());
  }
  if (session->cue_sequence == 0) {
    // A new string of the exact size (serializing into the old one would
    // keep its capacity, which grows by doubling).
    session->record = record->SerializeAsString();
    return;
  }
  // Serialized without the cue (taken out and put back, not copied).
  coach::internal::EngineState* engine = record->mutable_engine();
  std::unique_ptr<coach::v1::SessionEvent> cue(engine->release_last_cue());
  session->record = record->SerializeAsString();
  engine->set_allocated_last_cue(cue.release());
}

std::vector<StoredEvent> MemorySessionStore::AppendLocked(
    Session* session, std::vector<coach::v1::SessionEvent> events) {
  std::vector<StoredEvent> stored;
  stored.reserve(events.size());
  int64_t seq = session->last_sequence;
  for (coach::v1::SessionEvent& ev : events) {
    ev.set_session_id(session->id);
    ev.set_epoch(session->epoch);
    ev.set_sequence(++seq);
    // Serialized once: history keeps these bytes alone, and every stream
    // sends them; the message lives while the commit's readers hold it.
    auto wire = std::make_shared<const std::string>(ev.SerializeAsString());
    const bool finishes =
        ev.status().run_state() == coach::v1::RUN_STATE_FINISHED;
    session->history.push_back(StoredEvent::FromWire(wire, seq, finishes));
    stored.push_back(
        StoredEvent::MakeSerialized(std::move(ev), std::move(wire)));
  }
  while (static_cast<int>(session->history.size()) > options_.max_history) {
    session->history.pop_front();
  }
  session->last_sequence = seq;
  if (stored.empty()) return stored;
  for (EventListener* listener : session->listeners) listener->OnEvents(stored);
  return stored;
}

absl::StatusOr<std::vector<StoredEvent>> MemorySessionStore::Create(
    coach::internal::SessionRecord* record,
    std::vector<coach::v1::SessionEvent> events) {
  auto session = std::make_shared<Session>();
  // Held until the session is whole: whoever finds it meanwhile waits. The
  // map's lock is taken inside it; nothing takes them the other way round.
  absl::MutexLock session_lock(&session->mu);
  {
    absl::MutexLock lock(&mu_);
    auto& slot = sessions_[record->session_id()];
    if (slot != nullptr) {
      return absl::AlreadyExistsError(
          absl::StrCat("session ", record->session_id(), " already exists"));
    }
    slot = session;
  }
  record->set_epoch(RandomId(6));
  record->set_last_sequence(0);
  session->id = record->session_id();
  session->epoch = record->epoch();
  // No listener can exist yet.
  std::vector<StoredEvent> stored =
      AppendLocked(session.get(), std::move(events));
  record->set_last_sequence(session->last_sequence);
  KeepLocked(session.get(), record);
  return stored;
}

absl::StatusOr<coach::internal::SessionRecord> MemorySessionStore::Load(
    absl::string_view session_id) {
  absl::StatusOr<std::shared_ptr<Session>> session = Find(session_id);
  if (!session.ok()) return session.status();
  coach::internal::SessionRecord record;
  const Session& s = **session;
  absl::MutexLock lock(&(*session)->mu);
  const bool parsed = record.ParseFromString(s.record);
  COACHD_DCHECK(parsed, "a record the store serialized does not parse");
  if (s.cue_sequence != 0) {
    // The cue kept as a history event (KeepLocked): it is among the newest
    // events, which only a later commit trims, and that commit keeps the
    // record again.
    const int64_t first = s.history.front().sequence();
    COACHD_DCHECK(
        s.cue_sequence >= first &&
            s.cue_sequence - first < static_cast<int64_t>(s.history.size()),
        "the record's cue is no longer in the session's history");
    coach::v1::SessionEvent* cue = record.mutable_engine()->mutable_last_cue();
    const bool cue_parsed = cue->ParseFromString(
        *s.history[static_cast<size_t>(s.cue_sequence - first)].Wire());
    COACHD_DCHECK(cue_parsed, "a history event does not parse");
    cue->clear_session_id();
    cue->clear_sequence();
    cue->clear_epoch();
  }
  return record;
}

absl::StatusOr<std::vector<StoredEvent>> MemorySessionStore::Commit(
    int64_t expected_sequence, coach::internal::SessionRecord* record,
    std::vector<coach::v1::SessionEvent> events) {
  absl::StatusOr<std::shared_ptr<Session>> found = Find(record->session_id());
  if (!found.ok()) return found.status();
  Session* session = found->get();
  bool finishing = false;
  std::vector<StoredEvent> stored;
  {
    absl::MutexLock lock(&session->mu);
    if (session->last_sequence != expected_sequence) {
      return absl::AbortedError(absl::StrCat(
          "session ", record->session_id(), " changed: expected sequence ",
          expected_sequence, ", stored ", session->last_sequence));
    }
    record->set_epoch(session->epoch);
    finishing = !session->finished &&
                record->engine().run_state() == coach::v1::RUN_STATE_FINISHED;
    stored = AppendLocked(session, std::move(events));
    record->set_last_sequence(session->last_sequence);
    KeepLocked(session, record);
  }
  if (finishing) Retire(record->session_id());
  return stored;
}

void MemorySessionStore::Retire(const std::string& session_id) {
  std::vector<std::shared_ptr<Session>> dropped;  // Freed after the lock.
  absl::MutexLock lock(&mu_);
  finished_.push_back(session_id);
  while (static_cast<int>(finished_.size()) >
         std::max(0, options_.max_finished_sessions)) {
    auto it = sessions_.find(finished_.front());
    if (it != sessions_.end()) {
      dropped.push_back(std::move(it->second));
      sessions_.erase(it);
    }
    finished_.pop_front();
  }
}

absl::StatusOr<HistoryRead> MemorySessionStore::ReadHistory(
    absl::string_view session_id, absl::string_view epoch,
    int64_t after_sequence, int max_events) {
  absl::StatusOr<std::shared_ptr<Session>> found = Find(session_id);
  if (!found.ok()) return found.status();
  Session& s = **found;
  absl::MutexLock lock(&s.mu);
  HistoryRead read;
  read.epoch = s.epoch;
  read.last_sequence = s.last_sequence;
  const int64_t first =
      s.history.empty() ? read.last_sequence + 1 : s.history.front().sequence();
  if (epoch != read.epoch || after_sequence + 1 < first ||
      after_sequence > read.last_sequence) {
    read.complete = false;
    return read;
  }
  for (size_t i = static_cast<size_t>(after_sequence + 1 - first);
       i < s.history.size() &&
       static_cast<int>(read.events.size()) < max_events;
       ++i) {
    read.events.push_back(s.history[i]);
  }
  return read;
}

absl::StatusOr<std::unique_ptr<FollowHandle>> MemorySessionStore::Follow(
    absl::string_view session_id, int64_t after_sequence,
    EventListener* listener) {
  absl::StatusOr<std::shared_ptr<Session>> found = Find(session_id);
  if (!found.ok()) return found.status();
  Session* s = found->get();
  {
    absl::MutexLock lock(&s->mu);
    std::vector<StoredEvent> missed;
    for (const StoredEvent& ev : s->history) {
      if (ev.sequence() > after_sequence) missed.push_back(ev);
    }
    if (!missed.empty()) listener->OnEvents(missed);
    s->listeners.push_back(listener);
  }
  return std::unique_ptr<FollowHandle>(new Handle(*std::move(found), listener));
}

absl::StatusOr<std::vector<std::string>> MemorySessionStore::ListLive() {
  std::vector<std::shared_ptr<Session>> all;
  {
    absl::MutexLock lock(&mu_);
    all.reserve(sessions_.size());
    for (const auto& [id, session] : sessions_) all.push_back(session);
  }
  std::vector<std::string> ids;
  for (const std::shared_ptr<Session>& session : all) {
    absl::MutexLock lock(&session->mu);
    if (!session->finished) ids.push_back(session->id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace coachd
