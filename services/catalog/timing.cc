#include "services/catalog/timing.h"

namespace coachd {

int SetSeconds(const coach::v1::Prescription& p) {
  const int per_rep = p.self_paced() ? kSelfPacedSecondsPerRep
                                     : p.tempo_seconds() + p.hold_seconds();
  return p.reps() * per_rep;
}

int EstimateExerciseSeconds(const coach::v1::Prescription& p) {
  if (p.duration_seconds() > 0) {
    return kIntroSeconds + p.duration_seconds() + kExerciseDoneSeconds;
  }
  const int sides = p.per_side() ? 2 : 1;
  int total = kIntroSeconds + kExerciseDoneSeconds;
  total += p.sets() * sides * (kSetStartSeconds + SetSeconds(p));
  total += p.sets() * (sides - 1) * kSwitchSidesSeconds;
  total += (p.sets() > 0 ? p.sets() - 1 : 0) * p.rest_seconds();
  return total;
}

}  // namespace coachd
