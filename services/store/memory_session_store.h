// The embedded store: sessions in process memory. The default when coachd
// runs without --redis; also the reference for the store conformance suite.
#ifndef SERVICES_STORE_MEMORY_SESSION_STORE_H_
#define SERVICES_STORE_MEMORY_SESSION_STORE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/common/recent_log.h"
#include "services/store/session_store.h"

namespace coachd {

// Options of MemorySessionStore.
struct MemorySessionStoreOptions {
  // Events kept per session; older ones are trimmed (readers that need them
  // get complete=false and a snapshot).
  int max_history = 10000;
  // Finished sessions kept (for GetSession, summaries, late resumes); the
  // oldest finished ones are dropped beyond it, so memory stays bounded
  // however many sessions a process plays.
  int max_finished_sessions = 10000;
};

// Thread-safe. Each session has its own lock: commits and fan-out of
// different sessions run in parallel; one session's listeners are called
// under its lock, in order. The map of sessions has a lock of its own that
// is never held while a session's lock is.
class MemorySessionStore : public SessionStore {
 public:
  explicit MemorySessionStore(MemorySessionStoreOptions options = {});
  ~MemorySessionStore() override;
  MemorySessionStore(const MemorySessionStore&) = delete;
  MemorySessionStore& operator=(const MemorySessionStore&) = delete;

  // The events returned are the very objects the session's listeners get
  // (same get() pointers); history keeps their wire form only (the same
  // Wire() bytes), so ReadHistory and Follow's missed events are parsed
  // only if read.
  absl::StatusOr<std::vector<StoredEvent>> Create(
      coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override;
  absl::StatusOr<coach::internal::SessionRecord> Load(
      absl::string_view session_id) override;
  // As Create: returns the objects listeners get, history keeps their bytes.
  absl::StatusOr<std::vector<StoredEvent>> Commit(
      int64_t expected_sequence, coach::internal::SessionRecord* record,
      std::vector<coach::v1::SessionEvent> events) override;
  absl::StatusOr<HistoryRead> ReadHistory(absl::string_view session_id,
                                          absl::string_view epoch,
                                          int64_t after_sequence,
                                          int max_events) override;
  absl::StatusOr<std::unique_ptr<FollowHandle>> Follow(
      absl::string_view session_id, int64_t after_sequence,
      EventListener* listener) override;
  absl::StatusOr<std::vector<std::string>> ListLive() override;
  absl::Status Ping() override { return absl::OkStatus(); }
  bool LoadsLocally() const override { return true; }

 private:
  class Handle;
  // A session as kept: its record serialized (a third of the message's
  // size, in one block instead of about a hundred; Load parses it) and the
  // fields the store itself reads, as plain members.
  struct Session {
    absl::Mutex mu;
    std::string id ABSL_GUARDED_BY(mu);
    std::string epoch ABSL_GUARDED_BY(mu);
    int64_t last_sequence ABSL_GUARDED_BY(mu) = 0;
    bool finished ABSL_GUARDED_BY(mu) = false;
    std::string record ABSL_GUARDED_BY(mu);  // Its epoch and last_sequence too.
    // When not 0: `record` was kept without engine.last_cue, which is the
    // history event of this sequence but for its session id, sequence and
    // epoch (the engine copies each cue it makes there: the same bytes
    // twice otherwise, about 0.6 kB a session). Load puts it back.
    int64_t cue_sequence ABSL_GUARDED_BY(mu) = 0;
    // Newest last; at most max_history. Wire forms only (FromWire): a few
    // hundred bytes an event, not the message's heap blocks.
    RecentLog<StoredEvent> history ABSL_GUARDED_BY(mu);
    std::vector<EventListener*> listeners ABSL_GUARDED_BY(mu);
  };
  // Keeps `record` (its epoch and last sequence already set) as `session`'s,
  // without its last cue when that is one of the newest history events.
  // `record` is unchanged when this returns.
  static void KeepLocked(Session* session,
                         coach::internal::SessionRecord* record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(session->mu);
  // The sequence of the event among `session`'s newest history events that
  // is `cue` but for the session id, sequence and epoch it was stored with;
  // 0 when none is.
  static int64_t CueInHistoryLocked(const Session& session,
                                    const coach::v1::SessionEvent& cue)
      ABSL_SHARED_LOCKS_REQUIRED(session.mu);

  // The session, or NOT_FOUND. Takes and releases the map's lock.
  absl::StatusOr<std::shared_ptr<Session>> Find(absl::string_view session_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Numbers `events`, appends them to `session` (moved, not copied), tells
  // its listeners and returns them as stored.
  std::vector<StoredEvent> AppendLocked(
      Session* session, std::vector<coach::v1::SessionEvent> events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(session->mu);
  // Remembers a session that just finished; drops the oldest finished ones
  // beyond max_finished_sessions.
  void Retire(const std::string& session_id) ABSL_LOCKS_EXCLUDED(mu_);

  const MemorySessionStoreOptions options_;
  absl::Mutex mu_;  // Guards the map, not the sessions in it.
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions_
      ABSL_GUARDED_BY(mu_);
  std::deque<std::string> finished_ ABSL_GUARDED_BY(mu_);  // Oldest first.
};

// A random id of `bytes` random bytes, hex-encoded: session ids, epochs.
std::string RandomId(int bytes = 12);

}  // namespace coachd

#endif  // SERVICES_STORE_MEMORY_SESSION_STORE_H_
