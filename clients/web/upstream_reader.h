// One server stream from coachd read with gRPC's callback API: no thread of
// its own. Each message goes to `on_message` and the end to `on_done`, both
// on a gRPC thread (they must not block: the gateway posts to its loop).
// The reactor deletes itself when the call is over; the handle it returns
// only cancels.
//
//   std::shared_ptr<UpstreamCall> call = UpstreamReader<SessionEvent>::Start(
//       token, [&](grpc::ClientContext* c, grpc::ClientReadReactor<
//                      SessionEvent>* r) { stub->async()->Subscribe(c, &req,
//                      r); },
//       on_event, on_done);
//   call->Cancel();   // from any thread, any number of times
#ifndef CLIENTS_WEB_UPSTREAM_READER_H_
#define CLIENTS_WEB_UPSTREAM_READER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace coachd {

// Cancels a call in flight. Thread-safe; harmless after the call ended.
class UpstreamCall {
 public:
  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }

 private:
  template <typename Response>
  friend class UpstreamReader;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

template <typename Response>
class UpstreamReader : public grpc::ClientReadReactor<Response> {
 public:
  using Starter = std::function<void(grpc::ClientContext*,
                                     grpc::ClientReadReactor<Response>*)>;
  using MessageFn = std::function<void(const Response&)>;
  using DoneFn = std::function<void(const grpc::Status&)>;

  // Opens the stream with "authorization: Bearer <token>": `start` must
  // call the stub's async method with the context and reactor it gets (the
  // request it passes must live until `on_done`). Both callbacks run on
  // gRPC threads; `on_done` exactly once, last.
  static std::shared_ptr<UpstreamCall> Start(const std::string& token,
                                             const Starter& start,
                                             MessageFn on_message,
                                             DoneFn on_done) {
    auto* reader =
        new UpstreamReader(std::move(on_message), std::move(on_done));
    reader->context_.AddMetadata("authorization", "Bearer " + token);
    std::shared_ptr<UpstreamCall> call = reader->call_;
    {
      absl::MutexLock lock(&call->mu_);
      call->context_ = &reader->context_;
    }
    start(&reader->context_, reader);
    reader->StartRead(&reader->message_);
    reader->StartCall();
    return call;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows.
    on_message_(message_);
    this->StartRead(&message_);
  }

  void OnDone(const grpc::Status& status) override {
    {
      absl::MutexLock lock(&call_->mu_);
      call_->context_ = nullptr;
    }
    on_done_(status);
    delete this;
  }

 private:
  UpstreamReader(MessageFn on_message, DoneFn on_done)
      : on_message_(std::move(on_message)),
        on_done_(std::move(on_done)),
        call_(std::make_shared<UpstreamCall>()) {}

  grpc::ClientContext context_;
  Response message_;
  MessageFn on_message_;
  DoneFn on_done_;
  std::shared_ptr<UpstreamCall> call_;
};

}  // namespace coachd

#endif  // CLIENTS_WEB_UPSTREAM_READER_H_
