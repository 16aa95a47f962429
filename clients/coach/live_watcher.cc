#include "clients/coach/live_watcher.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "clients/common/client_auth.h"
#include "clients/common/reconnect.h"

namespace coachd {
LiveWatcher::LiveWatcher(std::shared_ptr<grpc::Channel> channel,
                         TokenProvider tokens, WatcherOptions options)
    : stub_(coach::v1::CoachService::NewStub(channel)),
      tokens_(std::move(tokens)),
      options_(options) {}

LiveWatcher::LiveWatcher(std::shared_ptr<grpc::Channel> channel,
                         std::string token, WatcherOptions options)
    : LiveWatcher(std::move(channel), FixedToken(std::move(token)), options) {}

void LiveWatcher::Stop() {
  stopped_ = true;
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr) current_->TryCancel();
}

absl::Status LiveWatcher::Run(
    const std::function<bool(const coach::v1::LiveUpdate&)>& on_update) {
  Reconnect reconnect(
      {options_.max_retries, options_.initial_backoff, options_.max_backoff});
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
    coach::v1::WatchLiveRequest request;
    if (last_sequence_ >= 0) {
      request.mutable_resume()->set_epoch(epoch_);
      request.mutable_resume()->set_last_sequence(last_sequence_);
    }
    grpc::ClientContext context;
    AddToken(&context, *token);
    {
      absl::MutexLock lock(&mu_);
      current_ = &context;
    }
    if (stopped_) context.TryCancel();
    std::unique_ptr<grpc::ClientReader<coach::v1::LiveUpdate>> reader =
        stub_->WatchLive(&context, request);
    coach::v1::LiveUpdate update;
    bool done = false;
    while (!done && reader->Read(&update)) {
      reconnect.Reset();
      received = true;
      // A snapshot replaces what we knew; otherwise sequences continue.
      if (update.kind() != coach::v1::LIVE_UPDATE_KIND_SNAPSHOT &&
          update.epoch() == epoch_ && update.sequence() <= last_sequence_) {
        continue;  // Never show an update twice.
      }
      epoch_ = update.epoch();
      last_sequence_ = update.sequence();
      if (!on_update(update)) done = true;
    }
    if (done) context.TryCancel();
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
    }
    if (done) return absl::OkStatus();
    if (stopped_) return absl::CancelledError("stopped");
    // The token expired (or was revoked): a fresh one resumes at once.
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
