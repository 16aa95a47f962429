#include "clients/loadgen/chaos_ledger.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"

namespace coachd {

ObservedEvent ObserveEvent(const coach::v1::SessionEvent& event) {
  ObservedEvent o;
  o.epoch = event.epoch();
  o.sequence = event.sequence();
  o.server_time = absl::FromUnixSeconds(event.server_time().seconds()) +
                  absl::Nanoseconds(event.server_time().nanos());
  o.finished = event.status().run_state() == coach::v1::RUN_STATE_FINISHED;
  if (event.has_snapshot()) {
    o.kind = event.snapshot().recovered() ? EventKind::kSnapshotRecovered
                                          : EventKind::kSnapshotLost;
    const coach::v1::SessionView& view = event.snapshot().session();
    if (o.finished && view.has_summary()) {
      o.summary_pauses = view.summary().pauses();
      o.percent_done = view.summary().percent_done();
    }
    return o;
  }
  o.fingerprint = std::hash<std::string>{}(event.SerializeAsString());
  o.repeated_cue = event.repeated_cue();
  o.paused = event.has_paused();
  o.resumed = event.has_resumed();
  if (event.has_session_done()) {
    o.summary_pauses = event.session_done().summary().pauses();
    o.percent_done = event.session_done().summary().percent_done();
  }
  return o;
}

SessionLedger::SessionLedger(int devices)
    : trackers_(devices, SequenceTracker(/*lost_snapshots_expected=*/true)),
      finished_(devices, false) {}

void SessionLedger::Begin(int device, absl::string_view epoch,
                          int64_t last_sequence) {
  trackers_[device].Reset(epoch, last_sequence);
}

void SessionLedger::Acknowledged(int64_t last_sequence) {
  acknowledged_ = std::max(acknowledged_, last_sequence);
}

std::pair<std::string, int64_t> SessionLedger::Position(int device) const {
  return {trackers_[device].epoch(), trackers_[device].last_sequence()};
}

int SessionLedger::EpochIndex(const std::string& epoch, int64_t position) {
  auto it = std::find(epochs_.begin(), epochs_.end(), epoch);
  int index = static_cast<int>(it - epochs_.begin());
  if (it == epochs_.end()) {
    epochs_.push_back(epoch);
    // The first history starts at 1; a later one where it was first seen.
    epoch_first_.push_back(epochs_.size() == 1 ? 1 : position);
    epoch_last_.push_back(position);
  }
  epoch_first_[index] = std::min(epoch_first_[index], position);
  epoch_last_[index] = std::max(epoch_last_[index], position);
  return index;
}

bool SessionLedger::Observe(int device, const ObservedEvent& e) {
  SequenceTracker& tracker = trackers_[device];
  const int64_t gaps = tracker.gaps();
  const int64_t duplicates = tracker.duplicates();
  const Verdict verdict = tracker.Observe(e.epoch, e.sequence, e.kind);
  const int epoch = EpochIndex(e.epoch, std::max<int64_t>(e.sequence, 1));
  auto problem = [&](absl::string_view what) {
    if (first_problem_.empty()) {
      first_problem_ = absl::StrCat(what, " at {", e.epoch, ", ", e.sequence,
                                    "} on device ", device);
    }
  };
  if (tracker.gaps() != gaps) problem("silent gap");
  if (tracker.duplicates() != duplicates) problem("duplicate");
  if (e.finished) {
    finished_[device] = true;
    finished_any_ = true;
    if (e.summary_pauses >= 0) {
      summary_pauses_ = e.summary_pauses;
      percent_done_ = e.percent_done;
    }
    if (e.kind == EventKind::kEvent) {
      finished_at_ = std::min(finished_at_, e.server_time);
    }
  }
  if (e.kind != EventKind::kEvent) return true;
  const Seen seen{e.fingerprint, e.repeated_cue, e.paused, e.resumed};
  auto [it, inserted] =
      events_.emplace(std::make_pair(epoch, e.sequence), seen);
  if (!inserted && it->second.fingerprint != e.fingerprint) {
    ++changed_;
    problem("changed event");
    it->second = seen;  // The later content is what the history holds now.
  }
  if (verdict == Verdict::kNew) ++events_new_;
  return verdict == Verdict::kNew;
}

SessionTally SessionLedger::Tally() const {
  SessionTally t;
  for (const SequenceTracker& tracker : trackers_) {
    t.duplicates += tracker.duplicates();
    t.silent_gaps += tracker.gaps();
    t.missing += tracker.missing();
    t.not_recovered += tracker.lag_snapshots();
  }
  t.events = events_new_;
  t.changed = changed_;
  t.epochs = static_cast<int64_t>(epochs_.size());
  // Each epoch holds the history from where it begins up to where the next
  // begins: what an earlier epoch had past that point was replaced.
  const int epochs = static_cast<int>(epochs_.size());
  for (int k = 0; k < epochs; ++k) {
    const int64_t lo = epoch_first_[k];
    const int64_t hi =
        k + 1 < epochs ? epoch_first_[k + 1] - 1 : epoch_last_[k];
    int64_t covered = 0;
    for (auto it = events_.lower_bound({k, lo});
         it != events_.end() && it->first.first == k && it->first.second <= hi;
         ++it) {
      ++covered;
      t.repeats += it->second.repeated_cue ? 1 : 0;
      t.pauses += it->second.paused ? 1 : 0;
      t.resumes += it->second.resumed ? 1 : 0;
    }
    t.hidden += std::max<int64_t>(0, hi - lo + 1 - covered);
    if (k + 1 == epochs) t.last_sequence = hi;
  }
  // The tail no device saw (their streams broke before it came).
  t.hidden += std::max<int64_t>(0, acknowledged_ - t.last_sequence);
  t.finished = finished_any_;
  t.summary_pauses = summary_pauses_;
  t.percent_done = percent_done_;
  t.finished_at = finished_at_;
  t.first_problem = first_problem_;
  return t;
}

}  // namespace coachd
