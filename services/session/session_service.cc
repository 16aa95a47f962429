#include "services/session/session_service.h"

#include "services/auth/unary_call.h"

namespace coachd {

grpc::ServerUnaryReactor* SessionServiceImpl::StartSession(
    grpc::CallbackServerContext* context,
    const coach::v1::StartSessionRequest* request,
    coach::v1::SessionView* response) {
  return ServeUnary(context, "SessionService/StartSession", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(deps_.runner->Start(who, *request),
                                          response);
                    });
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetSession(
    grpc::CallbackServerContext* context,
    const coach::v1::GetSessionRequest* request,
    coach::v1::SessionView* response) {
  return ServeUnary(context, "SessionService/GetSession", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          deps_.runner->Get(who, request->session_id()),
                          response);
                    });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* SessionServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return new SubscribeReactor(deps_, context, request);
}

grpc::ServerUnaryReactor* SessionServiceImpl::SendCommand(
    grpc::CallbackServerContext* context,
    const coach::v1::SendCommandRequest* request,
    coach::v1::SendCommandResponse* response) {
  return ServeUnary(context, "SessionService/SendCommand", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(deps_.runner->Command(who, *request),
                                          response);
                    });
}

}  // namespace coachd
