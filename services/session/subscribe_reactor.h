// The server side of SessionService.Subscribe: one reactor per stream. It is
// a hub sink with a bounded queue; a device too slow to keep up loses its
// queue and is caught up with a snapshot (told so), never slowing the others
// and never growing memory without bound. Finishes when the session does,
// and at once with PERMISSION_DENIED when the caller's access is revoked (a
// coach unlinked while following). Streams send each event's shared wire
// form (StoredEvent::Wire), so an event is serialized once for all of its
// streams, not once per stream: the method is registered raw (ByteBuffers).
#ifndef SERVICES_SESSION_SUBSCRIBE_REACTOR_H_
#define SERVICES_SESSION_SUBSCRIBE_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/v1/session.pb.h"
#include "services/auth/identity.h"
#include "services/auth/unary_call.h"
#include "services/common/stream_registry.h"
#include "services/session/session_hub.h"
#include "services/session/session_runner.h"
#include "services/session/write_queue.h"

namespace coachd {

// Everything a Subscribe stream needs; pointers outlive the server.
struct SubscribeDeps {
  ServiceDeps service;
  SessionRunner* runner = nullptr;
  SessionHub* hub = nullptr;
  int max_queue = 256;  // Events queued per stream before a snapshot.
  // Tells open streams when access is revoked; null: never revoked.
  const AccessPolicy* policy = nullptr;
};

// Deletes itself when the call is done. Construct with new.
class SubscribeReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                         public EventSink {
 public:
  // `request` is a serialized SubscribeRequest; one that does not parse
  // finishes the stream with INVALID_ARGUMENT.
  SubscribeReactor(const SubscribeDeps& deps,
                   grpc::CallbackServerContext* context,
                   const grpc::ByteBuffer* request);

  // EventSink: queues the event and starts a write when idle.
  void Deliver(const StoredEvent& event) override;

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // Runs on a worker: access check, then attaches to the hub.
  void Setup();
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lets shutdown end the stream with UNAVAILABLE.
  void RegisterForShutdown();
  // Ends the stream with UNAUTHENTICATED when `who`'s token expires or its
  // device is revoked.
  void WatchLifetime(const Identity& who);
  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The caller lost access: finishes with PERMISSION_DENIED. Quick.
  void Revoke();
  // Drops one of the two references (the call's, the setup's).
  void Unref();

  const SubscribeDeps deps_;
  // Parsed from the call's request in the constructor: gRPC frees its
  // buffer when the call ends, which can happen before Setup runs.
  coach::v1::SubscribeRequest request_;
  const absl::Time start_;
  Identity who_;
  std::atomic<int> refs_{1};

  // Lets shutdown end this stream at once; reset in OnDone.
  StreamRegistration registration_;
  // This stream's place among its caller's open streams; reset in OnDone.
  StreamSlot slot_;
  // Ends this stream at its token\'s expiry or revocation; reset in OnDone.
  LifetimeRegistration lifetime_;
  absl::Mutex mu_;
  std::unique_ptr<HubAttachment> attachment_ ABSL_GUARDED_BY(mu_);
  // Calls Revoke while alive; reset outside mu_ (its callback takes mu_).
  std::unique_ptr<AccessWatch> revocation_ ABSL_GUARDED_BY(mu_);
  // An event waiting to be written, with its wire form taken when it was
  // delivered: the streams of a session deliver an event together, so they
  // share one serialization, freed once every stream has written it.
  struct Queued {
    StoredEvent event;
    std::shared_ptr<const std::string> wire;
  };
  WriteQueue<Queued> queue_ ABSL_GUARDED_BY(mu_);
  StoredEvent writing_ ABSL_GUARDED_BY(mu_);  // The event being written.
  grpc::ByteBuffer writing_bytes_ ABSL_GUARDED_BY(mu_);  // Its wire form.
  bool lagged_ ABSL_GUARDED_BY(mu_) = false;
  // True until the hub attach returns: its replay is not bounded by
  // max_queue (history bounds it); backlog_ is what is left of it.
  bool attaching_ ABSL_GUARDED_BY(mu_) = true;
  int64_t backlog_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t overflows_ ABSL_GUARDED_BY(mu_) = 0;  // Times the queue was dropped.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  int snapshots_for_lag_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SUBSCRIBE_REACTOR_H_
