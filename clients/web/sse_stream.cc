#include "clients/web/sse_stream.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <utility>

namespace coachd {

std::shared_ptr<SseStream> SseStream::Open(evhttp_request* request,
                                           LoopPoster* poster, int retry_ms,
                                           std::function<void()> on_closed) {
  std::shared_ptr<SseStream> stream(
      new SseStream(request, poster, std::move(on_closed)));
  stream->self_ = stream;
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", "text/event-stream");
  evhttp_add_header(headers, "Cache-Control", "no-store");
  // nginx: do not buffer this response (deploy/nginx also says so).
  evhttp_add_header(headers, "X-Accel-Buffering", "no");
  evhttp_send_reply_start(request, HTTP_OK, "OK");
  evhttp_connection_set_closecb(stream->connection_,
                                &SseStream::OnConnectionClosed, stream.get());
  stream->Write(SseRetry(retry_ms));
  return stream;
}

SseStream::SseStream(evhttp_request* request, LoopPoster* poster,
                     std::function<void()> on_closed)
    : request_(request),
      connection_(evhttp_request_get_connection(request)),
      poster_(poster),
      on_closed_(std::move(on_closed)) {}

void SseStream::Offer(const PageMessage& message) {
  if (overflowed_.load(std::memory_order_relaxed)) return;
  if (queued_.fetch_add(1, std::memory_order_relaxed) >= kMaxQueued) {
    overflowed_.store(true);
    Post([](SseStream* s) { s->Close(); });
    return;
  }
  std::string wire = FormatSse(message);
  poster_->Post([self = shared_from_this(), wire = std::move(wire)] {
    self->queued_.fetch_sub(1, std::memory_order_relaxed);
    self->Write(wire);
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

void SseStream::Write(const std::string& wire) {
  if (request_ == nullptr) return;
  bufferevent* bev = evhttp_connection_get_bufferevent(connection_);
  if (bev != nullptr &&
      evbuffer_get_length(bufferevent_get_output(bev)) > kMaxBufferedBytes) {
    Close();  // The browser takes nothing: it resumes when it comes back.
    return;
  }
  evbuffer* chunk = evbuffer_new();
  evbuffer_add(chunk, wire.data(), wire.size());
  evhttp_send_reply_chunk(request_, chunk);
  evbuffer_free(chunk);
}

void SseStream::Close() { Finish(/*send_end=*/true); }

void SseStream::OnConnectionClosed(evhttp_connection*, void* self) {
  // The browser went away: libevent frees the request after this returns.
  static_cast<SseStream*>(self)->Finish(/*send_end=*/false);
}

void SseStream::Finish(bool send_end) {
  if (request_ == nullptr) return;
  // Alive until this returns, even when self_ held the last reference.
  std::shared_ptr<SseStream> keep = std::move(self_);
  evhttp_connection_set_closecb(connection_, nullptr, nullptr);
  if (send_end) evhttp_send_reply_end(request_);
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
