// When the speaker says what: a pure planner over cue times and line
// lengths. A line that would run into the next timed cue is said in its
// short form, or skipped in favour of the newer cue; it is never queued
// behind another line: a newer line cuts the one still playing. Lines
// start when their cue is due (countdown numbers land on their seconds),
// or as soon as they are synthesized if that is later. A countdown number
// is never skipped: when it no longer fits (synthesized late), it is cut
// by the next one instead.
//
//   SpeechPlanner planner;
//   Plan plan = planner.Add(cue, /*ready=*/clock.Now());
//   if (plan.cut) StopAt(plan.cut->id, plan.cut_at);
//   if (plan.play) PlayAt(plan.play->start, plan.play->short_form ? ...);
//
// Pure: time comes in the arguments. Not thread-safe.
#ifndef CLIENTS_VOICE_SPEECH_PLANNER_H_
#define CLIENTS_VOICE_SPEECH_PLANNER_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"

namespace coachd {

// A line to say for one event.
struct Cue {
  int64_t id = 0;  // The event's sequence.
  absl::Time due;  // When it should be heard.
  // When the next timed cue comes (the running timer's deadline); none
  // when nothing is timed (paused, waiting for "done").
  std::optional<absl::Time> next_due;
  absl::Duration full;  // How long the full line plays (> 0).
  // How long its short form plays; zero when it has none.
  absl::Duration short_form;
  // Never skipped (a countdown number: silence would leave the person
  // without the count). When no form fits before next_due, the shorter
  // plays from its start and the next cue cuts it.
  bool always = false;
};

// A line being played.
struct Playback {
  int64_t id = 0;
  bool short_form = false;  // The short form, not the full line.
  absl::Time start;
  absl::Duration length;  // How long it plays (less when cut).
};

// What Add decided.
struct Plan {
  std::optional<Playback> play;  // What to play; none when skipped.
  // The line that was still playing when this one starts: it stops at
  // play->start (cut->length is already shortened to end there).
  std::optional<Playback> cut;
};

class SpeechPlanner {
 public:
  // Plans `cue`, whose audio is ready to play at `ready`. Lines are added
  // in the order their events came; cue.full > 0.
  Plan Add(const Cue& cue, absl::Time ready);

  // The line playing (or planned) last, if any.
  const std::optional<Playback>& last() const { return last_; }

 private:
  std::optional<Playback> last_;
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_SPEECH_PLANNER_H_
