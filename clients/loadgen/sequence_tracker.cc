#include "clients/loadgen/sequence_tracker.h"

namespace coachd {

void SequenceTracker::Reset(absl::string_view epoch, int64_t last_sequence) {
  epoch_ = std::string(epoch);
  last_sequence_ = last_sequence;
}

Verdict SequenceTracker::Observe(absl::string_view epoch, int64_t sequence,
                                 EventKind kind) {
  if (kind != EventKind::kEvent) {
    if (kind == EventKind::kSnapshotLost) {
      if (lost_snapshots_expected_) {
        ++lag_snapshots_;
      } else {
        ++gaps_;
      }
    }
    epoch_ = std::string(epoch);
    last_sequence_ = sequence;
    return Verdict::kSnapshot;
  }
  if (epoch != epoch_) {
    // A new history without a snapshot saying so: whatever came before the
    // event in that history was never shown.
    ++gaps_;
    missing_ += sequence > 1 ? sequence - 1 : 0;
    epoch_ = std::string(epoch);
    last_sequence_ = sequence;
    ++delivered_;
    return Verdict::kNew;
  }
  if (sequence <= last_sequence_) {
    ++duplicates_;
    return Verdict::kDuplicate;
  }
  if (sequence > last_sequence_ + 1) {
    ++gaps_;
    missing_ += sequence - last_sequence_ - 1;
  }
  last_sequence_ = sequence;
  ++delivered_;
  return Verdict::kNew;
}

}  // namespace coachd
