#include "services/coach/coach_service.h"

#include <utility>

#include "services/auth/unary_call.h"

namespace coachd {

grpc::ServerUnaryReactor* CoachServiceImpl::LinkCoach(
    grpc::CallbackServerContext* context,
    const coach::v1::LinkCoachRequest* request,
    coach::v1::LinkCoachResponse* response) {
  return ServeUnary(context, "CoachService/LinkCoach", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(coaching_->LinkCoach(who, *request),
                                          response);
                    });
}

grpc::ServerUnaryReactor* CoachServiceImpl::CreateLinkCode(
    grpc::CallbackServerContext* context,
    const coach::v1::CreateLinkCodeRequest* request,
    coach::v1::CreateLinkCodeResponse* response) {
  return ServeUnary(context, "CoachService/CreateLinkCode", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          coaching_->CreateLinkCode(who, *request), response);
                    });
}

grpc::ServerUnaryReactor* CoachServiceImpl::UnlinkClient(
    grpc::CallbackServerContext* context,
    const coach::v1::UnlinkClientRequest* request,
    coach::v1::UnlinkClientResponse* response) {
  return ServeUnary(context, "CoachService/UnlinkClient", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          coaching_->UnlinkClient(who, *request), response);
                    });
}

grpc::ServerUnaryReactor* CoachServiceImpl::ListClients(
    grpc::CallbackServerContext* context,
    const coach::v1::ListClientsRequest* request,
    coach::v1::ListClientsResponse* response) {
  return ServeUnary(context, "CoachService/ListClients", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(coaching_->ListClients(who, *request),
                                          response);
                    });
}

grpc::ServerWriteReactor<coach::v1::LiveUpdate>* CoachServiceImpl::WatchLive(
    grpc::CallbackServerContext* context,
    const coach::v1::WatchLiveRequest* request) {
  return new WatchLiveReactor(
      deps_, context, request->has_resume() ? &request->resume() : nullptr,
      BoardOwner::kCoach);
}

grpc::ServerWriteReactor<coach::v1::LiveUpdate>*
CoachServiceImpl::WatchMySessions(
    grpc::CallbackServerContext* context,
    const coach::v1::WatchMySessionsRequest* request) {
  return new WatchLiveReactor(
      deps_, context, request->has_resume() ? &request->resume() : nullptr,
      BoardOwner::kPerson);
}

grpc::ServerUnaryReactor* CoachServiceImpl::SendCue(
    grpc::CallbackServerContext* context,
    const coach::v1::SendCueRequest* request,
    coach::v1::SendCueResponse* response) {
  return ServeUnary(context, "CoachService/SendCue", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(coaching_->SendCue(who, *request),
                                          response);
                    });
}

grpc::ServerUnaryReactor* CoachServiceImpl::GetSessionSummary(
    grpc::CallbackServerContext* context,
    const coach::v1::GetSessionSummaryRequest* request,
    coach::v1::SessionSummaryView* response) {
  return ServeUnary(context, "CoachService/GetSessionSummary", deps_.service,
                    [this, request, response](const Identity& who) {
                      return AssignResult(
                          coaching_->GetSessionSummary(who, *request),
                          response);
                    });
}

}  // namespace coachd
