#include "clients/voice/speech_planner.h"

#include <algorithm>
#include <cassert>

namespace coachd {

Plan SpeechPlanner::Add(const Cue& cue, absl::Time ready) {
  assert(cue.full > absl::ZeroDuration());
  Plan plan;
  const absl::Time start = std::max(cue.due, ready);
  const absl::Duration room = cue.next_due.has_value()
                                  ? *cue.next_due - start
                                  : absl::InfiniteDuration();
  Playback play{cue.id, false, start, cue.full};
  const bool has_short =
      cue.short_form > absl::ZeroDuration() && cue.short_form < cue.full;
  if (cue.full > room) {
    if (has_short && (cue.short_form <= room || cue.always)) {
      play.short_form = true;
      play.length = cue.short_form;
    } else if (!cue.always) {
      return plan;  // Skipped: the next cue is newer news.
    }
    // Else said whole anyway; the next cue cuts it.
  }
  if (last_.has_value() && last_->start + last_->length > start) {
    // Never behind another line: the newer one cuts it.
    plan.cut = *last_;
    plan.cut->length = std::max(start - last_->start, absl::ZeroDuration());
  }
  plan.play = play;
  last_ = play;
  return plan;
}

}  // namespace coachd
