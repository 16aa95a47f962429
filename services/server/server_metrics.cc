#include "services/server/server_metrics.h"

#include <string>
#include <utility>

namespace coachd {

CommitObserver CommitCounter(MetricsRegistry* registry) {
  Counter* commits =
      registry
          ->AddCounter("coachd_session_commits_total",
                       "Session state changes stored by this replica (each "
                       "with its events, atomically).")
          ->WithLabels({});
  Counter* events =
      registry
          ->AddCounter("coachd_session_events_published_total",
                       "Session events stored by this replica's commits.")
          ->WithLabels({});
  return [commits, events](const coach::internal::SessionRecord&,
                           const std::vector<StoredEvent>& published) {
    commits->Increment();
    events->Increment(static_cast<int64_t>(published.size()));
  };
}

ServerMetrics::ServerMetrics(MetricsRegistry* registry, const SessionHub* hub,
                             const TimerDriver* driver,
                             const StreamRegistry* streams, Backend* backend) {
  registrations_.push_back(registry->AddCallbackGauge(
      "coachd_sessions_followed",
      "Live sessions this replica follows for local streams or timers "
      "(one hub channel each).",
      [hub] { return static_cast<double>(hub->ChannelCount()); }));
  registrations_.push_back(registry->AddCallbackGauge(
      "coachd_sessions_driven",
      "Live sessions whose timers this replica drives (holds the lease).",
      [driver] { return static_cast<double>(driver->Driven().size()); }));
  registrations_.push_back(registry->AddCallback(
      "coachd_streams_open", "Open long-lived streams, by method.",
      MetricType::kGauge, {"method"}, [streams] {
        std::vector<MetricSample> out;
        for (const auto& [method, n] : streams->SizeByKind()) {
          MetricSample sample;
          sample.label_values = {method};
          sample.value = n;
          out.push_back(std::move(sample));
        }
        return out;
      }));
  registrations_.push_back(registry->AddCallback(
      "coachd_session_events_delivered_total",
      "Session events handed to local subscribers and timer drivers "
      "(missed events, snapshots and live events; one per receiver).",
      MetricType::kCounter, {}, [hub] {
        MetricSample sample;
        sample.value = static_cast<double>(hub->EventsDelivered());
        return std::vector<MetricSample>{sample};
      }));
  for (CallbackRegistration& r : backend->RegisterMetrics(registry)) {
    registrations_.push_back(std::move(r));
  }
}

}  // namespace coachd
