#include "clients/loadgen/load_report.h"

#include <cstdio>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace coachd {
namespace {

using Value = std::variant<int64_t, double, std::string>;

// Every figure, in print order, with its JSON key.
std::vector<std::pair<std::string, Value>> Fields(const LoadReport& r) {
  std::vector<std::pair<std::string, Value>> f = {
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

bool Measured(const Value& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return *i != -1;
  if (const double* d = std::get_if<double>(&v)) return *d != -1;
  return !std::get<std::string>(v).empty();
}

std::string Plain(const Value& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v)) return absl::StrCat(*i);
  if (const double* d = std::get_if<double>(&v)) {
    return absl::StrFormat("%.3f", *d);
  }
  return std::get<std::string>(v);
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string FormatTable(const LoadReport& report) {
  std::string out;
  for (const auto& [key, value] : Fields(report)) {
    if (!Measured(value)) continue;
    absl::StrAppendFormat(&out, "  %-28s %s\n", key, Plain(value));
  }
  return out;
}

std::string FormatJson(const LoadReport& report) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : Fields(report)) {
    if (!Measured(value)) continue;
    const std::string text = std::holds_alternative<std::string>(value)
                                 ? JsonString(std::get<std::string>(value))
                                 : Plain(value);
    parts.push_back(absl::StrCat("\"", key, "\":", text));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

}  // namespace coachd
