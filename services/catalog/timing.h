// How long each part of a guided exercise takes at normal speed. Shared by the
// routine builder (estimates) and the session engine (timeline), so an
// estimated duration is the time the engine really takes.
#ifndef SERVICES_CATALOG_TIMING_H_
#define SERVICES_CATALOG_TIMING_H_

#include "coach/v1/catalog.pb.h"

namespace coachd {

inline constexpr int kIntroSeconds = 15;         // Intro, setup and safety.
inline constexpr int kSetStartSeconds = 3;       // "Set 2 of 3, ready".
inline constexpr int kSwitchSidesSeconds = 5;    // Change sides.
inline constexpr int kExerciseDoneSeconds = 3;   // "Nice work".
// Self-paced sets have no tempo to time them: this many seconds per rep are
// assumed for estimates, and the engine reminds the person after
// kDoneReminderSeconds without a "done".
inline constexpr int kSelfPacedSecondsPerRep = 4;
inline constexpr int kDoneReminderSeconds = 30;
inline constexpr int kMaxDoneReminders = 3;

// Seconds of one set on one side: reps at the tempo plus the holds.
int SetSeconds(const coach::v1::Prescription& p);

// Seconds the engine takes for an exercise with prescription `p` at normal
// speed: intro, sets (both sides when per_side), side switches, rests between
// sets, and the closing cue. Timed prescriptions take their duration plus
// intro and closing cue.
int EstimateExerciseSeconds(const coach::v1::Prescription& p);

}  // namespace coachd

#endif  // SERVICES_CATALOG_TIMING_H_
