// A fixed pool of worker threads for work that may block (store round trips,
// file I/O), so that gRPC reactions never do. Tasks run in FIFO order.
//
//   Executor pool(4);
//   pool.Schedule([reactor] { ...blocking work...; reactor->Finish(status); });
//
// Its workers may run at a lower scheduling priority than the threads that
// create it (`nice`): coachd's make session events and run blocking calls,
// and under a saturated CPU they then yield to gRPC's threads, which deliver
// what was already made (docs/PERFORMANCE.md, "Live saturation").
#ifndef SERVICES_COMMON_EXECUTOR_H_
#define SERVICES_COMMON_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace coachd {

// Runs scheduled tasks on `threads` workers (at least one: asserted).
// Thread-safe. The destructor runs every task already scheduled, then joins the
// workers.
class Executor {
 public:
  // Each worker's niceness is the creating thread's plus `nice` (0-19; the
  // kernel caps the sum at 19). 0 keeps the creator's priority. Lowering a
  // thread's priority needs no privilege; were it refused, the workers run
  // at the creator's priority and a warning says so. Returns once every
  // worker runs at its priority.
  explicit Executor(int threads, int nice = 0);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` to run on a worker. Never blocks on the task.
  void Schedule(std::function<void()> task);

 private:
  void Work(int nice);

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int ready_ ABSL_GUARDED_BY(mu_) = 0;  // Workers at their priority.
  std::vector<std::thread> workers_;
};

}  // namespace coachd

#endif  // SERVICES_COMMON_EXECUTOR_H_
