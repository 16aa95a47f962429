// A fixed pool of worker threads for work that may block (store round trips,
// file I/O), so that gRPC reactions never do. Tasks run in FIFO order.
//
//   Executor pool(4);
//   pool.Schedule([reactor] { ...blocking work...; reactor->Finish(status); });
#ifndef SERVICES_COMMON_EXECUTOR_H_
#define SERVICES_COMMON_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace coachd {

// Runs scheduled tasks on `threads` workers. Thread-safe. The destructor
// runs every task already scheduled, then joins the workers.
class Executor {
 public:
  explicit Executor(int threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task` to run on a worker. Never blocks on the task.
  void Schedule(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace coachd

#endif  // SERVICES_COMMON_EXECUTOR_H_
