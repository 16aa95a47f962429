// What one coachd reports at GET /metrics besides the RPC metrics (which
// LogRpc counts in ProcessMetrics()): its parts' counts, read at scrape
// time from where they are already kept (callback metrics), and the
// commits counted by a commit observer. CoachServer composes it with the
// registry it was given (ServerOptions::metrics).
//
//   CommitObserver counted = CommitCounter(registry);   // before the parts
//   ...
//   ServerMetrics metrics(registry, {&hub, &driver, &streams, &scheduler,
//                                    &backend});
#ifndef SERVICES_SERVER_SERVER_METRICS_H_
#define SERVICES_SERVER_SERVER_METRICS_H_

#include <vector>

#include "services/backend/backend.h"
#include "services/coach/coach_board.h"
#include "services/common/stream_registry.h"
#include "services/metrics/metrics.h"
#include "services/scheduler/scheduler.h"
#include "services/session/session_hub.h"
#include "services/session/session_runner.h"
#include "services/session/timer_driver.h"

namespace coachd {

// A commit observer counting commits (coachd_session_commits_total) and the
// events they published (coachd_session_events_published_total) in
// `registry`, which must outlive it. Thread-safe; never blocks.
CommitObserver CommitCounter(MetricsRegistry* registry);

// The parts whose counts a server reports.
struct ServerMetricsSources {
  const SessionHub* hub;
  const TimerDriver* driver;
  const StreamRegistry* streams;
  const Scheduler* scheduler;
  const CoachBoard* board;
  Backend* backend;
};

// The callback metrics of one server: sessions followed and driven, open
// streams by method, events delivered, snapshots by reason, board
// watchers that fell behind, lease
// takeovers, reminders fired, the backend's counters. Every pointer must
// outlive the ServerMetrics; destroying it removes the callbacks (after
// which none runs). Not copyable.
class ServerMetrics {
 public:
  ServerMetrics(MetricsRegistry* registry, const ServerMetricsSources& parts);
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

 private:
  std::vector<CallbackRegistration> registrations_;
};

}  // namespace coachd

#endif  // SERVICES_SERVER_SERVER_METRICS_H_
