#include "services/session/session_component.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/session/session_service.h"

namespace coachd {

SessionComponent::SessionComponent(std::unique_ptr<SessionStore> store,
                                   std::unique_ptr<TimerLeases> leases,
                                   const Catalog* catalog, const Clock* clock,
                                   Executor* executor,
                                   std::unique_ptr<AccessPolicy> policy,
                                   std::vector<CommitObserver> observers,
                                   SessionComponentOptions options)
    : clock_(clock),
      executor_(executor),
      options_(std::move(options)),
      store_(std::move(store)),
      leases_(std::move(leases)),
      policy_(std::move(policy)),
      timers_(clock),
      hub_(store_.get(), clock, executor, options_.hub),
      driver_(leases_.get(), store_.get(), &timers_, &hub_, clock,
              options_.driver),
      runner_(catalog, store_.get(), clock, &driver_, policy_.get(),
              RunnerOptions{options_.time_scale, options_.command_id_window,
                            options_.max_commands_per_window},
              std::move(observers)) {}

SessionComponent::~SessionComponent() { Stop(); }

std::unique_ptr<grpc::Service> SessionComponent::MakeService(
    const ServiceDeps& deps) {
  return std::make_unique<SessionServiceImpl>(SubscribeDeps{
      deps, &runner_, &hub_, options_.max_stream_queue, policy_.get()});
}

absl::Status SessionComponent::ResumeTimers() { return driver_.Sweep(); }

void SessionComponent::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopped_) return;
    started_ = true;
  }
  timer_thread_ = std::thread([this] { TimerLoop(); });
  driver_.Start();
}

void SessionComponent::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  timers_.Stop();
  if (timer_thread_.joinable()) timer_thread_.join();
  driver_.Stop();  // Releases its leases: another replica takes over.
}

void SessionComponent::TimerLoop() {
  while (timers_.Wait(absl::Seconds(1))) {
    for (const std::string& id : timers_.TakeDue()) {
      executor_->Schedule([this, id] { TickOrRetry(id); });
    }
  }
}

void SessionComponent::TickOrRetry(const std::string& session_id) {
  const absl::Status ticked = runner_.Tick(session_id);
  if (ticked.ok()) return;
  LogWarning(
      absl::StrCat("timer of session ", session_id, ": ", ticked.message()));
  if (absl::IsNotFound(ticked)) {
    driver_.Forget(session_id);  // Expired or deleted: nothing to drive.
    return;
  }
  // Try again shortly rather than losing the session's timers.
  timers_.Schedule(session_id, clock_->Now() + options_.tick_retry);
}

int SessionComponent::RunDueTimersForTest() {
  int ticks = 0;
  for (;;) {
    std::vector<std::string> due = timers_.TakeDue();
    if (due.empty()) return ticks;
    for (const std::string& id : due) {
      const absl::Status ticked = runner_.Tick(id);
      if (!ticked.ok()) {
        LogWarning(absl::StrCat("tick ", id, ": ", ticked.message()));
      }
      ++ticks;
    }
  }
}

}  // namespace coachd
