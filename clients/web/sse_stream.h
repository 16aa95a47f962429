// One browser's open event stream (text/event-stream), and the coachd
// streams that feed it. The loop thread owns the HTTP side; gRPC threads
// Offer() messages, which reach the loop through the LoopPoster. What the
// gateway holds per browser is bounded: a browser that falls kMaxQueued
// messages behind the loop, or more than `max_unsent_bytes` of output
// behind a full socket (it stopped reading), is cut off: its reply ends
// after what is already buffered and nothing more is added. The browser
// comes back with its Last-Event-ID and resumes from history, or gets a
// snapshot, instead of growing the gateway's memory or slowing the others.
// Each stream's socket send buffer is fixed (kSocketSendBytes) so the
// kernel does not hold megabytes for it either.
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
#include "clients/web/web_metrics.h"

namespace coachd {

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  // Messages waiting for the loop, per browser, at most.
  static constexpr int kMaxQueued = 512;
  // The default of Open's `max_unsent_bytes`.
  static constexpr size_t kMaxUnsentBytes = 1 << 20;
  // The socket send buffer asked for each stream (Linux doubles it), so
  // the kernel does not grow it to megabytes for a browser that stopped
  // reading.
  static constexpr int kSocketSendBytes = 64 << 10;

  // Loop thread. Starts the 200 text/event-stream reply on `request` with
  // the retry delay. `poster` must outlive every stream. Output the
  // browser's socket has not taken is kept up to `max_unsent_bytes` (> 0);
  // past that the stream is cut off. `on_closed` runs on the loop once the
  // stream is over (either side closed it, or it was cut off). `counters`
  // (null: none) count messages sent and streams cut off; they must
  // outlive the stream.
  static std::shared_ptr<SseStream> Open(evhttp_request* request,
                                         LoopPoster* poster, int retry_ms,
                                         size_t max_unsent_bytes,
                                         std::function<void()> on_closed,
                                         const SseCounters* counters = nullptr);
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Any thread: queues `message` for the browser (dropped once closed). A
  // message beyond kMaxQueued cuts the stream off instead.
  void Offer(const PageMessage& message);

  // Any thread: runs `task` on the loop with this stream alive.
  void Post(std::function<void(SseStream*)> task);

  // Any thread: cancels `call` when the stream closes (at once if closed).
  void Attach(std::shared_ptr<UpstreamCall> call);

  // Loop thread: writes `wire` now (already formatted SSE text), or, when
  // the browser has more than max_unsent_bytes unsent, cuts it off. Whether
  // it was written.
  bool Write(const std::string& wire);

  // Loop thread: ends the reply and cancels the attached calls. Idempotent.
  void Close();

  // Loop thread: whether the stream is over.
  bool closed() const { return request_ == nullptr; }

  // Any thread: messages queued for the loop now.
  int queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  // How a stream ends: the reply ended (kEnd), or the browser went away
  // (kGone).
  enum class Ending { kEnd, kGone };

  SseStream(evhttp_request* request, LoopPoster* poster,
            size_t max_unsent_bytes, std::function<void()> on_closed,
            const SseCounters* counters);
  static void OnConnectionClosed(evhttp_connection* connection, void* self);
  void Finish(Ending ending);

  evhttp_request* request_;  // Loop thread; null once closed.
  evhttp_connection* connection_;
  LoopPoster* const poster_;
  const size_t max_unsent_bytes_;
  std::function<void()> on_closed_;
  const SseCounters* const counters_;  // May be null.
  std::shared_ptr<SseStream> self_;    // Keeps the stream alive while open.
  std::atomic<int> queued_{0};
  std::atomic<bool> overflowed_{false};
  absl::Mutex mu_;
  bool calls_cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<UpstreamCall>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // CLIENTS_WEB_SSE_STREAM_H_
