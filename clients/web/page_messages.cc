#include "clients/web/page_messages.h"

#include <cassert>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "clients/web/http_parse.h"
#include "clients/web/json_writer.h"
#include "google/protobuf/timestamp.pb.h"

namespace coachd {
namespace {

using coach::v1::SessionEvent;

int64_t Millis(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

std::string RunWord(coach::v1::RunState s) {
  return EnumWord(coach::v1::RunState_Name(s), "RUN_STATE_");
}

std::string DateText(const coach::v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

void WriteCard(const coach::v1::Card& c, JsonWriter* w) {
  w->BeginObject();
  w->Member("title", c.title());
  w->Member("step", c.current_step());
  w->Key("steps");
  w->BeginArray();
  for (const std::string& s : c.steps()) w->String(s);
  w->EndArray();
  w->Member("stepIndex", c.current_step_index());
  w->Member("set", c.set());
  w->Member("sets", c.sets());
  w->Member("rep", c.rep());
  w->Member("reps", c.reps());
  w->Member("side", c.side());
  w->Member("deadline", c.has_deadline() ? Millis(c.deadline()) : int64_t{0});
  w->Member("timer", c.timer_seconds());
  w->Member("progress", c.progress_percent());
  w->Member("banner", c.banner());
  w->Member("accent", c.accent());
  w->EndObject();
}

// Member "weeks": `recent` (newest first) oldest first, as a chart reads.
void WriteWeeks(
    const google::protobuf::RepeatedPtrField<coach::v1::WeekProgress>& recent,
    JsonWriter* w) {
  w->Key("weeks");
  w->BeginArray();
  for (int i = recent.size() - 1; i >= 0; --i) {
    const coach::v1::WeekProgress& week = recent[i];
    w->BeginObject();
    w->Member("start", DateText(week.first_day()));
    w->Member("done", week.sessions_done());
    w->Member("target", week.sessions_target());
    w->Member("pausedDays", week.paused_days());
    w->Member("outcome", EnumWord(coach::v1::WeekOutcome_Name(week.outcome()),
                                  "WEEK_OUTCOME_"));
    w->EndObject();
  }
  w->EndArray();
}

void WriteRoutine(const coach::v1::Routine& r, JsonWriter* w) {
  w->Key("routine");
  w->BeginArray();
  for (const coach::v1::RoutineItem& item : r.items()) {
    w->String(item.exercise_name());
  }
  w->EndArray();
}

void WriteSummary(const coach::v1::SessionSummary& s, JsonWriter* w) {
  w->BeginObject();
  w->Member("completed", s.completed());
  w->Member("percentDone", s.percent_done());
  w->Member("durationMs", s.duration_ms());
  w->Member("pauses", s.pauses());
  w->Member("skips", s.skips());
  w->Key("items");
  w->BeginArray();
  for (const coach::v1::ItemSummary& i : s.items()) {
    w->BeginObject();
    w->Member("name", i.exercise_name());
    w->Member("setsDone", i.sets_done());
    w->Member("sets", i.sets_prescribed());
    w->Member("repsDone", i.reps_done());
    w->Member("reps", i.reps_prescribed());
    w->Member("holdsKept", i.holds_kept());
    w->Member("holds", i.holds_prescribed());
    w->Member("skipped", i.skipped());
    w->Member("discomfort", i.discomfort());
    w->EndObject();
  }
  w->EndArray();
  w->Member("discomfortReports", s.discomfort_size());
  w->EndObject();
}

// The banner's kind: what the event is about first, then the run state.
std::string BannerKind(const SessionEvent& e) {
  switch (e.payload_case()) {
    case SessionEvent::kSafetyNote:
      return "safety";
    case SessionEvent::kCoachCue:
      return "coach";
    case SessionEvent::kPaused:
      return "paused";
    case SessionEvent::kDiscomfortReported:
      return "discomfort";
    default:
      break;
  }
  switch (e.status().run_state()) {
    case coach::v1::RUN_STATE_PAUSED:
      return "paused";
    case coach::v1::RUN_STATE_DISCOMFORT:
      return "discomfort";
    default:
      break;
  }
  return e.card().banner().empty() ? "" : "info";
}

void WriteDiscomfortNote(const coach::v1::DiscomfortNote& d, JsonWriter* w) {
  w->BeginObject();
  w->Member("session", d.session_id());
  w->Member("exercise", d.exercise_name());
  w->Member("note", d.note());
  w->Member("at", Millis(d.at()));
  w->EndObject();
}

void WriteLiveRow(const coach::v1::LiveSession& s, JsonWriter* w) {
  w->BeginObject();
  w->Member("person", s.person_id());
  w->Member("session", s.session_id());
  w->Member("run", RunWord(s.run_state()));
  w->Member("exercise", s.exercise_name());
  w->Member("set", s.set());
  w->Member("sets", s.sets());
  w->Member("itemsDone", s.items_done());
  w->Member("items", s.items());
  w->Member("progress", s.progress_percent());
  w->Member("startedAt", Millis(s.started_at()));
  w->Key("discomfort");
  if (s.has_last_discomfort()) {
    WriteDiscomfortNote(s.last_discomfort(), w);
  } else {
    w->Null();
  }
  w->Member("seq", s.session_sequence());
  w->EndObject();
}

}  // namespace

std::string EnumWord(absl::string_view name, absl::string_view prefix) {
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

PageMessage SessionEventMessage(const SessionEvent& e) {
  JsonWriter w;
  w.BeginObject();
  w.Member("session", e.session_id());
  w.Member("epoch", e.epoch());
  w.Member("seq", e.sequence());
  const google::protobuf::FieldDescriptor* payload =
      SessionEvent::descriptor()->FindFieldByNumber(e.payload_case());
  w.Member("kind", payload != nullptr ? payload->name() : std::string("none"));
  w.Member("repeated", e.repeated_cue());
  w.Member("serverTime", Millis(e.server_time()));
  w.Member("run", RunWord(e.status().run_state()));
  w.Member(
      "stepKind",
      EnumWord(coach::v1::StepKind_Name(e.status().step_kind()), "STEP_KIND_"));
  w.Member("item", e.status().item_index());
  w.Member("itemsDone", e.status().items_done());
  w.Member("remainingMs", e.status().remaining_ms());
  w.Member("say", e.speech().text());
  w.Key("card");
  WriteCard(e.card(), &w);
  w.Key("banner");
  w.BeginObject();
  w.Member("kind", BannerKind(e));
  w.Member("text", e.card().banner());
  w.EndObject();
  switch (e.payload_case()) {
    case SessionEvent::kSessionStarted:
      WriteRoutine(e.session_started().routine(), &w);
      break;
    case SessionEvent::kExerciseSwitched:
      WriteRoutine(e.exercise_switched().routine(), &w);
      break;
    case SessionEvent::kSnapshot: {
      const coach::v1::Snapshot& s = e.snapshot();
      WriteRoutine(s.session().routine(), &w);
      w.Member("recovered", s.recovered());
      w.Member("reason", s.reason());
      if (s.session().status().run_state() == coach::v1::RUN_STATE_FINISHED) {
        w.Key("summary");
        WriteSummary(s.session().summary(), &w);
      }
      break;
    }
    case SessionEvent::kCoachCue:
      w.Member("cue", e.coach_cue().text());
      break;
    case SessionEvent::kDiscomfortReported:
      w.Member("note", e.discomfort_reported().note());
      break;
    case SessionEvent::kSessionDone:
      w.Member("endedEarly", e.session_done().ended_early());
      w.Key("summary");
      WriteSummary(e.session_done().summary(), &w);
      break;
    default:
      break;
  }
  w.EndObject();
  return {EventId(e.epoch(), e.sequence()), "session", w.Take()};
}

PageMessage ReminderMessage(const coach::v1::Reminder& r) {
  JsonWriter w;
  w.BeginObject();
  w.Member("id", r.reminder_id());
  w.Member("state", EnumWord(coach::v1::ReminderState_Name(r.state()),
                             "REMINDER_STATE_"));
  w.Member("title", r.title());
  w.Member("text", r.text());
  w.Member("dueAt", Millis(r.due_at()));
  w.Member("expiresAt", Millis(r.expires_at()));
  w.Member("done", r.sessions_done());
  w.Member("target", r.sessions_target());
  w.Member("version", r.version());
  w.EndObject();
  return {"", "reminder", w.Take()};
}

PageMessage ProgressMessage(const coach::v1::Progress& p) {
  JsonWriter w;
  w.BeginObject();
  w.Member("goal", p.goal().sessions_per_week());
  w.Member("today", DateText(p.today()));
  w.Key("week");
  w.BeginObject();
  w.Member("done", p.this_week().sessions_done());
  w.Member("target", p.this_week().sessions_target());
  w.Member("pausedDays", p.this_week().paused_days());
  w.EndObject();
  w.Member("streak", p.current_streak_weeks());
  w.Member("longest", p.longest_streak_weeks());
  w.Key("adherence4");
  w.Double(p.adherence_4_weeks());
  w.Key("adherence12");
  w.Double(p.adherence_12_weeks());
  w.Key("habit");
  w.Double(p.habit_strength());
  w.Member("nextReminder",
           p.has_next_reminder() ? Millis(p.next_reminder()) : int64_t{0});
  w.Member("pausedToday", p.paused_today());
  WriteWeeks(p.recent_weeks(), &w);
  w.EndObject();
  return {"", "progress", w.Take()};
}

PageMessage NoProgressMessage() { return {"", "progress", "{\"goal\":0}"}; }

PageMessage LiveUpdateMessage(const coach::v1::LiveUpdate& u) {
  JsonWriter w;
  w.BeginObject();
  w.Member("epoch", u.epoch());
  w.Member("seq", u.sequence());
  w.Member("kind", EnumWord(coach::v1::LiveUpdateKind_Name(u.kind()),
                            "LIVE_UPDATE_KIND_"));
  w.Member("flagged", u.flagged());
  w.Member("person", u.person_id());
  w.Member("session", u.session_id());
  w.Key("row");
  if (u.has_session()) {
    WriteLiveRow(u.session(), &w);
  } else {
    w.Null();
  }
  w.Member("exercise", u.exercise_name());
  w.Member("set", u.set());
  w.Member("sets", u.sets());
  w.Member("side", u.side());
  w.Member("note", u.note());
  w.Member("endedEarly", u.ended_early());
  if (u.has_summary()) {
    w.Key("summary");
    WriteSummary(u.summary(), &w);
  }
  if (u.kind() == coach::v1::LIVE_UPDATE_KIND_SNAPSHOT) {
    w.Key("board");
    w.BeginObject();
    w.Key("sessions");
    w.BeginArray();
    for (const coach::v1::LiveSession& s : u.board().sessions()) {
      WriteLiveRow(s, &w);
    }
    w.EndArray();
    w.Member("recovered", u.board().recovered());
    w.Member("reason", u.board().reason());
    w.EndObject();
  }
  w.EndObject();
  return {EventId(u.epoch(), u.sequence()), "live", w.Take()};
}

PageMessage ClientsMessage(const coach::v1::ListClientsResponse& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("clients");
  w.BeginArray();
  for (const coach::v1::ClientStatus& c : r.clients()) {
    w.BeginObject();
    w.Member("person", c.person_id());
    w.Member("linkedAt", Millis(c.linked_at()));
    w.Key("live");
    w.BeginArray();
    for (const coach::v1::LiveSession& s : c.live()) WriteLiveRow(s, &w);
    w.EndArray();
    w.Key("progress");
    if (c.has_progress()) {
      w.BeginObject();
      w.Member("done", c.progress().sessions_done_this_week());
      w.Member("target", c.progress().sessions_target_this_week());
      w.Key("adherence4");
      w.Double(c.progress().adherence_4_weeks());
      w.Member("streak", c.progress().current_streak_weeks());
      w.Key("adherence12");
      w.Double(c.progress().adherence_12_weeks());
      WriteWeeks(c.progress().recent_weeks(), &w);
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("discomfort");
    if (c.has_last_discomfort()) {
      WriteDiscomfortNote(c.last_discomfort(), &w);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {"", "clients", w.Take()};
}

PageMessage StatusMessage(absl::string_view state, absl::string_view detail) {
  JsonWriter w;
  w.BeginObject();
  w.Member("state", state);
  w.Member("detail", detail);
  w.EndObject();
  return {"", "status", w.Take()};
}

std::string FormatSse(const PageMessage& m) {
  assert(!absl::StrContains(m.id, '\n') && !absl::StrContains(m.event, '\n') &&
         !absl::StrContains(m.data, '\n'));
  std::string out;
  out.reserve(m.id.size() + m.event.size() + m.data.size() + 24);
  if (!m.id.empty()) absl::StrAppend(&out, "id: ", m.id, "\n");
  if (!m.event.empty()) absl::StrAppend(&out, "event: ", m.event, "\n");
  absl::StrAppend(&out, "data: ", m.data, "\n\n");
  return out;
}

std::string SseRetry(int milliseconds) {
  return absl::StrCat("retry: ", milliseconds, "\n\n");
}

}  // namespace coachd
