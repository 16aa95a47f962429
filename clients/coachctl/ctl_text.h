// coachctl's one-line answers for people: what a command did to a session,
// and where a reminder stands after an acknowledgement. Pure; shared by
// coachctl and its tests.
#ifndef CLIENTS_COACHCTL_CTL_TEXT_H_
#define CLIENTS_COACHCTL_CTL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// One line for the answer to `coachctl command SESSION what`, e.g.
// "pause: done; the session is paused at Superman, set 1 of 2, 12 s left
// (event 14)". `now` counts a running timer down.
std::string CommandResultLine(absl::string_view what,
                              const coach::v1::SendCommandResponse& response,
                              absl::Time now);

// One line for a reminder after `coachctl ack`, times in `tz`, e.g.
// "reminder 2026-11-25: snoozed until Wed 13:24 GMT; 0 of 3 sessions done
// this week".
std::string ReminderLine(const coach::v1::Reminder& reminder,
                         absl::TimeZone tz);

}  // namespace coachd

#endif  // CLIENTS_COACHCTL_CTL_TEXT_H_
