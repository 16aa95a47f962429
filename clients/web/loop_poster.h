// Hands work from gRPC's callback threads to the gateway's libevent loop:
// Post() queues a task under a mutex and wakes the loop with event_active
// (libevent's own wake-up pipe, set up by evthread_use_pthreads()); the loop
// runs the tasks in the order they came. Everything that touches libevent
// (requests, buffers) runs on the loop thread this way.
//
//   evthread_use_pthreads();            // once, before event_base_new
//   LoopPoster poster(base);
//   poster.Post([] { /* on the loop thread */ });
#ifndef CLIENTS_WEB_LOOP_POSTER_H_
#define CLIENTS_WEB_LOOP_POSTER_H_

#include <event2/event.h>

#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace coachd {

// Post() is thread-safe; the tasks run on the thread of `base`'s loop.
// `base` must outlive this object, which must be destroyed on the loop
// thread once no thread posts any more.
class LoopPoster {
 public:
  explicit LoopPoster(event_base* base);
  ~LoopPoster();
  LoopPoster(const LoopPoster&) = delete;
  LoopPoster& operator=(const LoopPoster&) = delete;

  // Runs `task` on the loop thread soon. Never blocks on the loop.
  void Post(std::function<void()> task);

 private:
  static void OnWake(evutil_socket_t, short, void* self);
  event* wake_;
  absl::Mutex mu_;
  std::vector<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // CLIENTS_WEB_LOOP_POSTER_H_
