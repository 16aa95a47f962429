// What a chaos run (loadgen --mode=chaos) found: the service's promises
// checked at the end of a run through faults, with the errors and stalls
// the faults caused. Rendered like the other modes (a table, then one flat
// JSON line), and judged by ChaosViolations for --check.
//
//   ChaosReport r = *RunChaos(config);
//   std::cout << FormatChaosTable(r) << FormatChaosJson(r) << "\n";
//   for (const std::string& v : ChaosViolations(r)) std::cerr << v << "\n";
#ifndef CLIENTS_LOADGEN_CHAOS_REPORT_H_
#define CLIENTS_LOADGEN_CHAOS_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "clients/loadgen/fault_windows.h"

namespace coachd {

// Figures of one chaos run; -1 marks one not measured.
struct ChaosReport {
  std::string mode = "chaos";
  std::string label;
  std::string target;
  std::string run_id;  // Prefix of the run's person ids.
  int households = 0;
  int channels = 0;
  double run_s = 0;  // From the first start to the end of the checks.

  // Sessions.
  int64_t sessions_started = 0;
  int64_t sessions_finished = 0;
  int64_t sessions_unfinished = 0;  // Started, not finished at the end.
  int64_t start_retries = 0;  // StartSession tried again (may leave orphans).

  // Devices (a speaker and a display per session).
  int64_t devices = 0;
  int64_t devices_incomplete = 0;  // Gave up, or never saw the end.
  int64_t delivered = 0;           // New events, over all devices.
  int64_t duplicates = 0;
  int64_t silent_gaps = 0;
  int64_t missing = 0;
  int64_t changed_events = 0;  // Same {epoch, sequence}, other content.
  int64_t not_recovered = 0;   // Explicit not-recovered snapshots.
  int64_t epoch_changes = 0;   // Sessions whose history got a new epoch.
  int64_t resubscribes = 0;    // Streams opened again after a failure.

  // Commands (each id sent until answered, the same id on every try).
  int64_t commands = 0;               // Distinct command ids.
  int64_t command_attempts = 0;       // Tries, all ids.
  int64_t commands_deduplicated = 0;  // Answers with duplicate=true.
  int64_t commands_refused = 0;       // FAILED_PRECONDITION and the like.
  int64_t commands_unknown = 0;       // Never answered.
  int64_t commands_applied_twice = 0;
  int64_t commands_lost = 0;  // Answered OK, absent from the history.
  // Of those, in sessions whose history was replaced (a Redis failover
  // losing writes): reported, not a violation.
  int64_t commands_lost_in_failover = 0;
  int64_t command_p50_ms = -1;  // First try to answer, retries included.
  int64_t command_p99_ms = -1;
  int64_t command_max_ms = -1;
  int64_t latency_p50_us = -1;  // Event server_time to a device reading it.
  int64_t latency_p99_us = -1;
  int64_t latency_max_us = -1;
  // The same split by fault window (--fault_windows_file): each fault's
  // window in the file's order, then "quiet" (samples in no window; a
  // command by its first try, an event by its server_time). Empty without
  // the file.
  std::vector<WindowLatency> windows;
  std::string windows_note;  // What was wrong with the file, if anything.

  // Reminders (one per household, its housemate's, at a minute boundary
  // inside the run).
  int64_t reminders_planned = 0;
  int64_t reminders_fired = 0;  // Heard DUE on some device.
  int64_t reminders_lost = 0;
  int64_t reminders_fired_twice = 0;
  int64_t reminder_deliveries = 0;
  std::string reminder_note;  // Why reminders were not checked, if not.

  // Faults as the households felt them.
  int64_t errors = 0;          // Failed tries and stream ends, all kinds.
  std::string errors_by_code;  // "UNAVAILABLE=12,NOT_FOUND=2".
  int64_t max_stall_ms = 0;    // Longest time a household made no progress.
  double max_stall_at_s = -1;  // When that stall began (from the start).
  std::string max_stall_household;

  std::string first_error;
  std::string first_problem;  // The first violation a ledger saw.
};

// The report as an aligned two-column table, one figure a line.
std::string FormatChaosTable(const ChaosReport& report);

// The report as one flat JSON object on one line (no trailing newline).
std::string FormatChaosJson(const ChaosReport& report);

// Each broken promise, as "name=count (what it means)"; empty when the run
// kept them all. Nothing delivered counts as broken (nothing was checked).
std::vector<std::string> ChaosViolations(const ChaosReport& report);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_CHAOS_REPORT_H_
