#include "clients/coachctl/ctl_text.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "services/session/renderer.h"

namespace coachd {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

std::string CommandResultLine(absl::string_view what,
                              const coach::v1::SendCommandResponse& response,
                              absl::Time now) {
  const coach::v1::SessionStatus& s = response.status();
  std::string line = absl::StrCat(
      what, response.duplicate() ? ": already applied (sent before)" : ": done",
      "; the session is ", RunStateWords(s.run_state()));
  if (s.run_state() != coach::v1::RUN_STATE_FINISHED) {
    if (!s.exercise_name().empty()) {
      absl::StrAppend(&line, " at ", s.exercise_name());
    }
    if (s.set() > 0)
      absl::StrAppend(&line, ", set ", s.set(), " of ", s.sets());
    if (s.rep() > 0)
      absl::StrAppend(&line, ", rep ", s.rep(), " of ", s.reps());
    if (!s.side().empty()) absl::StrAppend(&line, " (", s.side(), ")");
    int64_t left_ms = -1;
    if (s.run_state() == coach::v1::RUN_STATE_PAUSED ||
        s.run_state() == coach::v1::RUN_STATE_DISCOMFORT) {
      left_ms = s.remaining_ms();
    } else if (s.has_deadline()) {
      left_ms = absl::ToInt64Milliseconds(ToTime(s.deadline()) - now);
    }
    if (left_ms > 0) {
      absl::StrAppend(&line, ", ", (left_ms + 999) / 1000, " s left");
    }
  }
  absl::StrAppend(&line, " (event ", response.last_sequence(), ")");
  return line;
}

std::string ReminderLine(const coach::v1::Reminder& reminder,
                         absl::TimeZone tz) {
  std::string state;
  switch (reminder.state()) {
    case coach::v1::REMINDER_STATE_DUE:
      state = "due";
      break;
    case coach::v1::REMINDER_STATE_SNOOZED:
      state = absl::StrCat(
          "snoozed until ",
          absl::FormatTime("%a %H:%M %Z", ToTime(reminder.due_at()), tz));
      break;
    case coach::v1::REMINDER_STATE_DONE:
      state = "done";
      break;
    default:
      state = "cleared";
      break;
  }
  return absl::StrCat(
      "reminder ", reminder.reminder_id(), ": ", state, "; ",
      reminder.sessions_done(), " of ", reminder.sessions_target(),
      reminder.sessions_target() == 1 ? " session" : " sessions",
      " done this week");
}

}  // namespace coachd
