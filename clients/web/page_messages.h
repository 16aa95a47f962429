// What the pages receive: coach.v1 messages mapped to Server-Sent Events
// with a one-line JSON body. Pure functions, no I/O: the gateway calls them
// on gRPC threads and sends the text as it is; tests check them by table.
//
// Session events carry their SSE id "<epoch>:<sequence>", so a browser that
// reconnects sends it back as Last-Event-ID and resumes exactly there.
// Reminders, progress and the gateway's own status messages carry no id
// (the browser keeps the last one it had): they are sent whole again on
// every connect.
//
//   PageMessage m = SessionEventMessage(event);
//   std::string wire = FormatSse(m);   // "id: e1:42\nevent: session\n..."
#ifndef CLIENTS_WEB_PAGE_MESSAGES_H_
#define CLIENTS_WEB_PAGE_MESSAGES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "coach/v1/coach.pb.h"
#include "coach/v1/scheduler.pb.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// One Server-Sent Event.
struct PageMessage {
  std::string id;     // SSE id; empty: none (the browser keeps its last).
  std::string event;  // SSE event name: "session", "reminder", ...
  std::string data;   // JSON on one line.
};

// A session event for the display and coach pages (event "session"): the
// whole card, run state, the banner kind ("safety", "coach", "paused",
// "discomfort", "info" or ""), the timer's deadline in Unix milliseconds
// (0: none running), what the speaker says ("say"), the routine's exercise
// names when the event carries the routine (started, snapshot, switched) and
// the summary when it carries one.
PageMessage SessionEventMessage(const coach::v1::SessionEvent& event);

// A reminder (event "reminder"): id, state ("due", "snoozed", "done",
// "cleared"), title, text, due and expiry in Unix milliseconds, the week's
// sessions and target, version.
PageMessage ReminderMessage(const coach::v1::Reminder& reminder);

// The person's progress (event "progress"): this week against the goal,
// streaks, adherence, the next reminder and the last 12 weeks oldest first
// (sessions, target, outcome, paused days).
PageMessage ProgressMessage(const coach::v1::Progress& progress);

// "No goal set yet" (event "progress", {"goal":0}).
PageMessage NoProgressMessage();

// A coach board update (event "live", id "<epoch>:<sequence>").
PageMessage LiveUpdateMessage(const coach::v1::LiveUpdate& update);

// The coach's clients with their week and adherence (event "clients").
PageMessage ClientsMessage(const coach::v1::ListClientsResponse& clients);

// The gateway's own news about the stream (event "status"): `state` is
// "live" (the upstream stream is open), "down" (coachd unreachable: the
// page shows "reconnecting"), "denied" (this browser may not see it) or
// "gone" (no such session); `detail` says why.
PageMessage StatusMessage(absl::string_view state, absl::string_view detail);

// The message on the wire: "id:", "event:" and "data:" lines and a blank
// line. Newlines inside the fields are not allowed (asserted): JSON from
// JsonWriter has none.
std::string FormatSse(const PageMessage& message);

// The stream's first bytes: the reconnect delay the browser should use.
std::string SseRetry(int milliseconds);

// The enum value's name without its prefix, lower case:
// EnumWord("RUN_STATE_PAUSED", "RUN_STATE_") is "paused".
std::string EnumWord(absl::string_view name, absl::string_view prefix);

}  // namespace coachd

#endif  // CLIENTS_WEB_PAGE_MESSAGES_H_
