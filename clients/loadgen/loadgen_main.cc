// loadgen: simulates households against a running coachd (or the bare
// baseline, loadgen_baseline) on this machine and reports delivery rate,
// latency, exactness (gaps, duplicates) and the server's CPU and memory.
// Prints a table, then one JSON line; exits 1 with --check when any gap,
// duplicate or stream error was seen or nothing was delivered.
// --mode=chaos runs households through faults injected from outside and
// checks the service's promises at the end (clients/loadgen/chaos_driver.h);
// --check then exits 1 naming each broken one.
//
//   loadgen --target=127.0.0.1:50051 --secret_file=secret --households=100
//       --mode=saturation --duration=10s --coachd_pid=$(pidof coachd)
//   loadgen --target=127.0.0.1:8080 --secret_file=secret --mode=chaos
//       --households=200 --duration=300s --check
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/common/client_auth.h"
#include "clients/loadgen/chaos_driver.h"
#include "clients/loadgen/load_driver.h"
#include "services/auth/authenticator.h"
#include "services/common/log.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "coachd (or loadgen_baseline) address: 127.0.0.1, [::1] or "
          "localhost only.");
ABSL_FLAG(std::string, secret_file, "",
          "coachd's secret file: device tokens are minted for hh-0..hh-N-1.");
ABSL_FLAG(std::string, mode, "saturation",
          "saturation, idle, storm, stalled, live (saturation with sessions "
          "started paused and resumed once both devices are attached: every "
          "event live) or chaos.");
ABSL_FLAG(std::string, label, "coachd", "What is measured, for the report.");
ABSL_FLAG(int, households, 10, "Households: a session, a speaker, a display.");
ABSL_FLAG(int, channels, 8, "Connections the households share.");
ABSL_FLAG(std::string, preset, "demo",
          "The routine preset each session plays.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "The measured window (stalled: both halves together; chaos: "
          "sessions start and are driven until then).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Time from the start before the window opens.");
ABSL_FLAG(int, setup_inflight, 64, "Households being set up at once.");
ABSL_FLAG(absl::Duration, setup_timeout, absl::Seconds(120),
          "Longest wait for every household to be set up.");
ABSL_FLAG(int, coach_watchers, 0,
          "Coaches (coach-K, linked to hh-K mod N) subscribing as COACH; "
          "skipped when the coach service is not there.");
ABSL_FLAG(absl::Duration, watchers_after, absl::Seconds(1),
          "When the coach watchers join.");
ABSL_FLAG(absl::Duration, settle, absl::Seconds(5),
          "idle: wait after the streams are open before measuring memory.");
ABSL_FLAG(absl::Duration, storm_gap, absl::Milliseconds(500),
          "storm: how long every subscriber stays offline.");
ABSL_FLAG(double, repeat_rate, 0,
          "stalled: REPEAT commands per second into household 0's session, "
          "so its stalled subscriber falls behind.");
ABSL_FLAG(bool, control, false,
          "stalled: the extra subscriber reads like the others (a control "
          "run: what a third subscriber costs without the stall).");
ABSL_FLAG(int, coachd_pid, 0,
          "The server's pid, for CPU seconds and resident memory from /proc.");
ABSL_FLAG(int, redis_port, 0,
          "The Redis on 127.0.0.1:PORT that coachd uses, for INFO "
          "commandstats.");
ABSL_FLAG(std::string, redis_password_file, "",
          "The --redis_port Redis's credentials, as coachd takes them: a file "
          "holding PASSWORD or USER PASSWORD.");
ABSL_FLAG(int, redis_pid, 0, "redis-server's pid, for its CPU seconds.");
ABSL_FLAG(std::string, json_out, "", "Also write the JSON line to this file.");
ABSL_FLAG(bool, check, false,
          "Exit 1 unless 0 gaps, 0 duplicates, 0 stream errors and > 0 "
          "events delivered (chaos: unless every promise held).");
ABSL_FLAG(absl::Duration, chaos_grace, absl::Seconds(60),
          "chaos: after --duration, the longest wait for sessions to end, "
          "devices to catch up and reminders to come.");
ABSL_FLAG(absl::Duration, command_interval, absl::Milliseconds(700),
          "chaos: time between a household's commands (coachd allows 120 "
          "a minute per person by default).");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(5),
          "chaos: deadline of each try of a unary call.");
ABSL_FLAG(bool, reminders, true,
          "chaos: each person's goal has a reminder at the first minute "
          "boundary --reminder_lead ahead, checked to fire once.");
ABSL_FLAG(absl::Duration, reminder_lead, absl::Seconds(5),
          "chaos: the least time from setting the goal to its reminder.");
ABSL_FLAG(std::string, run_id, "",
          "chaos: prefix of the person ids (fresh ids per run keep runs on "
          "one Redis apart); empty: made from the clock.");
ABSL_FLAG(int, max_sessions_per_household, 20,
          "chaos: sessions a household plays one after another at most.");
ABSL_FLAG(std::string, fault_windows_file, "",
          "chaos: lines \"START END NAME\" (Unix seconds), one per fault "
          "from its start to its recovery, then \"done\" (deploy/chaos.sh "
          "writes it): the report adds command and event p99 per window and "
          "for the quiet rest. Read at the end, waiting up to --chaos_grace "
          "for \"done\".");

namespace {

// --mode=chaos: the households, the report, and --check.
int RunChaosMode(const std::string& secret) {
  coachd::ChaosConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  config.secret = secret;
  config.label = absl::GetFlag(FLAGS_label);
  config.run_id = absl::GetFlag(FLAGS_run_id);
  config.households = absl::GetFlag(FLAGS_households);
  config.channels = absl::GetFlag(FLAGS_channels);
  config.preset = absl::GetFlag(FLAGS_preset);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.grace = absl::GetFlag(FLAGS_chaos_grace);
  config.command_interval = absl::GetFlag(FLAGS_command_interval);
  config.rpc_timeout = absl::GetFlag(FLAGS_rpc_timeout);
  config.reminders = absl::GetFlag(FLAGS_reminders);
  config.reminder_lead = absl::GetFlag(FLAGS_reminder_lead);
  config.max_sessions_per_household =
      absl::GetFlag(FLAGS_max_sessions_per_household);
  config.credentials =
      coachd::MakeChannelCredentials(coachd::ClientTlsFromFlags());
  config.fault_windows_file = absl::GetFlag(FLAGS_fault_windows_file);
  absl::StatusOr<coachd::ChaosReport> report = coachd::RunChaos(config);
  if (!report.ok()) {
    coachd::LogError(absl::StrCat("loadgen: ", report.status().message()));
    return 2;
  }
  const std::string json = coachd::FormatChaosJson(*report);
  std::cout << "loadgen chaos against " << report->label << " ("
            << report->target << ")\n"
            << coachd::FormatChaosTable(*report) << json << std::endl;
  const std::string json_out = absl::GetFlag(FLAGS_json_out);
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << json << "\n";
  }
  if (!absl::GetFlag(FLAGS_check)) return 0;
  const std::vector<std::string> broken = coachd::ChaosViolations(*report);
  if (broken.empty()) return 0;
  coachd::LogError(
      absl::StrCat("loadgen: chaos check failed: ", absl::StrJoin(broken, "; "),
                   report->first_problem.empty() ? "" : "; first problem: ",
                   report->first_problem));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadgen --target=127.0.0.1:PORT --secret_file=PATH "
      "[--mode=saturation|idle|storm|stalled|live|chaos] [--households=N] "
      "[--duration=10s] [--coachd_pid=PID] [--redis_port=PORT] "
      "[--tls_ca_file=PATH]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with mutex deadlock detection on, which costs
  // every lock a graph update; a load tool (and a bare baseline) should not.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<std::string> secret =
      coachd::LoadSecretFile(absl::GetFlag(FLAGS_secret_file), "--secret_file");
  if (!secret.ok()) {
    coachd::LogError(absl::StrCat("loadgen: ", secret.status().message()));
    return 2;
  }
  if (absl::GetFlag(FLAGS_mode) == "chaos") return RunChaosMode(*secret);
  absl::StatusOr<coachd::LoadMode> mode =
      coachd::ParseLoadMode(absl::GetFlag(FLAGS_mode));
  if (!mode.ok()) {
    coachd::LogError(absl::StrCat("loadgen: ", mode.status().message()));
    return 2;
  }
  coachd::LoadConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  config.secret = *secret;
  config.label = absl::GetFlag(FLAGS_label);
  config.mode = *mode;
  config.households = absl::GetFlag(FLAGS_households);
  config.channels = absl::GetFlag(FLAGS_channels);
  config.preset = absl::GetFlag(FLAGS_preset);
  config.duration = absl::GetFlag(FLAGS_duration);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  config.setup_inflight = absl::GetFlag(FLAGS_setup_inflight);
  config.setup_timeout = absl::GetFlag(FLAGS_setup_timeout);
  config.coach_watchers = absl::GetFlag(FLAGS_coach_watchers);
  config.watchers_after = absl::GetFlag(FLAGS_watchers_after);
  config.settle = absl::GetFlag(FLAGS_settle);
  config.storm_gap = absl::GetFlag(FLAGS_storm_gap);
  config.repeat_rate = absl::GetFlag(FLAGS_repeat_rate);
  config.control = absl::GetFlag(FLAGS_control);
  config.server_pid = absl::GetFlag(FLAGS_coachd_pid);
  config.redis_port = absl::GetFlag(FLAGS_redis_port);
  config.redis_pid = absl::GetFlag(FLAGS_redis_pid);
  const std::string password_file = absl::GetFlag(FLAGS_redis_password_file);
  if (!password_file.empty()) {
    absl::StatusOr<std::string> line =
        coachd::LoadSecretFile(password_file, "--redis_password_file");
    if (!line.ok()) {
      coachd::LogError(absl::StrCat("loadgen: ", line.status().message()));
      return 2;
    }
    const size_t space = line->find(' ');  // "USER PASSWORD" or "PASSWORD".
    config.redis_user =
        space == std::string::npos ? "" : line->substr(0, space);
    config.redis_password =
        space == std::string::npos ? *line : line->substr(space + 1);
  }
  // TLS to coachd: --tls_ca_file (and a client certificate for mutual TLS).
  config.credentials =
      coachd::MakeChannelCredentials(coachd::ClientTlsFromFlags());

  absl::StatusOr<coachd::LoadReport> report = coachd::RunLoad(config);
  if (!report.ok()) {
    coachd::LogError(absl::StrCat("loadgen: ", report.status().message()));
    return 2;
  }
  const std::string json = coachd::FormatJson(*report);
  std::cout << "loadgen " << report->mode << " against " << report->label
            << " (" << report->target << ")\n"
            << coachd::FormatTable(*report) << json << std::endl;
  const std::string json_out = absl::GetFlag(FLAGS_json_out);
  if (!json_out.empty()) {
    std::ofstream out(json_out);
    out << json << "\n";
  }
  if (absl::GetFlag(FLAGS_check)) {
    const bool exact = report->gaps == 0 && report->duplicates == 0 &&
                       report->stream_errors == 0;
    if (!exact || report->delivered <= 0) {
      coachd::LogError(
          absl::StrCat("loadgen: check failed: gaps=", report->gaps,
                       " duplicates=", report->duplicates, " stream_errors=",
                       report->stream_errors, " delivered=", report->delivered,
                       report->first_error.empty() ? "" : " first error: ",
                       report->first_error));
      return 1;
    }
  }
  return 0;
}
