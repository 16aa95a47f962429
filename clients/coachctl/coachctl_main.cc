// coachctl: coachd from the command line.
//
//   coachctl token --secret_file=S --sub=alice --role=device [--ttl=24h]
//   coachctl exercises [--area=upper]        coachctl exercise ID
//   coachctl routine [--focus=balanced] [--equipment=dumbbells,band,bench]
//                    [--minutes=20] [--level=beginner] [--prescription=3-3-3]
//   coachctl start (--preset=demo | routine flags)   -> prints the session id
//   coachctl get SESSION        coachctl command SESSION pause|next|...
//   coachctl goal --per_week=3 --tz=Europe/London --remind_at=07:30
//                 --days=mon,wed,fri [--day_start=03:00] [--pause=A..B]
//   coachctl progress           coachctl log-workout --id=ID
//   coachctl ack --reminder=ID [--snooze=MINUTES]
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "clients/coachctl/ctl_text.h"
#include "clients/coachctl/pair_commands.h"
#include "clients/common/client_auth.h"
#include "clients/common/client_flags.h"
#include "clients/common/status_text.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "services/auth/authenticator.h"
#include "services/auth/jwt.h"
#include "services/common/flags_help.h"

ABSL_FLAG(absl::Duration, ttl, absl::Hours(24), "token: lifetime.");
ABSL_FLAG(std::string, area, "",
          "exercises: upper, mid, lower, mobility, warmup.");
ABSL_FLAG(std::string, focus, "balanced",
          "routine: balanced, upper, mid, lower, mobility.");
ABSL_FLAG(std::string, equipment, "",
          "routine: comma-separated dumbbells, band, bench (empty: none).");
ABSL_FLAG(int, minutes, 20, "routine: minutes available.");
ABSL_FLAG(std::string, level, "beginner",
          "routine: beginner, intermediate, advanced.");
ABSL_FLAG(std::string, prescription, "",
          "routine: a named prescription, e.g. 3-3-3.");
ABSL_FLAG(std::string, preset, "", "start: a routine preset id, e.g. demo.");
ABSL_FLAG(std::string, note, "", "command: note for report_discomfort.");
ABSL_FLAG(bool, text, false, "Print whole responses as protobuf text.");
ABSL_FLAG(bool, json, false,
          "Print the answer as one line of JSON (for scripts), any command.");
ABSL_FLAG(int, per_week, 3, "goal: sessions per week, 1..7.");
ABSL_FLAG(std::string, tz, "", "goal: IANA time zone, e.g. Europe/London.");
ABSL_FLAG(std::string, remind_at, "07:30",
          "goal: reminder time of day, HH:MM.");
ABSL_FLAG(std::string, days, "", "goal: preferred days, e.g. mon,wed,fri.");
ABSL_FLAG(std::string, day_start, "00:00",
          "goal: when the person's day starts (late trainers: 03:00).");
ABSL_FLAG(std::string, week_start, "mon", "goal: first day of the week.");
ABSL_FLAG(std::string, pause, "",
          "goal: a vacation YYYY-MM-DD..YYYY-MM-DD that freezes streaks.");
ABSL_FLAG(bool, remind_when_met, false,
          "goal: keep reminding after the week's goal is met.");
ABSL_FLAG(std::string, id, "", "log-workout: a unique id for the workout.");
ABSL_FLAG(std::string, reminder, "", "ack: the reminder id.");
ABSL_FLAG(int, snooze, 0, "ack: snooze this many minutes (else: done).");

namespace {

using coachd::AddToken;

constexpr char kUsage[] =
    "coachctl COMMAND [ARGS] [--flags]: coachd from the command line.\n"
    "\n"
    "Commands:\n"
    "  token            print a token (--secret_file, --sub, --role, --ttl)\n"
    "  exercises        list the catalogue "
    "[--area=upper|mid|lower|mobility|warmup]\n"
    "  exercise ID      one exercise in full\n"
    "  routine          build a routine: [--focus=balanced|upper|mid|lower|"
    "mobility]\n"
    "                   [--equipment=dumbbells,band,bench] [--minutes=20]\n"
    "                   [--level=beginner|intermediate|advanced] "
    "[--prescription=3-3-3]\n"
    "  start            start a session, print its id: --preset=demo, or the "
    "routine flags\n"
    "  get SESSION      the session as coachd keeps it\n"
    "  command SESSION WHAT\n"
    "                   WHAT: pause, resume, next, previous, repeat, set_done, "
    "end,\n"
    "                   report_discomfort [--note=TEXT], skip_exercise, "
    "switch_to_mobility\n"
    "  goal             set the weekly goal: --per_week=1..7 --tz=Europe/London"
    "\n"
    "                   --remind_at=HH:MM --days=mon,wed,fri "
    "[--day_start=HH:MM]\n"
    "                   [--week_start=mon] [--pause=YYYY-MM-DD..YYYY-MM-DD] "
    "[--remind_when_met]\n"
    "  progress         this week, streaks, adherence, the next reminder\n"
    "  log-workout      count a workout done elsewhere: --id=ID\n"
    "  ack              a reminder done, or snoozed: --reminder=ID "
    "[--snooze=MINUTES]\n"
    "  pair approve CODE --name=N --kind=K | pair deny CODE\n"
    "                   approve or deny a device's pairing code\n"
    "  devices | devices revoke ID\n"
    "                   your paired devices; revoke one\n"
    "\n"
    "Every command but token needs --target and either --token (or "
    "$COACH_TOKEN)\n"
    "or --secret_file with --sub [--role]. --json prints the answer as one "
    "JSON object.";

int Fail(absl::string_view what) {
  std::cerr << "coachctl: " << what << "\n";
  return 2;
}

// A failed call: the command, the server's message and the code's name.
int FailRpc(absl::string_view command, const grpc::Status& s) {
  std::cerr << "coachctl " << command << ": " << coachd::StatusText(s) << "\n";
  return 1;
}

template <typename Enum>
bool ParseEnum(absl::string_view prefix, absl::string_view value,
               bool (*parse)(const std::string&, Enum*), Enum* out) {
  return parse(absl::StrCat(prefix, absl::AsciiStrToUpper(value)), out);
}

absl::StatusOr<coach::v1::BuildRoutineRequest> RoutineFromFlags() {
  coach::v1::BuildRoutineRequest r;
  coach::v1::Focus focus;
  if (!ParseEnum("FOCUS_", absl::GetFlag(FLAGS_focus), &coach::v1::Focus_Parse,
                 &focus)) {
    return absl::InvalidArgumentError(
        "--focus: balanced, upper, mid, lower or mobility");
  }
  r.set_focus(focus);
  for (absl::string_view e :
       absl::StrSplit(absl::GetFlag(FLAGS_equipment), ',', absl::SkipEmpty())) {
    if (e == "band") e = "resistance_band";
    coach::v1::Equipment eq;
    if (!ParseEnum("EQUIPMENT_", e, &coach::v1::Equipment_Parse, &eq)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--equipment: unknown \"", e, "\" (dumbbells, band, bench)"));
    }
    r.add_equipment(eq);
  }
  r.set_minutes(absl::GetFlag(FLAGS_minutes));
  coach::v1::Level level;
  if (!ParseEnum("LEVEL_", absl::GetFlag(FLAGS_level), &coach::v1::Level_Parse,
                 &level)) {
    return absl::InvalidArgumentError(
        "--level: beginner, intermediate or advanced");
  }
  r.set_level(level);
  r.set_prescription_id(absl::GetFlag(FLAGS_prescription));
  return r;
}

std::string PrescriptionLine(const coach::v1::Prescription& p) {
  if (p.duration_seconds() > 0) return absl::StrCat(p.duration_seconds(), " s");
  std::string s =
      absl::StrCat(p.sets(), " x ", p.reps(), p.per_side() ? " per side" : "");
  if (p.hold_seconds() > 0)
    absl::StrAppend(&s, ", hold ", p.hold_seconds(), " s");
  if (p.self_paced()) absl::StrAppend(&s, ", self-paced");
  return s;
}

void PrintRoutine(const coach::v1::Routine& routine) {
  std::printf("%s (about %d min)\n", routine.title().c_str(),
              (routine.estimated_seconds() + 59) / 60);
  for (int i = 0; i < routine.items_size(); ++i) {
    const auto& item = routine.items(i);
    std::printf(
        "  %d. %-28s %-9s %-26s ~%d:%02d\n", i + 1,
        item.exercise_name().c_str(),
        absl::AsciiStrToLower(coach::v1::Area_Name(item.area()).substr(5))
            .c_str(),
        PrescriptionLine(item.prescription()).c_str(),
        item.estimated_seconds() / 60, item.estimated_seconds() % 60);
  }
}

template <typename Message>
void PrintText(const Message& m) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(m, &text);
  std::cout << text;
}

// Prints `m` as --json or --text ask; else calls `human` for the readable
// form.
void Print(const google::protobuf::Message& m,
           const std::function<void()>& human) {
  if (absl::GetFlag(FLAGS_json)) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(m, &json, options).ok()) {
      json = "{}";
    }
    std::cout << json << "\n";
  } else if (absl::GetFlag(FLAGS_text)) {
    PrintText(m);
  } else {
    human();
  }
}

absl::StatusOr<coach::v1::TimeOfDay> ParseTimeOfDay(absl::string_view flag,
                                                    absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int h = -1, m = -1;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &h) ||
      !absl::SimpleAtoi(parts[1], &m)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": want HH:MM, got \"", text, "\""));
  }
  coach::v1::TimeOfDay t;
  t.set_hours(h);
  t.set_minutes(m);
  return t;
}

absl::StatusOr<coach::v1::Weekday> ParseWeekday(absl::string_view text) {
  static const char* const kNames[] = {"mon", "tue", "wed", "thu",
                                       "fri", "sat", "sun"};
  for (int i = 0; i < 7; ++i) {
    if (absl::StartsWith(absl::AsciiStrToLower(text), kNames[i])) {
      return static_cast<coach::v1::Weekday>(i + 1);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown day \"", text, "\" (mon..sun)"));
}

absl::StatusOr<coach::v1::Date> ParseDate(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  coach::v1::Date d;
  int y, m, day;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &y) ||
      !absl::SimpleAtoi(parts[1], &m) || !absl::SimpleAtoi(parts[2], &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pause: want YYYY-MM-DD, got \"", text, "\""));
  }
  d.set_year(y);
  d.set_month(m);
  d.set_day(day);
  return d;
}

absl::StatusOr<coach::v1::Goal> GoalFromFlags() {
  coach::v1::Goal goal;
  goal.set_sessions_per_week(absl::GetFlag(FLAGS_per_week));
  goal.set_time_zone(absl::GetFlag(FLAGS_tz));
  absl::StatusOr<coach::v1::TimeOfDay> at =
      ParseTimeOfDay("remind_at", absl::GetFlag(FLAGS_remind_at));
  if (!at.ok()) return at.status();
  *goal.mutable_reminder_time() = *at;
  absl::StatusOr<coach::v1::TimeOfDay> day_start =
      ParseTimeOfDay("day_start", absl::GetFlag(FLAGS_day_start));
  if (!day_start.ok()) return day_start.status();
  *goal.mutable_day_start() = *day_start;
  for (absl::string_view d :
       absl::StrSplit(absl::GetFlag(FLAGS_days), ',', absl::SkipEmpty())) {
    absl::StatusOr<coach::v1::Weekday> day = ParseWeekday(d);
    if (!day.ok()) return day.status();
    goal.add_preferred_days(*day);
  }
  absl::StatusOr<coach::v1::Weekday> week_start =
      ParseWeekday(absl::GetFlag(FLAGS_week_start));
  if (!week_start.ok()) return week_start.status();
  goal.set_week_start(*week_start);
  if (!absl::GetFlag(FLAGS_pause).empty()) {
    std::vector<absl::string_view> range =
        absl::StrSplit(absl::GetFlag(FLAGS_pause), "..");
    if (range.size() != 2) {
      return absl::InvalidArgumentError("--pause: want FIRST..LAST dates");
    }
    absl::StatusOr<coach::v1::Date> first = ParseDate(range[0]);
    absl::StatusOr<coach::v1::Date> last = ParseDate(range[1]);
    if (!first.ok()) return first.status();
    if (!last.ok()) return last.status();
    coach::v1::Pause* pause = goal.add_pauses();
    *pause->mutable_first_day() = *first;
    *pause->mutable_last_day() = *last;
  }
  goal.set_remind_when_met(absl::GetFlag(FLAGS_remind_when_met));
  return goal;
}

std::string DateText(const coach::v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

void PrintProgress(const coach::v1::Progress& p) {
  std::printf("today %s (%s)\n", DateText(p.today()).c_str(),
              p.goal().time_zone().c_str());
  std::printf(
      "this week: %d of %d sessions (%s)\n", p.this_week().sessions_done(),
      p.this_week().sessions_target(),
      absl::AsciiStrToLower(
          coach::v1::WeekOutcome_Name(p.this_week().outcome()).substr(13))
          .c_str());
  std::printf("streak: %d weeks (longest %d)\n", p.current_streak_weeks(),
              p.longest_streak_weeks());
  std::printf("adherence: %.0f%% over 4 weeks, %.0f%% over 12 weeks\n",
              p.adherence_4_weeks() * 100, p.adherence_12_weeks() * 100);
  std::printf("habit strength: %.0f%%\n", p.habit_strength() * 100);
  if (p.has_next_reminder()) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(p.goal().time_zone(), &tz))
      tz = absl::UTCTimeZone();
    std::printf(
        "next reminder: %s\n",
        absl::FormatTime("%a %Y-%m-%d %H:%M %Z",
                         absl::FromUnixSeconds(p.next_reminder().seconds()), tz)
            .c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return Fail("a command is required; see --help");
  const std::string command = args[1];

  if (command == "token") {
    coachd::TokenSource source;
    source.secret_file = absl::GetFlag(FLAGS_secret_file);
    source.subject = absl::GetFlag(FLAGS_sub);
    source.role = absl::GetFlag(FLAGS_role);
    source.ttl = absl::GetFlag(FLAGS_ttl);
    if (source.secret_file.empty()) return Fail("--secret_file: required");
    absl::StatusOr<std::string> token = coachd::ResolveToken(source);
    if (!token.ok()) return Fail(token.status().message());
    if (absl::GetFlag(FLAGS_json)) {
      google::protobuf::Value value;
      value.mutable_struct_value()
          ->mutable_fields()
          ->
          operator[]("token")
          .set_string_value(*token);
      Print(value, [] {});
    } else {
      std::printf("%s\n", token->c_str());
    }
    return 0;
  }

  absl::StatusOr<std::string> token = coachd::TokenFromFlags();
  if (!token.ok()) return Fail(token.status().message());
  auto channel = coachd::MakeChannel(absl::GetFlag(FLAGS_target));
  auto catalog = coach::v1::CatalogService::NewStub(channel);
  auto sessions = coach::v1::SessionService::NewStub(channel);
  grpc::ClientContext context;
  AddToken(&context, *token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));

  if (coachd::IsPairCommand(command)) {
    auto auth = coach::v1::AuthService::NewStub(channel);
    return coachd::RunPairCommand(
        std::vector<std::string>(args.begin() + 1, args.end()), auth.get(),
        &context);
  }
  if (command == "exercises") {
    coach::v1::ListExercisesRequest request;
    if (!absl::GetFlag(FLAGS_area).empty()) {
      coach::v1::Area area;
      if (!ParseEnum("AREA_", absl::GetFlag(FLAGS_area), &coach::v1::Area_Parse,
                     &area)) {
        return Fail("--area: upper, mid, lower, mobility or warmup");
      }
      request.set_area(area);
    }
    coach::v1::ListExercisesResponse response;
    grpc::Status s = catalog->ListExercises(&context, request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] {
      for (const auto& ex : response.exercises()) {
        std::printf(
            "%-20s %-28s %-9s %s\n", ex.id().c_str(), ex.name().c_str(),
            absl::AsciiStrToLower(coach::v1::Area_Name(ex.area()).substr(5))
                .c_str(),
            PrescriptionLine(ex.prescription()).c_str());
      }
    });
    return 0;
  }
  if (command == "exercise") {
    if (args.size() < 3) return Fail("exercise: an id is required");
    coach::v1::GetExerciseRequest request;
    request.set_id(args[2]);
    coach::v1::Exercise response;
    grpc::Status s = catalog->GetExercise(&context, request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] { PrintText(response); });
    return 0;
  }
  if (command == "routine") {
    absl::StatusOr<coach::v1::BuildRoutineRequest> request = RoutineFromFlags();
    if (!request.ok()) return Fail(request.status().message());
    coach::v1::BuildRoutineResponse response;
    grpc::Status s = catalog->BuildRoutine(&context, *request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] { PrintRoutine(response.routine()); });
    return 0;
  }
  if (command == "start") {
    coach::v1::StartSessionRequest request;
    if (!absl::GetFlag(FLAGS_preset).empty()) {
      request.set_routine_id(absl::GetFlag(FLAGS_preset));
    } else {
      absl::StatusOr<coach::v1::BuildRoutineRequest> build = RoutineFromFlags();
      if (!build.ok()) return Fail(build.status().message());
      *request.mutable_build() = *build;
    }
    coach::v1::SessionView view;
    grpc::Status s = sessions->StartSession(&context, request, &view);
    if (!s.ok()) return FailRpc(command, s);
    Print(view, [&] { std::printf("%s\n", view.session_id().c_str()); });
    return 0;
  }
  if (command == "get") {
    if (args.size() < 3) return Fail("get: a session id is required");
    coach::v1::GetSessionRequest request;
    request.set_session_id(args[2]);
    coach::v1::SessionView view;
    grpc::Status s = sessions->GetSession(&context, request, &view);
    if (!s.ok()) return FailRpc(command, s);
    Print(view, [&] { PrintText(view); });
    return 0;
  }
  if (command == "command") {
    if (args.size() < 4) return Fail("command: SESSION and WHAT are required");
    coach::v1::CommandType type;
    if (!ParseEnum("COMMAND_TYPE_", args[3], &coach::v1::CommandType_Parse,
                   &type)) {
      return Fail(
          "command: pause, resume, next, previous, repeat, set_done, end, "
          "report_discomfort, skip_exercise, switch_to_mobility");
    }
    coach::v1::SendCommandRequest request;
    request.set_session_id(args[2]);
    request.set_command(type);
    request.set_note(absl::GetFlag(FLAGS_note));
    request.set_command_id(
        absl::StrCat("ctl-", absl::ToUnixNanos(absl::Now())));
    coach::v1::SendCommandResponse response;
    grpc::Status s = sessions->SendCommand(&context, request, &response);
    if (!s.ok()) return FailRpc(absl::StrCat(command, " ", args[3]), s);
    Print(response, [&] {
      std::printf(
          "%s\n",
          coachd::CommandResultLine(args[3], response, absl::Now()).c_str());
    });
    return 0;
  }
  auto scheduler = coach::v1::SchedulerService::NewStub(channel);
  if (command == "goal") {
    absl::StatusOr<coach::v1::Goal> goal = GoalFromFlags();
    if (!goal.ok()) return Fail(goal.status().message());
    coach::v1::SetGoalRequest request;
    *request.mutable_goal() = *goal;
    coach::v1::SetGoalResponse response;
    grpc::Status s = scheduler->SetGoal(&context, request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] { PrintProgress(response.progress()); });
    return 0;
  }
  if (command == "progress") {
    coach::v1::Progress response;
    grpc::Status s = scheduler->GetProgress(&context, {}, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] { PrintProgress(response); });
    return 0;
  }
  if (command == "log-workout") {
    coach::v1::LogWorkoutRequest request;
    request.set_log_id(absl::GetFlag(FLAGS_id));
    request.mutable_completed_at()->set_seconds(
        absl::ToUnixSeconds(absl::Now()));
    coach::v1::LogWorkoutResponse response;
    grpc::Status s = scheduler->LogWorkout(&context, request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] {
      if (response.duplicate()) std::printf("already logged: counted once\n");
      PrintProgress(response.progress());
    });
    return 0;
  }
  if (command == "ack") {
    coach::v1::AckReminderRequest request;
    request.set_reminder_id(absl::GetFlag(FLAGS_reminder));
    const int snooze = absl::GetFlag(FLAGS_snooze);
    request.set_action(snooze > 0 ? coach::v1::ACK_ACTION_SNOOZE
                                  : coach::v1::ACK_ACTION_DONE);
    request.set_snooze_minutes(snooze);
    coach::v1::Reminder response;
    grpc::Status s = scheduler->AckReminder(&context, request, &response);
    if (!s.ok()) return FailRpc(command, s);
    Print(response, [&] {
      std::printf(
          "%s\n",
          coachd::ReminderLine(response, absl::LocalTimeZone()).c_str());
    });
    return 0;
  }
  return Fail(absl::StrCat("unknown command \"", command, "\"; see --help"));
}
