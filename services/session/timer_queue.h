// The deadlines of the sessions this process drives, soonest first. The
// server's timer thread waits on it; tests take due sessions by hand after
// moving a FakeClock.
//
//   timers.Schedule("s1", deadline);
//   for (const std::string& id : timers.TakeDue()) runner.Tick(id);
#ifndef SERVICES_SESSION_TIMER_QUEUE_H_
#define SERVICES_SESSION_TIMER_QUEUE_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"

namespace coachd {

// Thread-safe. `clock` must outlive the queue.
class TimerQueue {
 public:
  explicit TimerQueue(const Clock* clock) : clock_(clock) {}

  // Sets the session's deadline, replacing any earlier one;
  // absl::InfiniteFuture() removes it.
  void Schedule(const std::string& session_id, absl::Time deadline);

  // Removes and returns the sessions whose deadline is at or before the
  // clock's now, soonest first.
  std::vector<std::string> TakeDue();

  // The soonest deadline, or absl::InfiniteFuture().
  absl::Time NextDeadline() const;

  // Number of scheduled sessions.
  int size() const;

  // Waits until a deadline is due by the clock, Schedule changes the
  // soonest deadline, Stop is called, or `max_wait` passes. Returns false
  // once stopped.
  bool Wait(absl::Duration max_wait);

  // Wakes every Wait for good.
  void Stop();

 private:
  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::set<std::pair<absl::Time, std::string>> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  int changes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_TIMER_QUEUE_H_
