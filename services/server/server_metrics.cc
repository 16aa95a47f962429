#include "services/server/server_metrics.h"

#include <functional>
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

namespace {

// One unlabelled counter read from `read` at scrape time.
CallbackRegistration CallbackCounter(MetricsRegistry* registry,
                                     const std::string& name,
                                     const std::string& help,
                                     std::function<int64_t()> read) {
  return registry->AddCallback(name, help, MetricType::kCounter, {},
                               [read = std::move(read)] {
                                 MetricSample sample;
                                 sample.value = static_cast<double>(read());
                                 return std::vector<MetricSample>{sample};
                               });
}

}  // namespace

ServerMetrics::ServerMetrics(MetricsRegistry* registry,
                             const ServerMetricsSources& parts) {
  const SessionHub* hub = parts.hub;
  const TimerDriver* driver = parts.driver;
  const StreamRegistry* streams = parts.streams;
  const Scheduler* scheduler = parts.scheduler;
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
  registrations_.push_back(CallbackCounter(
      registry, "coachd_session_events_delivered_total",
      "Session events handed to local subscribers and timer drivers "
      "(missed events, snapshots and live events; one per receiver).",
      [hub] { return hub->EventsDelivered(); }));
  registrations_.push_back(registry->AddCallback(
      "coachd_session_snapshots_total",
      "Snapshots handed to local receivers instead of events, by reason "
      "(fell_behind: a device too slow for its stream's queue).",
      MetricType::kCounter, {"reason"}, [hub] {
        std::vector<MetricSample> out;
        for (int i = 0; i < kSnapshotReasons; ++i) {
          const auto reason = static_cast<SnapshotReason>(i);
          MetricSample sample;
          sample.label_values = {SnapshotReasonLabel(reason)};
          sample.value = static_cast<double>(hub->SnapshotsSent(reason));
          out.push_back(std::move(sample));
        }
        return out;
      }));
  registrations_.push_back(CallbackCounter(
      registry, "coachd_board_fell_behind_total",
      "Coach dashboards and WatchMySessions streams too slow for their "
      "stream's queue, caught up with a snapshot instead of the updates "
      "they missed.",
      [board = parts.board] { return board->FellBehind(); }));
  registrations_.push_back(CallbackCounter(
      registry, "coachd_lease_takeovers_total",
      "Sessions whose timer lease this replica took over (no live holder).",
      [driver] { return driver->Takeovers(); }));
  registrations_.push_back(CallbackCounter(
      registry, "coachd_leases_lost_total",
      "Timer leases this replica lost (taken, expired, not renewed in time).",
      [driver] { return driver->LeasesLost(); }));
  registrations_.push_back(CallbackCounter(
      registry, "coachd_reminders_fired_total",
      "Reminders this replica fired (a snoozed one again after its snooze).",
      [scheduler] { return scheduler->RemindersFired(); }));
  registrations_.push_back(CallbackCounter(
      registry, "coachd_reminders_expired_total",
      "Reminders this replica closed unanswered at their expiry.",
      [scheduler] { return scheduler->RemindersExpired(); }));
  for (CallbackRegistration& r : parts.backend->RegisterMetrics(registry)) {
    registrations_.push_back(std::move(r));
  }
}

}  // namespace coachd
