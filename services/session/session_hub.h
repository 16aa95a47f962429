// In-process fan-out of session events to local subscribers. One channel per
// session per process follows the store (one reader per session, never one
// per subscriber) and hands each event to every attached sink, in order;
// a finished session's channel follows nothing (no event can come). A
// recent window of events serves resumes without a store round trip.
//
//   std::unique_ptr<HubAttachment> a = hub.Attach(record, &position, sink);
//   // sink->Deliver(...) now receives missed events (or a snapshot), then
//   // live ones, each exactly once and in sequence order.
#ifndef SERVICES_SESSION_SESSION_HUB_H_
#define SERVICES_SESSION_SESSION_HUB_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/store/session_store.h"

namespace coachd {

// A subscriber as the hub sees it.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Receives the next event. Called with the channel's lock held, in
  // sequence order: must be quick and must not call back into the hub.
  virtual void Deliver(const StoredEvent& event) = 0;
};

// Why a receiver was handed a snapshot instead of events (for metrics).
enum class SnapshotReason {
  kJoined,        // Attached with no position: its first event.
  kCannotResume,  // Its position could not be resumed (another epoch,
                  // history trimmed, ahead of history, a session too fast).
  kNewEpoch,      // The store moved the session to a new epoch (failover).
  kFellBehind,    // A stream too slow for its queue (the reactor's).
};
inline constexpr int kSnapshotReasons = 4;

// The metric label of `reason`: "joined", "cannot_resume", "new_epoch",
// "fell_behind".
const char* SnapshotReasonLabel(SnapshotReason reason);

// Options of SessionHub.
struct HubOptions {
  int window = 512;  // Recent events kept per session for resumes.
};

class HubChannel;

// A sink's place in a session's channel. Destroying it detaches the sink:
// once the destructor returns, the sink is never called again.
class HubAttachment {
 public:
  HubAttachment(std::shared_ptr<HubChannel> channel, EventSink* sink);
  ~HubAttachment();
  HubAttachment(const HubAttachment&) = delete;
  HubAttachment& operator=(const HubAttachment&) = delete;

  // A snapshot of the session as of its last event (the snapshot's
  // sequence), with `recovered` and `reason`. Takes the channel's lock: never
  // call it from inside Deliver.
  StoredEvent Snapshot(bool recovered, absl::string_view reason) const;

 private:
  std::shared_ptr<HubChannel> channel_;
  EventSink* sink_;
};

// Thread-safe. Attach blocks on store reads: call it on a worker thread.
class SessionHub {
 public:
  // `store`, `clock` and `cleanup` must outlive the hub; `cleanup` runs store
  // unsubscriptions off the caller's thread.
  SessionHub(SessionStore* store, const Clock* clock, Executor* cleanup,
             HubOptions options = {});
  ~SessionHub();

  // Attaches `sink` to the session of `record` (loaded by the caller, access
  // already checked). With no `position`, the sink first gets a snapshot
  // (recovered=true). With one, it gets every event after
  // position->last_sequence exactly once; where that is impossible (another
  // epoch, history trimmed, a position ahead of history) a snapshot with
  // recovered=false. Then live events. When the store moves the session to
  // a new epoch (a Redis failover that may have lost events), every sink
  // gets a not-recovered snapshot as of the new epoch's first event, then
  // the events after it. Errors: the store's.
  absl::StatusOr<std::unique_ptr<HubAttachment>> Attach(
      const coach::internal::SessionRecord& record,
      const coach::v1::ResumePosition* position, EventSink* sink);

  // Number of sessions with a channel in this process (for tests/metrics).
  int ChannelCount() const;

  // Events handed to sinks so far (every stream's, and the timer driver's,
  // missed events, snapshots and live events; one per sink). For metrics.
  int64_t EventsDelivered() const {
    return delivered_.load(std::memory_order_relaxed);
  }

  // Snapshots handed to receivers so far for `reason` (one per receiver),
  // those the hub made and those counted with CountSnapshot. For metrics.
  int64_t SnapshotsSent(SnapshotReason reason) const {
    return snapshots_[static_cast<int>(reason)].load(std::memory_order_relaxed);
  }

  // Counts a snapshot a receiver made itself through HubAttachment::Snapshot
  // (a stream that fell behind). Thread-safe, never blocks.
  void CountSnapshot(SnapshotReason reason, int64_t n = 1) {
    snapshots_[static_cast<int>(reason)].fetch_add(n,
                                                   std::memory_order_relaxed);
  }

 private:
  friend class HubAttachment;
  friend class HubChannel;  // Counts delivered_.
  absl::StatusOr<std::shared_ptr<HubChannel>> GetOrCreate(
      const coach::internal::SessionRecord& record);
  // Attaches to one channel; false when it closed meanwhile.
  absl::StatusOr<bool> AttachTo(HubChannel& channel,
                                const coach::internal::SessionRecord& record,
                                const coach::v1::ResumePosition* position,
                                EventSink* sink);
  void Release(const std::shared_ptr<HubChannel>& channel, EventSink* sink);

  SessionStore* store_;
  const Clock* clock_;
  Executor* cleanup_;
  const HubOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<HubChannel>> channels_
      ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> delivered_{0};
  std::array<std::atomic<int64_t>, kSnapshotReasons> snapshots_{};
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SESSION_HUB_H_
