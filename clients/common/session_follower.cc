#include "clients/common/session_follower.h"

#include <algorithm>
#include <thread>

#include "absl/time/clock.h"
#include "clients/common/client_auth.h"
#include "clients/common/reconnect.h"

namespace coachd {
SessionFollower::SessionFollower(std::shared_ptr<grpc::Channel> channel,
                                 std::string token, std::string session_id,
                                 coach::v1::DeviceKind kind,
                                 FollowerOptions options)
    : SessionFollower(std::move(channel), FixedToken(std::move(token)),
                      std::move(session_id), kind, options) {}

SessionFollower::SessionFollower(std::shared_ptr<grpc::Channel> channel,
                                 TokenProvider tokens, std::string session_id,
                                 coach::v1::DeviceKind kind,
                                 FollowerOptions options)
    : stub_(coach::v1::SessionService::NewStub(channel)),
      tokens_(std::move(tokens)),
      session_id_(std::move(session_id)),
      kind_(kind),
      options_(options) {}

void SessionFollower::Stop() {
  stopped_ = true;
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr) current_->TryCancel();
}

absl::Status SessionFollower::Run(
    const std::function<void(const coach::v1::SessionEvent&)>& on_event) {
  Reconnect reconnect({options_.max_retries, options_.initial_backoff,
                       options_.max_backoff, options_.reconnects});
  bool refresh = false;    // The last stream ended UNAUTHENTICATED.
  bool refreshed = false;  // The stream now open uses a refreshed token.
  while (!stopped_) {
    absl::StatusOr<std::string> token = tokens_(refresh);
    if (!token.ok()) return token.status();
    if (refresh) ++refreshes_;
    refreshed = refresh;
    refresh = false;
    const absl::Time opened = absl::Now();
    bool received = false;
    coach::v1::SubscribeRequest request;
    request.set_session_id(session_id_);
    request.set_kind(kind_);
    if (last_sequence_ >= 0) {
      request.mutable_resume()->set_epoch(epoch_);
      request.mutable_resume()->set_last_sequence(last_sequence_);
    } else if (options_.from_start) {
      // Learn the epoch, then replay from the first event.
      grpc::ClientContext get_context;
      AddToken(&get_context, *token);
      coach::v1::GetSessionRequest get;
      get.set_session_id(session_id_);
      coach::v1::SessionView view;
      grpc::Status got = stub_->GetSession(&get_context, get, &view);
      if (NeedsRefresh(got, refreshed, /*received=*/false,
                       absl::ZeroDuration())) {
        refresh = true;
        continue;
      }
      if (!got.ok() && !RetryableStatus(got.error_code())) {
        return absl::Status(static_cast<absl::StatusCode>(got.error_code()),
                            got.error_message());
      }
      if (got.ok()) {
        request.mutable_resume()->set_epoch(view.epoch());
        request.mutable_resume()->set_last_sequence(0);
      }
    }
    grpc::ClientContext context;
    AddToken(&context, *token);
    {
      absl::MutexLock lock(&mu_);
      current_ = &context;
    }
    if (stopped_) context.TryCancel();
    std::unique_ptr<grpc::ClientReader<coach::v1::SessionEvent>> reader =
        stub_->Subscribe(&context, request);
    coach::v1::SessionEvent event;
    bool finished = false;
    while (reader->Read(&event)) {
      reconnect.Reset();
      received = true;
      // A snapshot replaces what we knew; otherwise sequences continue.
      if (!event.has_snapshot() && event.epoch() == epoch_ &&
          event.sequence() <= last_sequence_) {
        continue;  // Never show an event twice.
      }
      epoch_ = event.epoch();
      last_sequence_ = event.sequence();
      on_event(event);
      if (event.status().run_state() == coach::v1::RUN_STATE_FINISHED) {
        finished = true;
      }
    }
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
    }
    if (finished && status.ok()) return absl::OkStatus();
    if (stopped_) return absl::CancelledError("stopped");
    // The token expired (or was revoked): a fresh one resumes at once. A
    // freshly refreshed token refused at once ends the run (no loop).
    if (NeedsRefresh(status, refreshed, received, absl::Now() - opened)) {
      refresh = true;
      continue;
    }
    absl::Status again = reconnect.AfterStreamEnded(status);
    if (!again.ok()) return again;
    reconnects_ = reconnect.reconnects();
  }
  return absl::CancelledError("stopped");
}

}  // namespace coachd
