// The newest events a Redis store wrote itself, kept in process for a
// while: a subscriber joining a session that this replica drives (the usual
// case: the device's own replica) replays them without parsing them back
// from Redis. Bounded in sessions and in events per session; the store
// still asks Redis for the session's state and whatever the cache lacks,
// unless what it keeps fills the read or reaches the end of a session that
// finished here (nothing can follow it): then the cache alone answers,
// until the session expires or the cache drops it.
//
//   RecentEvents recent({.max_sessions = 256, .max_events = 256});
//   recent.Add(id, epoch, written);          // after a successful write
//   std::vector<StoredEvent> head = recent.After(id, epoch, after, 100);
//   int64_t last = recent.FinalSequence(id, epoch, absl::Now());
#ifndef SERVICES_STORE_RECENT_EVENTS_H_
#define SERVICES_STORE_RECENT_EVENTS_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/store/stored_event.h"

namespace coachd {

// Options of RecentEvents. Memory is at most about max_sessions *
// max_events events (each with its wire form).
struct RecentEventsOptions {
  int max_sessions = 256;  // Least recently written sessions go first.
  int max_events = 256;    // Newest events kept per session.
};

// Thread-safe.
class RecentEvents {
 public:
  explicit RecentEvents(RecentEventsOptions options) : options_(options) {}

  // Remembers `events` (contiguous, oldest first) just written to the
  // session under `epoch`. Events that do not follow what is kept (another
  // epoch, or a gap: another replica wrote in between) replace it. When
  // they end the session (it finished: nothing follows them in this epoch),
  // `final_until` is when the store stops vouching for it (its expiry);
  // absl::InfinitePast() when they do not end it.
  void Add(const std::string& session_id, const std::string& epoch,
           const std::vector<StoredEvent>& events,
           absl::Time final_until = absl::InfinitePast());

  // Kept events of the session after `after_sequence`, starting exactly at
  // after_sequence + 1, at most `max_events`; empty when the epoch differs
  // or that event is not kept.
  std::vector<StoredEvent> After(absl::string_view session_id,
                                 absl::string_view epoch,
                                 int64_t after_sequence, int max_events);

  // The session's last sequence if it finished in `epoch` with that event
  // kept here, and `now` is before the final_until it was added with;
  // else -1.
  int64_t FinalSequence(absl::string_view session_id, absl::string_view epoch,
                        absl::Time now) const;

  // Sessions kept now (for tests).
  int SessionCountForTest() const;

 private:
  struct Entry {
    std::string epoch;
    std::deque<StoredEvent> events;  // Contiguous, oldest first.
    uint64_t last_write = 0;         // For least-recently-written eviction.
    // Set when the last event kept ended the session; see Add().
    absl::Time final_until = absl::InfinitePast();
  };

  const RecentEventsOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // SERVICES_STORE_RECENT_EVENTS_H_
