#include "clients/web/web_metrics.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace coachd {
namespace {

// Requests waiting for their count at most before old ones are forgotten:
// libevent never completes a reply whose connection broke mid-write.
constexpr size_t kMaxInFlight = 100000;
constexpr absl::Duration kForgetAfter = absl::Minutes(10);

}  // namespace

std::string WebRouteLabel(absl::string_view method, absl::string_view path) {
  struct Route {
    const char* method;
    const char* path;
    const char* label;
  };
  static constexpr Route kRoutes[] = {
      {"GET", "/", "root"},
      {"GET", "/display", "display"},
      {"GET", "/coach", "coach"},
      {"GET", "/pair", "pair"},
      {"GET", "/healthz", "healthz"},
      {"GET", "/link", "link"},
      {"GET", "/events/display", "events_display"},
      {"GET", "/events/coach", "events_coach"},
      {"GET", "/events/follow", "events_follow"},
      {"POST", "/api/command", "api_command"},
      {"POST", "/api/reminder", "api_reminder"},
      {"POST", "/api/cue", "api_cue"},
      {"POST", "/api/links", "api_links"},
      {"POST", "/api/pair/start", "api_pair_start"},
      {"POST", "/api/pair/poll", "api_pair_poll"},
      {"POST", "/api/logout", "api_logout"},
  };
  // HEAD is answered as GET.
  const absl::string_view as = method == "HEAD" ? "GET" : method;
  for (const Route& r : kRoutes) {
    if (as == r.method && path == r.path) return r.label;
  }
  if (as == "GET" && absl::StartsWith(path, "/static/")) return "static";
  return "other";
}

WebMetrics::WebMetrics(MetricsRegistry* registry)
    : requests_(registry->AddCounter(
          "coachd_web_http_requests_total",
          "HTTP requests answered, by route and status code (499: the "
          "browser went away first; an event stream counts when it opens).",
          {"route", "code"})),
      duration_(registry->AddHistogram(
          "coachd_web_http_request_duration_seconds",
          "From a request's arrival to its reply written (an event stream: "
          "to its opening).",
          {"route"}, DefaultDurationBuckets())),
      streams_open_(registry->AddGauge("coachd_web_streams_open",
                                       "Event streams open to browsers now.",
                                       {"route"})),
      upstream_ended_(registry->AddCounter(
          "coachd_web_upstream_streams_ended_total",
          "coachd streams feeding browsers that ended other than by the "
          "gateway's cancel, by stream and gRPC code.",
          {"stream", "code"})),
      upstream_connects_(
          registry
              ->AddCounter("coachd_web_upstream_connects_total",
                           "Times the gRPC channel to coachd became ready "
                           "(the first connection, then each reconnect).")
              ->WithLabels({})),
      upstream_failures_(
          registry
              ->AddCounter("coachd_web_upstream_connect_failures_total",
                           "Times the gRPC channel to coachd failed to "
                           "connect (TRANSIENT_FAILURE).")
              ->WithLabels({})) {
  sse_.events_sent =
      registry
          ->AddCounter("coachd_web_events_sent_total",
                       "Messages from coachd (session events, board "
                       "updates, reminders, progress) written to browsers.")
          ->WithLabels({});
  CounterFamily* cut = registry->AddCounter(
      "coachd_web_streams_cut_total",
      "Event streams ended because the browser fell behind: unsent_bytes "
      "(--max_unsent_bytes of output not taken), queue (messages waiting "
      "for the loop).",
      {"reason"});
  sse_.cut_unsent = cut->WithLabels({"unsent_bytes"});
  sse_.cut_queue = cut->WithLabels({"queue"});
  for (const char* route :
       {"events_display", "events_coach", "events_follow"}) {
    streams_open_->WithLabels({route});  // 0 until the first.
  }
}

void WebMetrics::Arrived(evhttp_request* request, const std::string& route) {
  const absl::Time now = absl::Now();
  if (in_flight_.size() >= kMaxInFlight) {
    std::vector<evhttp_request*> old;
    for (const auto& [r, f] : in_flight_) {
      if (now - f.arrived > kForgetAfter) old.push_back(r);
    }
    for (evhttp_request* r : old) in_flight_.erase(r);
  }
  in_flight_[request] = {route, now};
  evhttp_request_set_on_complete_cb(request, &WebMetrics::OnComplete, this);
}

void WebMetrics::Answered(evhttp_request* request, int code) {
  auto it = in_flight_.find(request);
  if (it == in_flight_.end()) return;
  Count(it->second.route, code, absl::Now() - it->second.arrived);
  in_flight_.erase(it);
}

void WebMetrics::OnComplete(evhttp_request* request, void* self) {
  auto* metrics = static_cast<WebMetrics*>(self);
  metrics->Answered(request, evhttp_request_get_response_code(request));
}

void WebMetrics::Count(const std::string& route, int code,
                       absl::Duration took) {
  requests_->WithLabels({route, absl::StrCat(code)})->Increment();
  duration_->WithLabels({route})->Observe(absl::ToDoubleSeconds(took));
}

void WebMetrics::StreamOpened(const std::string& route) {
  streams_open_->WithLabels({route})->Add(1);
}

void WebMetrics::StreamClosed(const std::string& route) {
  streams_open_->WithLabels({route})->Add(-1);
}

void WebMetrics::UpstreamEnded(const std::string& stream,
                               const std::string& code) {
  upstream_ended_->WithLabels({stream, code})->Increment();
}

}  // namespace coachd
