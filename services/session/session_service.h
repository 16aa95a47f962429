// SessionService of coach.v1 over the callback API: a thin adapter from RPCs
// to SessionRunner (logic) and SessionHub (fan-out). Blocking work runs on
// the executor; reactions never block.
#ifndef SERVICES_SESSION_SESSION_SERVICE_H_
#define SERVICES_SESSION_SESSION_SERVICE_H_

#include "coach/v1/session.grpc.pb.h"
#include "services/session/subscribe_reactor.h"

namespace coachd {

// Subscribe is registered raw: its streams send events' shared wire form
// (see SubscribeReactor); clients see the same SessionEvent messages.
class SessionServiceImpl final
    : public coach::v1::SessionService::WithRawCallbackMethod_Subscribe<
          coach::v1::SessionService::CallbackService> {
 public:
  // `deps` pointers must outlive the service.
  explicit SessionServiceImpl(SubscribeDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* StartSession(
      grpc::CallbackServerContext* context,
      const coach::v1::StartSessionRequest* request,
      coach::v1::SessionView* response) override;
  grpc::ServerUnaryReactor* GetSession(
      grpc::CallbackServerContext* context,
      const coach::v1::GetSessionRequest* request,
      coach::v1::SessionView* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* SendCommand(
      grpc::CallbackServerContext* context,
      const coach::v1::SendCommandRequest* request,
      coach::v1::SendCommandResponse* response) override;

 private:
  const SubscribeDeps deps_;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SESSION_SERVICE_H_
