// CoachService of coach.v1 over the callback API: a thin adapter from RPCs
// to Coaching (logic) and MemoryCoachBoard (WatchLive, WatchMySessions). Unary
// handlers run on the executor through ServeUnary; both streams are
// WatchLiveReactors. Reactions never block.
#ifndef SERVICES_COACH_COACH_SERVICE_H_
#define SERVICES_COACH_COACH_SERVICE_H_

#include "coach/v1/coach.grpc.pb.h"
#include "services/coach/coaching.h"
#include "services/coach/watch_live_reactor.h"

namespace coachd {

class CoachServiceImpl final : public coach::v1::CoachService::CallbackService {
 public:
  // `coaching` and the `deps` pointers must outlive the service.
  CoachServiceImpl(Coaching* coaching, WatchLiveDeps deps)
      : coaching_(coaching), deps_(deps) {}

  grpc::ServerUnaryReactor* LinkCoach(
      grpc::CallbackServerContext* context,
      const coach::v1::LinkCoachRequest* request,
      coach::v1::LinkCoachResponse* response) override;
  grpc::ServerUnaryReactor* CreateLinkCode(
      grpc::CallbackServerContext* context,
      const coach::v1::CreateLinkCodeRequest* request,
      coach::v1::CreateLinkCodeResponse* response) override;
  grpc::ServerUnaryReactor* UnlinkClient(
      grpc::CallbackServerContext* context,
      const coach::v1::UnlinkClientRequest* request,
      coach::v1::UnlinkClientResponse* response) override;
  grpc::ServerUnaryReactor* ListClients(
      grpc::CallbackServerContext* context,
      const coach::v1::ListClientsRequest* request,
      coach::v1::ListClientsResponse* response) override;
  grpc::ServerWriteReactor<coach::v1::LiveUpdate>* WatchLive(
      grpc::CallbackServerContext* context,
      const coach::v1::WatchLiveRequest* request) override;
  grpc::ServerWriteReactor<coach::v1::LiveUpdate>* WatchMySessions(
      grpc::CallbackServerContext* context,
      const coach::v1::WatchMySessionsRequest* request) override;
  grpc::ServerUnaryReactor* SendCue(
      grpc::CallbackServerContext* context,
      const coach::v1::SendCueRequest* request,
      coach::v1::SendCueResponse* response) override;
  grpc::ServerUnaryReactor* GetSessionSummary(
      grpc::CallbackServerContext* context,
      const coach::v1::GetSessionSummaryRequest* request,
      coach::v1::SessionSummaryView* response) override;

 private:
  Coaching* coaching_;
  const WatchLiveDeps deps_;
};

}  // namespace coachd

#endif  // SERVICES_COACH_COACH_SERVICE_H_
