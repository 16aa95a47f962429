#include "services/store/memory_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace coachd {

class MemoryStore::Handle : public FollowHandle {
public:
  Handle(MemoryStore *store, std::string session_id, EventListener *listener)
      : store_(store), session_id_(std::move(session_id)), listener_(listener) {
  }
  ~Handle() override { store_->Unfollow(session_id_, listener_); }

private:
  MemoryStore *store_;
  std::string session_id_;
  EventListener *listener_;
};

MemoryStore::MemoryStore(MemoryStoreOptions options) : options_(options) {}
MemoryStore::~MemoryStore() = default;

void MemoryStore::AppendLocked(Session *session,
                               std::vector<coach::v1::SessionEvent> *events) {
  std::vector<StoredEvent> stored;
  stored.reserve(events->size());
  int64_t seq = session->record.last_sequence();
  for (coach::v1::SessionEvent &ev : *events) {
    ev.set_session_id(session->record.session_id());
    ev.set_epoch(session->record.epoch());
    ev.set_sequence(++seq);
    StoredEvent shared = StoredEvent::Make(ev);
    session->history.push_back(shared);
    stored.push_back(std::move(shared));
  }
  while (static_cast<int>(session->history.size()) > options_.max_history) {
    session->history.pop_front();
  }
  session->record.set_last_sequence(seq);
  if (stored.empty())
    return;
  for (EventListener *listener : session->listeners)
    listener->OnEvents(stored);
}

absl::Status MemoryStore::Create(coach::internal::SessionRecord *record,
                                 std::vector<coach::v1::SessionEvent> *events) {
  absl::MutexLock lock(&mu_);
  auto &slot = sessions_[record->session_id()];
  if (slot != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("session ", record->session_id(), " already exists"));
  }
  slot = std::make_unique<Session>();
  record->set_epoch(RandomId(6));
  record->set_last_sequence(0);
  slot->record = *record;
  AppendLocked(slot.get(), events);
  record->set_last_sequence(slot->record.last_sequence());
  return absl::OkStatus();
}

absl::StatusOr<coach::internal::SessionRecord>
MemoryStore::Load(absl::string_view session_id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  return it->second->record;
}

absl::Status MemoryStore::Commit(int64_t expected_sequence,
                                 coach::internal::SessionRecord *record,
                                 std::vector<coach::v1::SessionEvent> *events) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(record->session_id());
  if (it == sessions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("session ", record->session_id(), " not found"));
  }
  Session *session = it->second.get();
  if (session->record.last_sequence() != expected_sequence) {
    return absl::AbortedError(absl::StrCat(
        "session ", record->session_id(), " changed: expected sequence ",
        expected_sequence, ", stored ", session->record.last_sequence()));
  }
  record->set_epoch(session->record.epoch());
  record->set_last_sequence(expected_sequence);
  const bool finishing =
      session->record.engine().run_state() != coach::v1::RUN_STATE_FINISHED &&
      record->engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  session->record = *record;
  AppendLocked(session, events);
  record->set_last_sequence(session->record.last_sequence());
  if (finishing) {
    finished_.push_back(record->session_id());
    while (static_cast<int>(finished_.size()) >
           std::max(0, options_.max_finished_sessions)) {
      sessions_.erase(finished_.front());
      finished_.pop_front();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HistoryRead>
MemoryStore::ReadHistory(absl::string_view session_id, absl::string_view epoch,
                         int64_t after_sequence, int max_events) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  const Session &s = *it->second;
  HistoryRead read;
  read.epoch = s.record.epoch();
  read.last_sequence = s.record.last_sequence();
  const int64_t first = s.history.empty() ? read.last_sequence + 1
                                          : s.history.front()->sequence();
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

absl::StatusOr<std::unique_ptr<FollowHandle>>
MemoryStore::Follow(absl::string_view session_id, int64_t after_sequence,
                    EventListener *listener) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  Session *s = it->second.get();
  std::vector<StoredEvent> missed;
  for (const StoredEvent &ev : s->history) {
    if (ev->sequence() > after_sequence)
      missed.push_back(ev);
  }
  if (!missed.empty())
    listener->OnEvents(missed);
  s->listeners.push_back(listener);
  return std::unique_ptr<FollowHandle>(
      new Handle(this, std::string(session_id), listener));
}

void MemoryStore::Unfollow(const std::string &session_id,
                           EventListener *listener) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end())
    return;
  auto &l = it->second->listeners;
  l.erase(std::remove(l.begin(), l.end(), listener), l.end());
}

absl::StatusOr<std::vector<std::string>> MemoryStore::ListLive() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto &[id, session] : sessions_) {
    if (session->record.engine().run_state() != coach::v1::RUN_STATE_FINISHED) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

} // namespace coachd
