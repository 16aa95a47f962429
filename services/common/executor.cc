#include "services/common/executor.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/check.h"
#include "services/common/log.h"

namespace coachd {
namespace {

// Lowers the calling thread's priority by `nice` (Linux: a thread's
// niceness is set through its thread id).
void LowerThisThreadPriority(int nice) {
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0 ||
      setpriority(PRIO_PROCESS, tid, std::min(19, current + nice)) != 0) {
    LogWarning(absl::StrCat("executor: cannot lower a worker's priority by ",
                            nice, ": ", std::strerror(errno)));
  }
}

}  // namespace

Executor::Executor(int threads, int nice) {
  COACHD_DCHECK(threads >= 1, absl::StrCat("executor threads: ", threads));
  COACHD_DCHECK(nice >= 0 && nice <= 19,
                absl::StrCat("executor nice out of 0-19: ", nice));
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this, nice] { Work(nice); });
  }
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Executor* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
        return e->ready_ == static_cast<int>(e->workers_.size());
      },
      this));
}

Executor::~Executor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

void Executor::Schedule(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

void Executor::Work(int nice) {
  if (nice > 0) LowerThisThreadPriority(nice);
  {
    absl::MutexLock lock(&mu_);
    ++ready_;
  }
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Executor* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
            return e->stopping_ || !e->tasks_.empty();
          },
          this));
      if (tasks_.empty()) return;  // Stopping and drained.
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace coachd
