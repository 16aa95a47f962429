#include "clients/loadgen/load_report.h"

#include "clients/loadgen/report_fields.h"

namespace coachd {
namespace {

// Every figure, in print order, with its JSON key.
std::vector<ReportField> Fields(const LoadReport& r) {
  std::vector<ReportField> f = {
      {"mode", r.mode},
      {"label", r.label},
      {"target", r.target},
      {"households", int64_t{r.households}},
      {"streams", int64_t{r.streams}},
      {"channels", int64_t{r.channels}},
      {"window_s", r.window_s},
      {"delivered", r.delivered},
      {"published", r.published},
      {"events_per_s", r.events_per_s},
      {"mean_event_bytes", r.mean_event_bytes},
      {"latency_samples", r.latency_samples},
      {"latency_p50_us", r.latency_p50_us},
      {"latency_p99_us", r.latency_p99_us},
      {"latency_p999_us", r.latency_p999_us},
      {"latency_max_us", r.latency_max_us},
      {"live_latency_samples", r.live_latency_samples},
      {"live_latency_p50_us", r.live_latency_p50_us},
      {"live_latency_p99_us", r.live_latency_p99_us},
      {"live_latency_p999_us", r.live_latency_p999_us},
      {"gaps", r.gaps},
      {"silent_gaps", r.silent_gaps},
      {"missing", r.missing},
      {"duplicates", r.duplicates},
      {"subscribers_with_gaps", r.subscribers_with_gaps},
      {"subscribers_with_duplicates", r.subscribers_with_duplicates},
      {"stream_errors", r.stream_errors},
      {"rpc_errors", r.rpc_errors},
      {"sessions_started", r.sessions_started},
      {"sessions_finished", r.sessions_finished},
      {"server_cpu_s", r.server_cpu_s},
      {"server_cpu_per_kevent_ms", r.server_cpu_per_kevent_ms},
      {"server_rss_kb", r.server_rss_kb},
      {"loadgen_cpu_s", r.loadgen_cpu_s},
      {"redis_commands", r.redis_commands},
      {"redis_cpu_s", r.redis_cpu_s},
      {"redis_per_published", r.redis_per_published},
      {"redis_per_delivered", r.redis_per_delivered},
      {"redis_top", r.redis_top},
      {"idle_rss_before_kb", r.idle_rss_before_kb},
      {"idle_rss_after_kb", r.idle_rss_after_kb},
      {"idle_bytes_per_stream", r.idle_bytes_per_stream},
      {"idle_connected", r.idle_connected},
      {"storm_resumed", r.storm_resumed},
      {"storm_window_s", r.storm_window_s},
      {"storm_resumes_per_s", r.storm_resumes_per_s},
      {"storm_first_event_p50_ms", r.storm_first_event_p50_ms},
      {"storm_first_event_max_ms", r.storm_first_event_max_ms},
      {"stalled_a_p50_us", r.stalled_a_p50_us},
      {"stalled_a_p99_us", r.stalled_a_p99_us},
      {"stalled_a_p999_us", r.stalled_a_p999_us},
      {"stalled_b_p50_us", r.stalled_b_p50_us},
      {"stalled_b_p99_us", r.stalled_b_p99_us},
      {"stalled_b_p999_us", r.stalled_b_p999_us},
      {"stalled_received", r.stalled_received},
      {"stalled_lag_snapshots", r.stalled_lag_snapshots},
      {"repeats_sent", r.repeats_sent},
      {"repeats_rejected", r.repeats_rejected},
      {"coach_watchers", int64_t{r.coach_watchers}},
      {"coach_note", r.coach_note},
      {"first_error", r.first_error},
      {"first_gap", r.first_gap},
  };
  return f;
}

}  // namespace

std::string FormatTable(const LoadReport& report) {
  return FormatFieldTable(Fields(report));
}

std::string FormatJson(const LoadReport& report) {
  return FormatFieldJson(Fields(report));
}

}  // namespace coachd
