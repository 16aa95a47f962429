#include "services/coach/watch_live_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/coach/coaching.h"
#include "services/common/grpc_status.h"
#include "services/common/rpc_log.h"

namespace coachd {

WatchLiveReactor::WatchLiveReactor(const WatchLiveDeps& deps,
                                   grpc::CallbackServerContext* context,
                                   const coach::v1::ResumePosition* resume,
                                   BoardOwner owner)
    : deps_(deps),
      method_(owner == BoardOwner::kCoach ? "CoachService/WatchLive"
                                          : "CoachService/WatchMySessions"),
      start_(absl::Now()) {
  RegisterForShutdown();
  absl::StatusOr<Identity> who = deps_.service.auth->Authenticate(*context);
  absl::Status status = who.status();
  if (who.ok()) {
    who_ = *who;
    status = owner == BoardOwner::kCoach
                 ? Coaching::CheckCoach(who_, "the live board")
                 : Coaching::CheckPerson(who_, "your sessions board");
  }
  if (status.ok()) status = Coaching::ValidateResume(resume);
  if (status.ok()) {
    absl::StatusOr<StreamSlot> slot =
        AcquireStreamSlot(deps_.service, method_, who_);
    if (slot.ok()) {
      slot_ = *std::move(slot);
    } else {
      status = slot.status();
    }
  }
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    FinishLocked(ToGrpcStatus(status));
    return;
  }
  WatchLifetime(who_);
  // Delivers the first updates (a snapshot or the missed ones) to us; our
  // lock is not held here.
  absl::StatusOr<std::unique_ptr<BoardAttachment>> attachment =
      owner == BoardOwner::kCoach
          ? deps_.board->Attach(who_.subject, resume, this)
          : deps_.board->AttachOwn(who_.subject, resume, this);
  absl::MutexLock lock(&mu_);
  if (!attachment.ok()) {
    FinishLocked(ToGrpcStatus(attachment.status()));
    return;
  }
  attachment_ = *std::move(attachment);
}

void WatchLiveReactor::Deliver(const SharedUpdate& update) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (static_cast<int>(queue_.size()) >= deps_.max_queue) {
    // Too slow: drop what is queued; a snapshot replaces it.
    queue_.clear();
    lagged_ = true;
  }
  queue_.push_back(update);
  if (deps_.service.queue_high_water != nullptr) {
    deps_.service.queue_high_water->Observe(method_, queue_.size());
  }
  if (writing_ == nullptr) WriteNextLocked();
}

void WatchLiveReactor::Fail(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(ToGrpcStatus(status));
}

void WatchLiveReactor::WriteNextLocked() {
  if (finished_ || writing_ != nullptr || queue_.empty()) return;
  writing_ = std::move(queue_.front());
  queue_.pop_front();
  StartWrite(writing_.get());
}

void WatchLiveReactor::OnWriteDone(bool ok) {
  BoardAttachment* attachment = nullptr;
  {
    absl::MutexLock lock(&mu_);
    writing_ = nullptr;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "stream broken while writing"));
      return;
    }
    ++delivered_;
    if (!lagged_ || attachment_ == nullptr) {
      WriteNextLocked();
      return;
    }
    attachment = attachment_.get();  // Reset only in OnDone, after us.
  }
  // Outside our lock: the snapshot takes the channel's lock, which is held
  // while updates are delivered to us.
  SharedUpdate snapshot = attachment->Snapshot(
      /*recovered=*/false,
      "this dashboard fell behind; caught up with a snapshot");
  absl::MutexLock lock(&mu_);
  lagged_ = false;
  ++snapshots_for_lag_;
  deps_.board->CountFellBehind();
  while (!queue_.empty() &&
         queue_.front()->sequence() <= snapshot->sequence()) {
    queue_.pop_front();
  }
  queue_.push_front(std::move(snapshot));
  WriteNextLocked();
}

void WatchLiveReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void WatchLiveReactor::RegisterForShutdown() {
  if (deps_.service.streams == nullptr) return;
  registration_ = deps_.service.streams->Register(method_, [this] {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "coachd is shutting down; reconnect to resume"));
  });
}

void WatchLiveReactor::WatchLifetime(const Identity& who) {
  if (deps_.service.lifetimes == nullptr) return;
  lifetime_ = deps_.service.lifetimes->Register(
      who, [this](const grpc::Status& status) {
        absl::MutexLock lock(&mu_);
        FinishLocked(status);
      });
}

void WatchLiveReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  final_status_ = status;
  queue_.clear();
  Finish(status);
}

void WatchLiveReactor::OnDone() {
  registration_.Reset();  // No shutdown close after this.
  lifetime_.Reset();      // No expiry or revocation close either.
  slot_.Reset();          // However it ended, its place is free.
  std::unique_ptr<BoardAttachment> attachment;
  grpc::Status status;
  std::string who;
  {
    absl::MutexLock lock(&mu_);
    attachment = std::move(attachment_);
    status = final_status_;
    who = absl::StrCat(who_.subject.empty() ? "-" : who_.subject,
                       " updates=", delivered_,
                       " lag_snapshots=", snapshots_for_lag_);
  }
  attachment.reset();  // Detach: no Deliver after this.
  absl::Status as_absl(static_cast<absl::StatusCode>(status.error_code()),
                       status.error_message());
  LogRpc(method_, who, as_absl, absl::Now() - start_);
  delete this;
}

}  // namespace coachd
