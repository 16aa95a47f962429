#include "clients/web/sse_stream.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <sys/socket.h>

#include <utility>

#include "services/common/check.h"

namespace coachd {

std::shared_ptr<SseStream> SseStream::Open(evhttp_request* request,
                                           LoopPoster* poster, int retry_ms,
                                           size_t max_unsent_bytes,
                                           std::function<void()> on_closed,
                                           const SseCounters* counters) {
  std::shared_ptr<SseStream> stream(new SseStream(
      request, poster, max_unsent_bytes, std::move(on_closed), counters));
  stream->self_ = stream;
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", "text/event-stream");
  evhttp_add_header(headers, "Cache-Control", "no-store");
  // nginx: do not buffer this response (deploy/nginx also says so).
  evhttp_add_header(headers, "X-Accel-Buffering", "no");
  evhttp_send_reply_start(request, HTTP_OK, "OK");
  evhttp_connection_set_closecb(stream->connection_,
                                &SseStream::OnConnectionClosed, stream.get());
  // A fixed send buffer, not one the kernel grows to megabytes for a
  // browser that stopped reading: with max_unsent_bytes it bounds what a
  // stalled browser costs.
  if (bufferevent* bev = evhttp_connection_get_bufferevent(stream->connection_);
      bev != nullptr && bufferevent_getfd(bev) >= 0) {
    const int bytes = kSocketSendBytes;
    setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_SNDBUF, &bytes,
               sizeof(bytes));
  }
  stream->Write(SseRetry(retry_ms));
  return stream;
}

SseStream::SseStream(evhttp_request* request, LoopPoster* poster,
                     size_t max_unsent_bytes, std::function<void()> on_closed,
                     const SseCounters* counters)
    : request_(request),
      connection_(evhttp_request_get_connection(request)),
      poster_(poster),
      max_unsent_bytes_(max_unsent_bytes),
      on_closed_(std::move(on_closed)),
      counters_(counters) {
  COACHD_DCHECK(max_unsent_bytes > 0, "a stream must be able to send");
}

void SseStream::Offer(const PageMessage& message) {
  if (overflowed_.load(std::memory_order_relaxed)) return;
  if (queued_.fetch_add(1, std::memory_order_relaxed) >= kMaxQueued) {
    overflowed_.store(true);
    if (counters_ != nullptr) counters_->cut_queue->Increment();
    Post([](SseStream* s) { s->Close(); });
    return;
  }
  std::string wire = FormatSse(message);
  poster_->Post([self = shared_from_this(), wire = std::move(wire)] {
    self->queued_.fetch_sub(1, std::memory_order_relaxed);
    if (self->Write(wire) && self->counters_ != nullptr) {
      self->counters_->events_sent->Increment();
    }
  });
}

void SseStream::Post(std::function<void(SseStream*)> task) {
  poster_->Post([self = shared_from_this(), task = std::move(task)] {
    task(self.get());
  });
}

void SseStream::Attach(std::shared_ptr<UpstreamCall> call) {
  {
    absl::MutexLock lock(&mu_);
    if (!calls_cancelled_) {
      calls_.push_back(std::move(call));
      return;
    }
  }
  call->Cancel();
}

bool SseStream::Write(const std::string& wire) {
  if (request_ == nullptr) return false;
  bufferevent* bev = evhttp_connection_get_bufferevent(connection_);
  evbuffer* unsent = bev != nullptr ? bufferevent_get_output(bev) : nullptr;
  if (unsent != nullptr && evbuffer_get_length(unsent) > max_unsent_bytes_) {
    // Over the bound: first hand the socket what it takes now (a burst,
    // such as a resume's replay, comes faster than the loop writes), and
    // judge the browser only by what is left.
    evbuffer_write(unsent, bufferevent_getfd(bev));
  }
  if (unsent != nullptr && evbuffer_get_length(unsent) > max_unsent_bytes_) {
    // The browser's socket is full and more is waiting: its reply ends
    // here (what is buffered still goes out, the end after it) and nothing
    // more is written; it resumes from its last event when it comes back.
    if (counters_ != nullptr) counters_->cut_unsent->Increment();
    Close();
    return false;
  }
  evbuffer* chunk = evbuffer_new();
  evbuffer_add(chunk, wire.data(), wire.size());
  evhttp_send_reply_chunk(request_, chunk);
  evbuffer_free(chunk);
  return true;
}

void SseStream::Close() { Finish(Ending::kEnd); }

void SseStream::OnConnectionClosed(evhttp_connection*, void* self) {
  static_cast<SseStream*>(self)->Finish(Ending::kGone);
}

void SseStream::Finish(Ending ending) {
  if (request_ == nullptr) return;
  // Alive until this returns, even when self_ held the last reference.
  std::shared_ptr<SseStream> keep = std::move(self_);
  evhttp_connection_set_closecb(connection_, nullptr, nullptr);
  switch (ending) {
    case Ending::kEnd:
      evhttp_send_reply_end(request_);
      break;
    case Ending::kGone:
      // A connection that failed (the browser went away) leaves a reply
      // still open detached from it, for its owner to end: ending it frees
      // it. One still attached is freed with its connection.
      if (evhttp_request_get_connection(request_) == nullptr) {
        evhttp_send_reply_end(request_);
      }
      break;
  }
  request_ = nullptr;
  connection_ = nullptr;
  std::vector<std::shared_ptr<UpstreamCall>> calls;
  {
    absl::MutexLock lock(&mu_);
    calls_cancelled_ = true;
    calls.swap(calls_);
  }
  for (const auto& call : calls) call->Cancel();
  if (on_closed_) std::move(on_closed_)();
  on_closed_ = nullptr;
}

}  // namespace coachd
