#include "services/session/timer_queue.h"

#include <algorithm>

namespace coachd {

void TimerQueue::Schedule(const std::string& session_id, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(session_id);
  if (it != deadlines_.end()) {
    queue_.erase({it->second, session_id});
    deadlines_.erase(it);
  }
  if (deadline == absl::InfiniteFuture()) return;
  queue_.insert({deadline, session_id});
  deadlines_[session_id] = deadline;
  ++changes_;
}

std::vector<std::string> TimerQueue::TakeDue() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  std::vector<std::string> due;
  while (!queue_.empty() && queue_.begin()->first <= now) {
    due.push_back(queue_.begin()->second);
    deadlines_.erase(queue_.begin()->second);
    queue_.erase(queue_.begin());
  }
  return due;
}

absl::Time TimerQueue::NextDeadline() const {
  absl::MutexLock lock(&mu_);
  return queue_.empty() ? absl::InfiniteFuture() : queue_.begin()->first;
}

int TimerQueue::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

bool TimerQueue::Wait(absl::Duration max_wait) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return false;
  const int seen = changes_;
  absl::Duration wait = max_wait;
  if (!queue_.empty()) {
    wait = std::min(wait, queue_.begin()->first - clock_->Now());
  }
  if (wait > absl::ZeroDuration()) {
    struct Args {
      TimerQueue* q;
      int seen;
    } args{this, seen};
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                               return a->q->stopped_ ||
                                      a->q->changes_ != a->seen;
                             },
                             &args),
                         wait);
  }
  return !stopped_;
}

void TimerQueue::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

}  // namespace coachd
