// What a loadgen run measured, and its two renderings: a table for people and
// one flat JSON line (no nesting, so a shell script can pick fields with sed).
//
//   LoadReport r = ...;
//   std::cout << FormatTable(r) << FormatJson(r) << "\n";
#ifndef CLIENTS_LOADGEN_LOAD_REPORT_H_
#define CLIENTS_LOADGEN_LOAD_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace coachd {

// Figures of one run. Rates are over the measured window; -1 marks a figure
// that was not measured (no --coachd_pid, no --redis_port, another mode).
struct LoadReport {
  std::string mode;   // saturation, idle, storm, stalled.
  std::string label;  // What was measured, e.g. "coachd", "baseline".
  std::string target;
  int households = 0;
  int streams = 0;      // Subscriber streams opened (VOICE + DISPLAY + coach).
  int channels = 0;     // Connections they share.
  double window_s = 0;  // Length of the measured window.

  // Delivery, over the window.
  int64_t delivered = 0;    // New events received by all subscribers.
  int64_t published = 0;    // Distinct session events among them.
  double events_per_s = 0;  // delivered / window_s.
  double mean_event_bytes = 0;
  int64_t latency_samples = 0;
  int64_t latency_p50_us = 0;
  int64_t latency_p99_us = 0;
  int64_t latency_p999_us = 0;
  int64_t latency_max_us = 0;
  // saturation: the latency of live events alone (made after their
  // subscriber opened its call; the rest are replayed history).
  int64_t live_latency_samples = 0;
  int64_t live_latency_p50_us = 0;
  int64_t live_latency_p99_us = 0;
  int64_t live_latency_p999_us = 0;

  // Exactness, over the whole run.
  int64_t gaps = 0;         // Jumps, and snapshots with recovered=false.
  int64_t silent_gaps = 0;  // Of those, jumps no snapshot announced.
  int64_t missing = 0;
  int64_t duplicates = 0;
  int64_t subscribers_with_gaps = 0;
  int64_t subscribers_with_duplicates = 0;
  int64_t stream_errors = 0;  // Streams that ended with an unexpected error.
  int64_t rpc_errors = 0;     // Unary calls that failed.
  int64_t sessions_started = 0;
  int64_t sessions_finished = 0;
  std::string first_error;  // The first error seen, for the log.
  std::string first_gap;    // The first gap seen: who, where, what came.

  // The server, from /proc (window), and loadgen itself.
  double server_cpu_s = -1;
  double server_cpu_per_kevent_ms = -1;  // CPU ms per 1000 delivered events.
  int64_t server_rss_kb = -1;
  double loadgen_cpu_s = 0;

  // Redis (window).
  int64_t redis_commands = -1;
  double redis_cpu_s = -1;  // redis-server's CPU in the window.
  double redis_per_published = -1;
  double redis_per_delivered = -1;
  std::string redis_top;  // "evalsha=1.00,xread=0.50" per published event.

  // Idle: server memory before and after opening the streams.
  int64_t idle_rss_before_kb = -1;
  int64_t idle_rss_after_kb = -1;
  double idle_bytes_per_stream = -1;
  int64_t idle_connected = -1;

  // Storm: all streams dropped, then resumed at once.
  int64_t storm_resumed = -1;
  double storm_window_s = -1;  // From the resumes to the last first event.
  double storm_resumes_per_s = -1;
  int64_t storm_first_event_p50_ms = -1;
  int64_t storm_first_event_max_ms = -1;

  // Stalled: the others' latency without (a) and with (b) the stalled one.
  int64_t stalled_a_p50_us = -1;
  int64_t stalled_a_p99_us = -1;
  int64_t stalled_a_p999_us = -1;
  int64_t stalled_b_p50_us = -1;
  int64_t stalled_b_p99_us = -1;
  int64_t stalled_b_p999_us = -1;
  int64_t stalled_received = -1;       // What it got once it read again.
  int64_t stalled_lag_snapshots = -1;  // "Caught up with a snapshot": intended.
  int64_t repeats_sent = -1;
  int64_t repeats_rejected = -1;

  // Coach watchers.
  int coach_watchers = 0;
  std::string coach_note;  // Why watchers were skipped, if they were.
};

// The report as an aligned two-column table, one figure a line.
std::string FormatTable(const LoadReport& report);

// The report as one JSON object on one line (no trailing newline). Figures
// that were not measured (-1) are left out.
std::string FormatJson(const LoadReport& report);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_LOAD_REPORT_H_
