// A routine unrolled into the steps the session engine walks through: warm-up,
// intros, sets, reps (effort, hold seconds, return), side switches, rests, and
// the end. Built once per routine; pure data.
//
//   absl::StatusOr<Timeline> t = Timeline::Build(catalog, routine);
//   const TimelineStep& first = t->step(0);
#ifndef SERVICES_SESSION_TIMELINE_H_
#define SERVICES_SESSION_TIMELINE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coach/v1/catalog.pb.h"
#include "coach/v1/session.pb.h"
#include "services/catalog/catalog.h"
#include "services/common/check.h"

namespace coachd {

// The most items a routine may have (a built routine has a few dozen at
// most, and each switch to mobility adds one).
inline constexpr int kMaxRoutineItems = 256;

// One step of the timeline.
struct TimelineStep {
  coach::v1::StepKind kind = coach::v1::STEP_KIND_UNSPECIFIED;
  int item_index = -1;  // Routine item; -1 for the session's end.
  int set = 0;          // 1-based inside sets, else 0.
  int sets = 0;
  int rep = 0;  // 1-based inside reps, else 0.
  int reps = 0;
  std::string side;            // Side worked, empty when both.
  int seconds = 0;             // Nominal length; 0 for steps without a timer.
  int hold_left = 0;           // HOLD: seconds left including this one.
  int flow_index = -1;         // FLOW: index into the exercise's steps.
  bool segment_start = false;  // NEXT / PREVIOUS land on these.
  int closes_set = 0;  // Set this step follows the end of (for SetDone).
  bool first_rep_of_set = false;  // Speak the step cues on this rep.
};

// The steps of one routine. Immutable; thread-safe.
class Timeline {
 public:
  // Unrolls `routine` using exercises of `catalog` (which must outlive the
  // Timeline). INVALID_ARGUMENT when an item names an unknown exercise, has
  // a prescription outside the catalogue's limits (catalog.h), or there are
  // more than kMaxRoutineItems items.
  static absl::StatusOr<Timeline> Build(const Catalog& catalog,
                                        const coach::v1::Routine& routine);

  int size() const { return static_cast<int>(steps_.size()); }
  // Step `i`, 0 <= i < size(): a stored step index outside the timeline is
  // a broken invariant (the engine writes only indexes of its timeline),
  // asserted here for every caller rather than clamped by some.
  const TimelineStep& step(int i) const {
    COACHD_DCHECK(i >= 0 && i < size(),
                  "the stored step index is outside the session's timeline");
    return steps_[i];
  }
  // The exercise of routine item `item_index`.
  const coach::v1::Exercise& exercise(int item_index) const {
    return *exercises_[item_index];
  }
  const coach::v1::Routine& routine() const { return routine_; }

  // Index of the first step of item `item_index`.
  int FirstStepOf(int item_index) const;
  // Index of the EXERCISE_DONE step of item `item_index`.
  int DoneStepOf(int item_index) const;
  // The next segment start after `index`, or size()-1 (the end).
  int NextSegment(int index) const;
  // The segment start before the segment holding `index`, or -1.
  int PreviousSegment(int index) const;

 private:
  std::vector<TimelineStep> steps_;
  std::vector<const coach::v1::Exercise*> exercises_;
  coach::v1::Routine routine_;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_TIMELINE_H_
