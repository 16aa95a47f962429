// What the web gateway reports at GET /metrics (--metrics_listen), in the
// registry it is given:
//   coachd_web_http_requests_total{route,code}        counter
//   coachd_web_http_request_duration_seconds{route}   histogram
//   coachd_web_streams_open{route}                    gauge
//   coachd_web_events_sent_total                      counter
//   coachd_web_streams_cut_total{reason}              counter
//   coachd_web_upstream_streams_ended_total{stream,code}  counter
//   coachd_web_upstream_connects_total                counter
//   coachd_web_upstream_connect_failures_total        counter
// (the last two for a ChannelWatch of the gateway's channel, in main).
// Routes are a fixed set of labels (WebRouteLabel), never the raw path, so
// a scanner's random paths cannot grow the series.
//
//   WebMetrics metrics(&registry);
//   metrics.Arrived(request, WebRouteLabel("GET", "/display"));
//   // counted when libevent has written the reply
#ifndef CLIENTS_WEB_WEB_METRICS_H_
#define CLIENTS_WEB_WEB_METRICS_H_

#include <event2/http.h>

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/metrics/metrics.h"

namespace coachd {

// The route label of a request: "display", "coach", "pair", "static",
// "events_display", "events_coach", "events_follow", "api_command",
// "api_reminder", "api_cue", "api_links", "api_pair_start",
// "api_pair_poll", "api_logout", "link", "root", "healthz", or "other"
// (anything else, whatever the method). Pure.
std::string WebRouteLabel(absl::string_view method, absl::string_view path);

// The counters an event stream updates (sse_stream.h). Thread-safe.
struct SseCounters {
  Counter* events_sent = nullptr;  // Messages from coachd written.
  Counter* cut_unsent = nullptr;   // Cut off: --max_unsent_bytes.
  Counter* cut_queue = nullptr;    // Cut off: SseStream::kMaxQueued.
};

// The gateway's metrics. The request methods run on the loop thread only;
// the counters it hands out are thread-safe. `registry` must outlive it.
class WebMetrics {
 public:
  explicit WebMetrics(MetricsRegistry* registry);
  WebMetrics(const WebMetrics&) = delete;
  WebMetrics& operator=(const WebMetrics&) = delete;

  // A request arrived for `route`: it is counted with its status code and
  // duration when libevent has written its reply (its on-complete
  // callback), or by Answered or Abandoned before that.
  void Arrived(evhttp_request* request, const std::string& route);
  // Counts `request` now with `code` (an event stream: its reply starts
  // now and lasts as long as the stream). Ignored when not Arrived.
  void Answered(evhttp_request* request, int code);
  // The browser went away before the answer: counted as 499 (nginx's
  // "client closed request").
  void Abandoned(evhttp_request* request) { Answered(request, 499); }

  // An event stream of `route` opened or closed (loop thread).
  void StreamOpened(const std::string& route);
  void StreamClosed(const std::string& route);

  // An upstream stream of `stream` ("session", "sessions", "reminders",
  // "board") ended with `code` (a gRPC code name); any thread.
  void UpstreamEnded(const std::string& stream, const std::string& code);

  const SseCounters& sse() const { return sse_; }
  Counter* upstream_connects() const { return upstream_connects_; }
  Counter* upstream_failures() const { return upstream_failures_; }

  // Requests waiting for their count (for tests).
  int in_flight() const { return static_cast<int>(in_flight_.size()); }

 private:
  struct InFlight {
    std::string route;
    absl::Time arrived;
  };
  static void OnComplete(evhttp_request* request, void* self);
  void Count(const std::string& route, int code, absl::Duration took);

  CounterFamily* const requests_;
  HistogramFamily* const duration_;
  GaugeFamily* const streams_open_;
  CounterFamily* const upstream_ended_;
  Counter* const upstream_connects_;
  Counter* const upstream_failures_;
  SseCounters sse_;
  absl::flat_hash_map<evhttp_request*, InFlight> in_flight_;
};

}  // namespace coachd

#endif  // CLIENTS_WEB_WEB_METRICS_H_
