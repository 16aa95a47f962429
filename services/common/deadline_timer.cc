#include "services/common/deadline_timer.h"

#include "absl/time/clock.h"

namespace coachd {

DeadlineTimer::DeadlineTimer() : thread_([this] { Run(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

int64_t DeadlineTimer::Add(absl::Time when, std::function<void()> fire) {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_id_++;
  if (due_.empty() || when < due_.begin()->first.first) earlier_ = true;
  due_.emplace(std::make_pair(when, id), std::move(fire));
  times_.emplace(id, when);
  return id;
}

void DeadlineTimer::Cancel(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = times_.find(id);
  if (it == times_.end()) return;  // Ran, running, or cancelled before.
  due_.erase(std::make_pair(it->second, id));
  times_.erase(it);
}

int DeadlineTimer::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(due_.size());
}

void DeadlineTimer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    const absl::Time next =
        due_.empty() ? absl::InfiniteFuture() : due_.begin()->first.first;
    if (absl::Now() < next) {
      earlier_ = false;
      mu_.AwaitWithDeadline(
          absl::Condition(
              +[](DeadlineTimer* t) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                return t->stop_ || t->earlier_;
              },
              this),
          next);
      continue;
    }
    std::function<void()> fire = std::move(due_.begin()->second);
    times_.erase(due_.begin()->first.second);
    due_.erase(due_.begin());
    mu_.Unlock();
    fire();
    mu_.Lock();
  }
}

}  // namespace coachd
