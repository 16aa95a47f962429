#include "clients/homeassistant/ha_state.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "clients/homeassistant/ha_discovery.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;

constexpr char kNone[] = "None";

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3S+00:00", t, absl::UTCTimeZone());
}

std::string JsonOf(const std::map<std::string, google::protobuf::Value>& m) {
  google::protobuf::Struct s;
  for (const auto& [k, v] : m) (*s.mutable_fields())[k] = v;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(s, &out);
  return out;
}

google::protobuf::Value Str(const std::string& text) {
  google::protobuf::Value v;
  v.set_string_value(text);
  return v;
}

google::protobuf::Value Num(double n) {
  google::protobuf::Value v;
  v.set_number_value(n);
  return v;
}

// The state of a session that is not running; empty while it runs.
std::string StoppedState(coach::v1::RunState run_state) {
  switch (run_state) {
    case coach::v1::RUN_STATE_PAUSED:
      return "paused";
    case coach::v1::RUN_STATE_DISCOMFORT:
      return "discomfort";
    case coach::v1::RUN_STATE_FINISHED:
      return "finished";
    default:
      return "";
  }
}

// The state a board row shows (rows carry no step kind).
std::string StateOfRow(const coach::v1::LiveSession& row) {
  std::string stopped = StoppedState(row.run_state());
  if (!stopped.empty()) return stopped;
  return row.exercise_id().empty() ? "warm_up" : "working";
}

// Applies `row` to `session` when it is newer than what was applied.
void ApplyRow(const coach::v1::LiveSession& row, HaSession* session) {
  if (row.session_sequence() <=
      std::max(session->row_sequence, session->event_sequence)) {
    return;
  }
  session->row_sequence = row.session_sequence();
  session->state = StateOfRow(row);
  session->exercise = row.exercise_name();
  session->set = row.set();
  session->sets = row.sets();
  session->progress_percent = row.progress_percent();
  if (session->state != "working" && session->state != "warm_up") {
    session->phase_ends.reset();
  }
}

HaSession SessionOfRow(const coach::v1::LiveSession& row) {
  HaSession session;
  session.session_id = row.session_id();
  ApplyRow(row, &session);
  return session;
}

std::string NextExercise(const HaSession& s, int item_index) {
  const size_t next = static_cast<size_t>(item_index) + 1;
  return item_index >= 0 && next < s.items.size() ? s.items[next] : "";
}

void ApplyStatus(const coach::v1::SessionStatus& status, HaSession* s) {
  s->state = WorkoutStateOf(status);
  s->exercise = status.exercise_name();
  s->set = status.set();
  s->sets = status.sets();
  s->rep = status.rep();
  s->reps = status.reps();
  s->side = status.side();
  s->next_exercise = NextExercise(*s, status.item_index());
  if (status.has_deadline()) {
    s->phase_ends = FromProto(status.deadline());
  } else {
    s->phase_ends.reset();
  }
}

void SetItems(const coach::v1::Routine& routine, HaSession* s) {
  s->items.clear();
  for (const auto& item : routine.items()) {
    s->items.push_back(item.exercise_name());
  }
}

}  // namespace

std::string WorkoutStateOf(const coach::v1::SessionStatus& status) {
  std::string stopped = StoppedState(status.run_state());
  if (!stopped.empty()) return stopped;
  switch (status.step_kind()) {
    case coach::v1::STEP_KIND_WARMUP:
      return "warm_up";
    case coach::v1::STEP_KIND_HOLD:
      return "holding";
    case coach::v1::STEP_KIND_REST:
      return "resting";
    default:
      return "working";
  }
}

std::vector<HaEvent> ApplyBoardUpdate(const LiveUpdate& update,
                                      PersonView* view) {
  std::vector<HaEvent> events;
  const bool current = view->session.has_value() &&
                       view->session->session_id == update.session_id();
  switch (update.kind()) {
    case coach::v1::LIVE_UPDATE_KIND_SNAPSHOT: {
      const coach::v1::LiveSession* newest = nullptr;
      for (const auto& row : update.board().sessions()) {
        if (newest == nullptr ||
            google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                row.started_at()) >=
                google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                    newest->started_at())) {
          newest = &row;
        }
      }
      if (newest == nullptr) {
        view->session.reset();
      } else if (view->session.has_value() &&
                 view->session->session_id == newest->session_id()) {
        ApplyRow(*newest, &*view->session);
      } else {
        view->session = SessionOfRow(*newest);
      }
      break;
    }
    case coach::v1::LIVE_UPDATE_KIND_STARTED:
      if (!current) {
        view->session = SessionOfRow(update.session());
        view->session->session_id = update.session_id();
      }
      events.push_back(
          {"session_started", {{"session_id", update.session_id()}}});
      break;
    case coach::v1::LIVE_UPDATE_KIND_ENDED: {
      HaEvent e{
          update.ended_early() ? "session_ended_early" : "session_completed",
          {{"session_id", update.session_id()}}};
      e.attributes["percent_done"] =
          absl::StrCat(update.summary().percent_done());
      events.push_back(std::move(e));
      if (current) view->session.reset();
      break;
    }
    case coach::v1::LIVE_UPDATE_KIND_DISCOMFORT:
      events.push_back({"discomfort_reported",
                        {{"session_id", update.session_id()},
                         {"exercise", update.exercise_name()},
                         {"note", update.note()}}});
      if (current && update.has_session()) {
        ApplyRow(update.session(), &*view->session);
      }
      break;
    default:
      if (current && update.has_session()) {
        ApplyRow(update.session(), &*view->session);
      }
      break;
  }
  return events;
}

std::vector<HaEvent> ApplySessionEvent(const coach::v1::SessionEvent& event,
                                       PersonView* view) {
  std::vector<HaEvent> events;
  if (!view->session.has_value() ||
      view->session->session_id != event.session_id()) {
    return events;
  }
  HaSession& s = *view->session;
  if (event.has_snapshot()) {
    SetItems(event.snapshot().session().routine(), &s);
  } else if (event.sequence() <= s.event_sequence) {
    return events;  // Applied already.
  }
  s.event_sequence = std::max(s.event_sequence, event.sequence());
  if (event.has_session_started())
    SetItems(event.session_started().routine(), &s);
  if (event.has_status()) ApplyStatus(event.status(), &s);
  if (event.has_card()) s.progress_percent = event.card().progress_percent();
  if (event.has_coach_cue()) {
    events.push_back({"coach_cue", {{"text", event.coach_cue().text()}}});
  }
  if (event.has_session_done() || s.state == "finished") {
    view->session.reset();
  }
  return events;
}

std::vector<HaEvent> ApplyReminder(const coach::v1::Reminder& reminder,
                                   PersonView* view) {
  std::vector<HaEvent> events;
  const bool same = view->due_reminder.has_value() &&
                    view->due_reminder->reminder_id() == reminder.reminder_id();
  if (same && reminder.version() < view->due_reminder->version()) return events;
  if (reminder.state() == coach::v1::REMINDER_STATE_DUE) {
    if (!same) {
      events.push_back(
          {"reminder_due",
           {{"title", reminder.title()}, {"text", reminder.text()}}});
    }
    view->due_reminder = reminder;
  } else if (same) {
    view->due_reminder.reset();
  }
  return events;
}

std::map<std::string, std::string> EntityStates(const PersonView& view) {
  std::map<std::string, std::string> out;
  const HaSession* s = view.session ? &*view.session : nullptr;
  out["state"] = s ? s->state : "idle";
  out["training"] = s ? "ON" : "OFF";
  out["exercise"] = s && !s->exercise.empty() ? s->exercise : kNone;
  std::map<std::string, google::protobuf::Value> attributes;
  if (s != nullptr) {
    attributes["set"] = Num(s->set);
    attributes["sets"] = Num(s->sets);
    attributes["rep"] = Num(s->rep);
    attributes["reps"] = Num(s->reps);
    attributes["side"] = Str(s->side);
    attributes["next_exercise"] = Str(s->next_exercise);
  }
  out["exercise/attributes"] = JsonOf(attributes);
  out["phase_ends"] = s && s->phase_ends ? Iso(*s->phase_ends) : kNone;
  out["progress"] = s ? absl::StrCat(s->progress_percent) : kNone;
  const coach::v1::Progress* p = view.progress ? &*view.progress : nullptr;
  out["week_sessions"] =
      p ? absl::StrCat(p->this_week().sessions_done()) : kNone;
  out["week_goal"] = p ? absl::StrCat(p->this_week().sessions_target()) : kNone;
  out["streak"] = p ? absl::StrCat(p->current_streak_weeks()) : kNone;
  out["adherence"] =
      p ? absl::StrCat(std::lround(p->adherence_4_weeks() * 100)) : kNone;
  out["next_reminder"] =
      p && p->has_next_reminder() ? Iso(FromProto(p->next_reminder())) : kNone;
  out["reminder_due"] = view.due_reminder ? "ON" : "OFF";
  out["focus"] = view.focus;
  out["minutes"] = absl::StrCat(view.minutes);
  return out;
}

std::string EventPayload(const HaEvent& event) {
  std::map<std::string, google::protobuf::Value> fields;
  for (const auto& [k, v] : event.attributes) fields[k] = Str(v);
  fields["event_type"] = Str(event.type);
  return JsonOf(fields);
}

absl::StatusOr<BridgeCommand> ParseCommand(absl::string_view object_id,
                                           absl::string_view payload) {
  payload = absl::StripAsciiWhitespace(payload);
  BridgeCommand c;
  if (object_id == "focus") {
    const auto& options = FocusOptions();
    if (std::find(options.begin(), options.end(), payload) == options.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("focus: \"", payload.substr(0, 40),
                       "\" is not one of the focus options"));
    }
    c.kind = BridgeCommand::kFocus;
    c.text = std::string(payload);
    return c;
  }
  if (object_id == "minutes") {
    double minutes = 0;
    if (!absl::SimpleAtod(payload, &minutes) || std::isnan(minutes) ||
        minutes != std::floor(minutes) || minutes < kMinMinutes ||
        minutes > kMaxMinutes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "minutes: \"", payload.substr(0, 40), "\" is not a whole number in ",
          kMinMinutes, "..", kMaxMinutes));
    }
    c.kind = BridgeCommand::kMinutes;
    c.number = static_cast<int>(minutes);
    return c;
  }
  static const auto* buttons =
      new std::map<std::string, coach::v1::CommandType>{
          {"pause", coach::v1::COMMAND_TYPE_PAUSE},
          {"resume", coach::v1::COMMAND_TYPE_RESUME},
          {"next", coach::v1::COMMAND_TYPE_NEXT},
          {"previous", coach::v1::COMMAND_TYPE_PREVIOUS},
          {"repeat", coach::v1::COMMAND_TYPE_REPEAT},
          {"set_done", coach::v1::COMMAND_TYPE_SET_DONE},
          {"it_hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
          {"skip_exercise", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
          {"end", coach::v1::COMMAND_TYPE_END},
      };
  const bool other_button = object_id == "start" ||
                            object_id == "reminder_done" ||
                            object_id == "snooze_reminder";
  auto it = buttons->find(std::string(object_id));
  if (it == buttons->end() && !other_button) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic: \"", object_id.substr(0, 40),
                     "\" is no command of the bridge"));
  }
  if (payload != "PRESS") {
    return absl::InvalidArgumentError(
        absl::StrCat(object_id, ": a button takes \"PRESS\", not \"",
                     payload.substr(0, 40), "\""));
  }
  if (it != buttons->end()) {
    c.kind = BridgeCommand::kSession;
    c.command = it->second;
  } else if (object_id == "start") {
    c.kind = BridgeCommand::kStart;
  } else {
    c.kind = BridgeCommand::kReminder;
    c.ack = object_id == "reminder_done" ? coach::v1::ACK_ACTION_DONE
                                         : coach::v1::ACK_ACTION_SNOOZE;
  }
  return c;
}

coach::v1::Focus FocusOf(absl::string_view name) {
  if (name == "upper") return coach::v1::FOCUS_UPPER;
  if (name == "mid") return coach::v1::FOCUS_MID;
  if (name == "lower") return coach::v1::FOCUS_LOWER;
  if (name == "mobility") return coach::v1::FOCUS_MOBILITY;
  return coach::v1::FOCUS_BALANCED;
}

}  // namespace coachd
