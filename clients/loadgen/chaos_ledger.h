// What the devices of one session saw during a chaos run, checked against
// the service's promises: each device sees every event after its position
// once, in order, within an epoch, or an explicit not-recovered snapshot;
// and no {epoch, sequence} ever stands for two different events, on any
// device, across any reconnect. From what all devices saw it also rebuilds
// the session's history as it stands at the end (each epoch up to where the
// next began), so that command effects can be counted in it.
//
//   SessionLedger ledger(/*devices=*/2);
//   ledger.Begin(0, epoch, 0);                  // the speaker replays from 1
//   ledger.Observe(0, ObserveEvent(event));      // for each message read
//   SessionTally t = ledger.Tally();             // t.duplicates, t.changed...
#ifndef CLIENTS_LOADGEN_CHAOS_LEDGER_H_
#define CLIENTS_LOADGEN_CHAOS_LEDGER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/loadgen/sequence_tracker.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// What the checker needs of one message a device received.
struct ObservedEvent {
  std::string epoch;
  int64_t sequence = 0;
  EventKind kind = EventKind::kEvent;
  uint64_t fingerprint = 0;   // Of the whole message as received.
  bool repeated_cue = false;  // The effect of a REPEAT command.
  bool paused = false;        // The effect of a PAUSE command.
  bool resumed = false;       // The effect of a RESUME command.
  bool finished = false;      // The session is finished after it.
  int summary_pauses = -1;    // The final summary's pauses, when it has one.
  int percent_done = -1;      // The final summary's percent_done, likewise.
  absl::Time server_time = absl::UnixEpoch();
};

// The checker's view of `event` (pure).
ObservedEvent ObserveEvent(const coach::v1::SessionEvent& event);

// What a session's devices saw, in total.
struct SessionTally {
  int64_t events = 0;         // New events, over all devices.
  int64_t duplicates = 0;     // Events a device got again.
  int64_t silent_gaps = 0;    // Jumps (or epoch changes) no snapshot announced.
  int64_t missing = 0;        // Events skipped by those jumps.
  int64_t not_recovered = 0;  // Snapshots with recovered=false.
  int64_t changed = 0;        // An {epoch, sequence} seen with other content.
  int64_t epochs = 0;         // Distinct epochs seen.
  // The history at the end, from what any device saw of it.
  int64_t last_sequence = 0;
  // Its positions no device saw as an event: gaps behind snapshots, and
  // the tail past the last one seen up to the last acknowledged.
  int64_t hidden = 0;
  int64_t repeats = 0;  // Its REPEAT effects (repeated cues).
  int64_t pauses = 0;   // Its Paused events.
  int64_t resumes = 0;  // Its Resumed events.
  bool finished = false;
  int summary_pauses = -1;  // -1: no final summary seen.
  int percent_done = -1;
  absl::Time finished_at = absl::InfiniteFuture();  // SessionDone's time.
  std::string first_problem;  // The first violation, for the log.
};

// Not thread-safe: the caller serializes the devices' calls.
class SessionLedger {
 public:
  explicit SessionLedger(int devices);

  // Device `device` (0..devices-1) subscribes from {epoch, last_sequence}.
  void Begin(int device, absl::string_view epoch, int64_t last_sequence);

  // Accounts for a message `device` read. True when it moved the device on
  // (a new event or a snapshot): progress.
  bool Observe(int device, const ObservedEvent& event);

  // Where `device` resumes from.
  std::pair<std::string, int64_t> Position(int device) const;

  // Whether `device` saw the session finish.
  bool DeviceFinished(int device) const { return finished_[device]; }

  // A command's answer said the history reached `last_sequence`
  // (SendCommandResponse.last_sequence). Positions past what the devices
  // saw, up to the highest such answer, count as hidden in the tally: a
  // command acknowledged just before the devices' streams broke has its
  // effect there, unseen, not lost.
  void Acknowledged(int64_t last_sequence);

  SessionTally Tally() const;

 private:
  struct Seen {
    uint64_t fingerprint = 0;
    bool repeated_cue = false;
    bool paused = false;
    bool resumed = false;
  };
  int EpochIndex(const std::string& epoch, int64_t position);

  std::vector<SequenceTracker> trackers_;
  std::vector<bool> finished_;
  std::vector<std::string> epochs_;   // In order of first appearance.
  std::vector<int64_t> epoch_first_;  // Lowest position seen in each.
  std::vector<int64_t> epoch_last_;   // Highest position seen in each.
  std::map<std::pair<int, int64_t>, Seen> events_;  // {epoch index, seq}.
  int64_t acknowledged_ = 0;  // The highest last_sequence answered.
  int64_t events_new_ = 0;
  int64_t changed_ = 0;
  bool finished_any_ = false;
  int summary_pauses_ = -1;
  int percent_done_ = -1;
  absl::Time finished_at_ = absl::InfiniteFuture();
  std::string first_problem_;
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_CHAOS_LEDGER_H_
