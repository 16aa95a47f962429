// What Home Assistant shows of one person, and how coach.v1 changes it: the
// pure mapping from board updates (WatchMySessions), session events
// (Subscribe), reminders and progress to entity states and HA events, and
// from MQTT command payloads to commands. No I/O, no clock: the bridge
// applies these on its worker and publishes what changed.
//
//   PersonView view;
//   std::vector<HaEvent> events = ApplyBoardUpdate(update, &view);
//   for (const auto& [object_id, payload] : EntityStates(view)) ...
#ifndef CLIENTS_HOMEASSISTANT_HA_STATE_H_
#define CLIENTS_HOMEASSISTANT_HA_STATE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/v1/coach.pb.h"
#include "coach/v1/scheduler.pb.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// The person's current session, as far as the bridge knows it.
struct HaSession {
  std::string session_id;
  std::string state = "working";  // One of WorkoutStates() but "idle".
  std::string exercise;           // Its name; empty outside exercises.
  int set = 0, sets = 0, rep = 0, reps = 0;
  std::string side;
  std::string next_exercise;             // Empty when it is the last.
  std::optional<absl::Time> phase_ends;  // The running timer's deadline.
  int progress_percent = 0;
  std::vector<std::string> items;  // The routine's exercise names.
  // The last session event applied, and the session sequence of the last
  // board row applied. A row only applies when newer than both (it is the
  // coarser view); events apply when newer than the last event, even after
  // a row of the same commit came first.
  int64_t event_sequence = 0;
  int64_t row_sequence = 0;
};

// Everything the entities of one person show.
struct PersonView {
  std::optional<HaSession> session;  // Unset: idle.
  // Progress (from the scheduler); unset until first read.
  std::optional<coach::v1::Progress> progress;
  std::optional<coach::v1::Reminder> due_reminder;  // A DUE reminder.
  std::string focus = "balanced";                   // The "focus" select.
  int minutes = 20;                                 // The "minutes" number.
};

// One event for the event entity.
struct HaEvent {
  std::string type;  // One of EventTypes().
  std::map<std::string, std::string> attributes;
};

// Applies an update of the person's own board. STARTED and a SNAPSHOT with
// live rows (the newest started) set the session, ENDED of it clears it;
// the HA events: session_started, session_completed or
// session_ended_early, discomfort_reported. Updates of another session
// than the current one change nothing but may raise events.
std::vector<HaEvent> ApplyBoardUpdate(const coach::v1::LiveUpdate& update,
                                      PersonView* view);

// Applies an event of the current session (Subscribe); events of another
// session, or not newer than the last applied, change nothing. Raises
// coach_cue. session_done clears the session.
std::vector<HaEvent> ApplySessionEvent(const coach::v1::SessionEvent& event,
                                       PersonView* view);

// Applies a reminder; raises reminder_due when one becomes DUE (a new id or
// version).
std::vector<HaEvent> ApplyReminder(const coach::v1::Reminder& reminder,
                                   PersonView* view);

// The workout state of `status` ("idle" is the absence of a session).
std::string WorkoutStateOf(const coach::v1::SessionStatus& status);

// The payload of every state topic of the person, by object id (see
// PersonEntities; plus "exercise/attributes", a JSON object). A value that
// is not known is "None" (Home Assistant: unknown), binary sensors "ON" or
// "OFF". Idle clears every session entity.
std::map<std::string, std::string> EntityStates(const PersonView& view);

// The JSON payload of `event` for the event entity.
std::string EventPayload(const HaEvent& event);

// What a command topic asks.
struct BridgeCommand {
  enum Kind {
    kSession,   // A SendCommand of `command` to the current session.
    kStart,     // StartSession with the view's focus and minutes.
    kReminder,  // AckReminder of the due reminder with `ack`.
    kFocus,     // Set the focus to `text`.
    kMinutes,   // Set the minutes to `number`.
  };
  Kind kind = kSession;
  coach::v1::CommandType command = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  coach::v1::AckAction ack = coach::v1::ACK_ACTION_UNSPECIFIED;
  std::string text;
  int number = 0;
};

// The command of a payload on the command topic of `object_id`.
// INVALID_ARGUMENT naming the object id and why: an unknown object id, a
// button payload other than "PRESS", a focus not among FocusOptions(), a
// minutes payload that is not a whole number in [kMinMinutes, kMaxMinutes].
absl::StatusOr<BridgeCommand> ParseCommand(absl::string_view object_id,
                                           absl::string_view payload);

// The BuildRoutineRequest focus of a FocusOptions() name (BALANCED else).
coach::v1::Focus FocusOf(absl::string_view name);

}  // namespace coachd

#endif  // CLIENTS_HOMEASSISTANT_HA_STATE_H_
