// Which sessions this replica drives, and keeping their timers right.
//
// A replica drives a session (fires its timers) while it holds the session's
// lease (TimerLeases). The driver:
//  - takes the lease of every session this replica starts (Adopt);
//  - keeps the timer of each driven session at the deadline of its newest
//    stored record (Update, called after every commit);
//  - follows each driven session's events through the hub (one reader per
//    session per replica, shared with local subscribers) when other replicas
//    share the store; when an event it did not commit arrives (a pause or
//    "next" sent to another replica) it makes the session's timer due at
//    once, and that tick reloads the record (Cached is empty meanwhile);
//  - renews its leases every ttl/3 and stops driving the ones it loses;
//  - sweeps the live sessions every second and takes over those whose lease
//    has no live holder (a dead replica, a restart, a store that was down).
// The timer of a session taken over fires at once if its stored deadline has
// passed; the engine then catches up step by step from the stored deadlines,
// and the commit's expected sequence keeps every event exactly once even if
// two replicas briefly both tick.
//
// The driver never calls the runner: the runner calls it (Adopt, Update,
// Cached, Drives), and whoever ticks the timer queue ticks the runner
// (SessionComponent's timer loop).
//
//   TimerDriver driver(&leases, &store, &timers, &hub, &clock, {});
//   SessionRunner runner(&catalog, &store, &clock, &driver, &policy, {}, {});
//   driver.Sweep();   // take over what is live at start-up
//   driver.Start();   // renew and sweep threads
#ifndef SERVICES_SESSION_TIMER_DRIVER_H_
#define SERVICES_SESSION_TIMER_DRIVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "services/common/clock.h"
#include "services/session/session_hub.h"
#include "services/session/timer_leases.h"
#include "services/session/timer_queue.h"
#include "services/store/session_store.h"

namespace coachd {

// Options of TimerDriver.
struct TimerDriverOptions {
  // Pause between sweeps for sessions without a live lease holder.
  absl::Duration sweep_interval = absl::Seconds(1);
  // Bounded work per sweep: leases tried (one pipelined round trip) and
  // sessions taken over (a load and a follow each).
  int max_candidates_per_sweep = 1000;
  int max_takeovers_per_sweep = 100;
};

// Thread-safe. Every pointer passed in must outlive the driver. Methods other
// than Drives and Cached may block on the store or the leases: call them
// from worker threads, never from a gRPC reaction.
class TimerDriver {
 public:
  // `hub` may be null when `leases` is not shared (nothing to watch).
  TimerDriver(TimerLeases* leases, SessionStore* store, TimerQueue* timers,
              SessionHub* hub, const Clock* clock,
              TimerDriverOptions options = {});
  // Stop()s.
  ~TimerDriver();
  TimerDriver(const TimerDriver&) = delete;
  TimerDriver& operator=(const TimerDriver&) = delete;

  // True while this replica drives the session: it holds the lease.
  bool Drives(absl::string_view session_id) const;

  // A session this replica just created (record as stored): takes its lease
  // and drives it. If the lease cannot be taken now (store unreachable), a
  // later sweep takes it.
  void Adopt(const coach::internal::SessionRecord& record);

  // The store now holds `record`: if this replica drives the session,
  // schedules its next deadline (ignored when older than a record already
  // seen). A finished session's lease is released and it is no longer
  // driven.
  void Update(const coach::internal::SessionRecord& record);

  // The newest record of a driven session as this replica committed it, if
  // no other replica's change is known to be pending; else nullopt. A commit
  // from it still checks the expected sequence, so a stale copy costs an
  // ABORTED and a reload, never a wrong event. Always nullopt when the store
  // loads from this process's memory and no watch needs the record
  // (SessionStore::LoadsLocally, unshared leases): a load costs the same
  // copy, and the driver keeps no second record per session.
  std::optional<coach::internal::SessionRecord> Cached(
      absl::string_view session_id) const;

  // Stops driving a session that is gone (expired or deleted) and releases
  // its lease.
  void Forget(absl::string_view session_id);

  // One sweep: lists live sessions, takes the leases of those without a
  // live holder (bounded by the options), loads and drives them, and
  // re-attaches watches that failed. UNAVAILABLE when the store is.
  absl::Status Sweep();

  // Renews every lease once; stops driving the sessions whose lease is lost.
  void Renew();

  // Starts the renew thread (every ttl/3; none for leases that never
  // expire) and the sweep thread (every sweep_interval).
  void Start();

  // Stops the threads, stops driving every session and releases the leases
  // (another replica takes them over at its next sweep). Idempotent.
  void Stop();

  // Sessions driven now, sorted.
  std::vector<std::string> Driven() const;

  // Sessions this replica took over in a sweep so far (their lease had no
  // live holder: another replica died or stopped, or this one restarted),
  // and leases it lost (taken, expired or not renewed in time). For
  // metrics; never blocks.
  int64_t Takeovers() const { return takeovers_.load(); }
  int64_t LeasesLost() const { return leases_lost_.load(); }

 private:
  class WatchSink;
  struct Watch;
  struct Entry;

  // Starts driving `record`'s session (its lease is held). False when it
  // was driven already or is finished.
  bool Take(const coach::internal::SessionRecord& record);
  // Follows the session's events through the hub; on failure, the next
  // sweep tries again.
  void AttachWatch(const coach::internal::SessionRecord& record,
                   uint64_t generation);
  // Stops driving; releases the lease when `release`.
  void Drop(const std::string& session_id, bool release);
  // An event of a driven session reached this replica (from the hub).
  void OnEvent(const std::string& session_id, int64_t sequence, bool snapshot);
  // Waits up to `d`; false once stopping.
  bool WaitFor(absl::Duration d);

  TimerLeases* const leases_;
  SessionStore* const store_;
  TimerQueue* const timers_;
  SessionHub* const hub_;
  const Clock* const clock_;
  const TimerDriverOptions options_;
  // Whether entries keep the newest record (see Cached).
  const bool keep_records_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> driven_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::string sweep_cursor_ ABSL_GUARDED_BY(mu_);  // Last id tried.

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool started_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread renew_thread_;
  std::thread sweep_thread_;
  std::atomic<int64_t> takeovers_{0};
  std::atomic<int64_t> leases_lost_{0};
};

}  // namespace coachd

#endif  // SERVICES_SESSION_TIMER_DRIVER_H_
