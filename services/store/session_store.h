// Where live sessions are kept: each session's record (state) and its event
// log, changed together in one atomic step. Two implementations share this
// interface and one conformance suite: MemorySessionStore (embedded, the
// default) and RedisSessionStore.
//
//   std::vector<SessionEvent> events = engine->Start(now, &record);
//   absl::StatusOr<std::vector<StoredEvent>> stored =
//       store->Create(&record, std::move(events));  // sequences 1..n
//   ...
//   stored = store->Commit(expected_last_sequence, &record, std::move(more));
//
// Events go in by value and come back as stored: moved, never copied, from
// the engine to the store, its followers and the commit's observers.
#ifndef SERVICES_STORE_SESSION_STORE_H_
#define SERVICES_STORE_SESSION_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/store/stored_event.h"

namespace coachd {

// Events read from a session's history.
// A store answering from events it keeps in memory vouches only for the
// epoch asked (it does not see a session deleted and recreated since):
// callers load the record first and ask with its epoch.
struct HistoryRead {
  std::string epoch;  // The session's current epoch.
  // The session's last sequence when read; a store answering from memory
  // may give the last event returned instead (then there may be more).
  int64_t last_sequence = 0;
  // False when history no longer holds every event after the requested
  // sequence (trimmed), or the epoch differs: the reader cannot be caught up
  // event by event.
  bool complete = true;
  std::vector<StoredEvent> events;  // Contiguous, oldest first.
};

// Receives a session's events as they are appended, in order, each once.
class EventListener {
 public:
  virtual ~EventListener() = default;
  // Called with events in sequence order. Must not block or call the store.
  virtual void OnEvents(const std::vector<StoredEvent>& events) = 0;
};

// Stops a Follow when destroyed; after the destructor returns the listener
// is never called again. It may wait for a listener call in progress, so it
// must not be destroyed inside its own listener.
class FollowHandle {
 public:
  virtual ~FollowHandle() = default;
};

// The store. Implementations are thread-safe. Methods may block on I/O: call
// them from worker threads, never from a gRPC reaction.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Stores a new session: assigns its epoch, gives `events` sequences 1..n
  // and sets record->last_sequence. Returns the events as stored, in order,
  // with session id, epoch and sequence set: equal to what ReadHistory and
  // Follow give for them (each implementation says whether they are the
  // very same objects). ALREADY_EXISTS if the id is taken; UNAVAILABLE when
  // the store cannot be reached. On error nothing is stored and `events` are
  // lost: pass them with std::move, and make them anew to try again.
  virtual absl::StatusOr<std::vector<StoredEvent>> Create(
      coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) = 0;

  // The session's record. NOT_FOUND for an unknown id.
  virtual absl::StatusOr<coach::internal::SessionRecord> Load(
      absl::string_view session_id) = 0;

  // Atomically replaces the record and appends `events` (sequences
  // expected_sequence+1..), if the stored last sequence is still
  // `expected_sequence`; else ABORTED and nothing changes. Sets the events'
  // session id, epoch and sequence and record->epoch and
  // record->last_sequence, and returns the events as stored, as Create does.
  // On error nothing is stored and `events` are lost (as for Create): a
  // caller retrying after ABORTED reloads and makes its events anew.
  // A store that may have lost events it handed out (Redis failed over)
  // commits them in a new epoch instead, numbered on from the stored
  // sequence: record->epoch() then differs from the one passed.
  virtual absl::StatusOr<std::vector<StoredEvent>> Commit(
      int64_t expected_sequence, coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) = 0;

  // Up to `max_events` events after `after_sequence`, if `epoch` is the
  // session's epoch and history still holds them (else complete=false).
  virtual absl::StatusOr<HistoryRead> ReadHistory(absl::string_view session_id,
                                                  absl::string_view epoch,
                                                  int64_t after_sequence,
                                                  int max_events) = 0;

  // Calls `listener` with every event after `after_sequence` (first those
  // already stored, then new ones as they are committed, by any process),
  // until the handle is destroyed. `listener` must outlive the handle.
  // After a Commit moved the session to a new epoch, the listener gets that
  // epoch's events from the first one it is given, whatever its sequence:
  // an event of another epoch starts a new history.
  virtual absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, int64_t after_sequence,
      EventListener* listener) = 0;

  // Ids of sessions that are not finished, for timers to resume after a
  // restart.
  virtual absl::StatusOr<std::vector<std::string>> ListLive() = 0;

  // OK when the store can serve requests now.
  virtual absl::Status Ping() = 0;

  // True when Load reads this process's memory (no round trip, nothing to
  // parse): then a caller gains nothing by keeping its own copy of a record
  // to save a load, and should not (memory per live session).
  virtual bool LoadsLocally() const { return false; }
};

}  // namespace coachd

#endif  // SERVICES_STORE_SESSION_STORE_H_
