#include "clients/web/loop_poster.h"

#include <utility>

namespace coachd {

LoopPoster::LoopPoster(event_base* base)
    : wake_(event_new(base, -1, 0, &LoopPoster::OnWake, this)) {}

LoopPoster::~LoopPoster() { event_free(wake_); }

void LoopPoster::Post(std::function<void()> task) {
  bool first = false;
  {
    absl::MutexLock lock(&mu_);
    first = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  // One wake-up per batch: the loop takes every task queued until it runs.
  if (first) event_active(wake_, EV_READ, 0);
}

void LoopPoster::OnWake(evutil_socket_t, short, void* self) {
  auto* poster = static_cast<LoopPoster*>(self);
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&poster->mu_);
    tasks.swap(poster->tasks_);
  }
  for (std::function<void()>& task : tasks) task();
}

}  // namespace coachd
