// One browser's open event stream (text/event-stream), and the coachd
// streams that feed it. The loop thread owns the HTTP side; gRPC threads
// Offer() messages, which reach the loop through the LoopPoster. The queue
// per browser is bounded: a browser that falls kMaxQueued messages (or
// kMaxBufferedBytes of unsent output) behind is disconnected, and comes back
// with its Last-Event-ID, so it resumes from history (or a snapshot) instead
// of growing the gateway's memory or slowing the others.
//
// Lifetime: shared by the gateway's table of open streams and every
// callback that may still post to it; everything but Offer(), Attach() and
// the atomic counters runs on the loop thread.
#ifndef CLIENTS_WEB_SSE_STREAM_H_
#define CLIENTS_WEB_SSE_STREAM_H_

#include <event2/http.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "clients/web/loop_poster.h"
#include "clients/web/page_messages.h"
#include "clients/web/upstream_reader.h"

namespace coachd {

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  // Messages waiting for the loop, per browser, at most.
  static constexpr int kMaxQueued = 512;
  // Bytes written but not yet taken by the browser's socket, at most.
  static constexpr size_t kMaxBufferedBytes = 1 << 20;

  // Loop thread. Starts the 200 text/event-stream reply on `request` with
  // the retry delay. `poster` must outlive every stream. `on_closed` runs
  // on the loop once the stream is over (either side closed it).
  static std::shared_ptr<SseStream> Open(evhttp_request* request,
                                         LoopPoster* poster, int retry_ms,
                                         std::function<void()> on_closed);
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Any thread: queues `message` for the browser (dropped once closed). A
  // message beyond kMaxQueued closes the stream instead.
  void Offer(const PageMessage& message);

  // Any thread: runs `task` on the loop with this stream alive.
  void Post(std::function<void(SseStream*)> task);

  // Any thread: cancels `call` when the stream closes (at once if closed).
  void Attach(std::shared_ptr<UpstreamCall> call);

  // Loop thread: writes `wire` now (already formatted SSE text).
  void Write(const std::string& wire);

  // Loop thread: ends the reply and cancels the attached calls. Idempotent.
  void Close();

  // Loop thread: whether the stream is over.
  bool closed() const { return request_ == nullptr; }

  // Any thread: messages queued for the loop now.
  int queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  SseStream(evhttp_request* request, LoopPoster* poster,
            std::function<void()> on_closed);
  static void OnConnectionClosed(evhttp_connection* connection, void* self);
  void Finish(bool send_end);

  evhttp_request* request_;  // Loop thread; null once closed.
  evhttp_connection* connection_;
  LoopPoster* const poster_;
  std::function<void()> on_closed_;
  std::shared_ptr<SseStream> self_;  // Keeps the stream alive while open.
  std::atomic<int> queued_{0};
  std::atomic<bool> overflowed_{false};
  absl::Mutex mu_;
  bool calls_cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<UpstreamCall>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // CLIENTS_WEB_SSE_STREAM_H_
