// Runs callbacks at given (real) times on one thread of its own, for the
// server's default deadline of unary calls: a call that is still waiting for
// a worker when its deadline comes is answered DEADLINE_EXCEEDED from here.
// Cheap to use per call: Add and Cancel are O(log n) under one mutex.
//
//   DeadlineTimer timer;
//   int64_t id = timer.Add(absl::Now() + absl::Seconds(30), [] { ... });
//   timer.Cancel(id);   // done in time: the callback will not run
#ifndef SERVICES_COMMON_DEADLINE_TIMER_H_
#define SERVICES_COMMON_DEADLINE_TIMER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace coachd {

// Thread-safe. Callbacks run on the timer's thread, one at a time, outside
// its lock; they must not block (they may call Add and Cancel).
class DeadlineTimer {
 public:
  DeadlineTimer();
  // Stops the thread; callbacks not yet run never run.
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Runs `fire` once at `when` (at once when it has passed), unless
  // cancelled first. Returns the id to cancel it with.
  int64_t Add(absl::Time when, std::function<void()> fire);

  // Drops the callback `id` if it has not started. A callback already
  // running may still be running when this returns: callers that share
  // state with it guard that state themselves.
  void Cancel(int64_t id);

  // Callbacks waiting to run.
  int pending() const;

 private:
  void Run();

  mutable absl::Mutex mu_;
  // Waiting callbacks by (time, id), and each id's time.
  std::map<std::pair<absl::Time, int64_t>, std::function<void()>> due_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, absl::Time> times_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool earlier_ ABSL_GUARDED_BY(mu_) = false;  // A new first deadline.
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace coachd

#endif  // SERVICES_COMMON_DEADLINE_TIMER_H_
