// What one subscriber has seen of a session, to prove delivery exact: every
// event after its position once, in order. Counts new events, duplicates and
// gaps (a sequence jump, an epoch change without a snapshot, or a snapshot
// saying events were lost, unless the subscriber is the deliberately slow
// one, whose "caught up with a snapshot" is the intended outcome).
//
//   SequenceTracker t;
//   t.Reset(epoch, 0);                         // replaying from the start
//   t.Observe(epoch, 1, EventKind::kEvent);    // kNew
//   t.Observe(epoch, 1, EventKind::kEvent);    // kDuplicate
#ifndef CLIENTS_LOADGEN_SEQUENCE_TRACKER_H_
#define CLIENTS_LOADGEN_SEQUENCE_TRACKER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace coachd {

// What kind of message a subscriber received.
enum class EventKind {
  kEvent,              // A coaching event.
  kSnapshotRecovered,  // A snapshot with recovered=true (nothing lost).
  kSnapshotLost,       // A snapshot with recovered=false (events lost).
};

// How an observed message relates to the position before it.
enum class Verdict {
  kNew,        // The next event (or a jump: see gaps()).
  kDuplicate,  // At or before the position: seen already.
  kSnapshot,   // A snapshot moved the position.
};

// Not thread-safe: one per subscriber, used from its stream's callbacks.
class SequenceTracker {
 public:
  // With `lost_snapshots_expected`, a recovered=false snapshot is counted in
  // lag_snapshots() instead of gaps() (the stalled-subscriber scenario).
  explicit SequenceTracker(bool lost_snapshots_expected = false)
      : lost_snapshots_expected_(lost_snapshots_expected) {}

  // Sets the position the subscriber resumes from.
  void Reset(absl::string_view epoch, int64_t last_sequence);

  // Accounts for one received message and moves the position.
  Verdict Observe(absl::string_view epoch, int64_t sequence, EventKind kind);

  const std::string& epoch() const { return epoch_; }
  int64_t last_sequence() const { return last_sequence_; }
  int64_t delivered() const { return delivered_; }  // New events.
  int64_t duplicates() const { return duplicates_; }
  int64_t gaps() const { return gaps_; }        // Gap occurrences.
  int64_t missing() const { return missing_; }  // Events skipped by jumps.
  int64_t lag_snapshots() const { return lag_snapshots_; }

 private:
  const bool lost_snapshots_expected_;
  std::string epoch_;
  int64_t last_sequence_ = 0;
  int64_t delivered_ = 0;
  int64_t duplicates_ = 0;
  int64_t gaps_ = 0;
  int64_t missing_ = 0;
  int64_t lag_snapshots_ = 0;
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_SEQUENCE_TRACKER_H_
