#include "services/session/subscribe_reactor.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"
#include "services/common/rpc_log.h"

namespace coachd {

namespace {

// Parses the raw request; false when it is not a SubscribeRequest.
bool ParseRequest(const grpc::ByteBuffer* raw,
                  coach::v1::SubscribeRequest* request) {
  if (raw == nullptr) return false;
  grpc::ByteBuffer copy(*raw);  // Deserialize consumes its buffer.
  return grpc::SerializationTraits<coach::v1::SubscribeRequest>::Deserialize(
             &copy, request)
      .ok();
}

}  // namespace

SubscribeReactor::SubscribeReactor(const SubscribeDeps& deps,
                                   grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request)
    : deps_(deps), start_(absl::Now()) {
  RegisterForShutdown();
  const bool parsed = ParseRequest(request, &request_);
  absl::StatusOr<Identity> who = deps_.service.auth->Authenticate(*context);
  absl::Status invalid;
  if (who.ok()) {
    who_ = *who;
    if (!parsed) {
      invalid = absl::InvalidArgumentError(
          "request: is not a serialized coach.v1.SubscribeRequest");
    } else if (request_.session_id().empty()) {
      invalid = absl::InvalidArgumentError("session_id: required");
    } else if (request_.kind() == coach::v1::DEVICE_KIND_UNSPECIFIED ||
               !coach::v1::DeviceKind_IsValid(request_.kind())) {
      invalid = absl::InvalidArgumentError(
          "kind: must be DEVICE_KIND_VOICE, DEVICE_KIND_DISPLAY or "
          "DEVICE_KIND_COACH");
    } else if (request_.kind() == coach::v1::DEVICE_KIND_COACH &&
               who_.role != Role::kCoach) {
      invalid = absl::InvalidArgumentError(
          "kind: DEVICE_KIND_COACH is for coach tokens");
    } else if (request_.has_resume() && request_.resume().last_sequence() < 0) {
      invalid = absl::InvalidArgumentError(
          "resume.last_sequence: must not be negative");
    } else if (request_.has_resume() && request_.resume().epoch().empty()) {
      invalid = absl::InvalidArgumentError(
          "resume.epoch: required with a resume position");
    }
  } else {
    invalid = who.status();
  }
  if (invalid.ok()) {
    absl::StatusOr<StreamSlot> slot =
        AcquireStreamSlot(deps_.service, "SessionService/Subscribe", who_);
    if (slot.ok()) {
      slot_ = *std::move(slot);
    } else {
      invalid = slot.status();
    }
  }
  if (invalid.ok()) WatchLifetime(who_);
  absl::MutexLock lock(&mu_);
  if (!invalid.ok()) {
    FinishLocked(ToGrpcStatus(invalid));
    return;
  }
  refs_.fetch_add(1);
  deps_.service.executor->Schedule([this] { Setup(); });
}

void SubscribeReactor::Setup() {
  absl::StatusOr<coach::internal::SessionRecord> record =
      deps_.runner->LoadReadable(who_, request_.session_id());
  // Registered before attaching, so no revocation can slip in between.
  absl::StatusOr<std::unique_ptr<AccessWatch>> revocation =
      std::unique_ptr<AccessWatch>();
  if (record.ok() && deps_.policy != nullptr) {
    revocation =
        deps_.policy->WatchRevocation(who_, *record, [this] { Revoke(); });
    if (!revocation.ok()) record = revocation.status();
  }
  absl::StatusOr<std::unique_ptr<HubAttachment>> attachment =
      record.ok()
          ? deps_.hub->Attach(
                *record, request_.has_resume() ? &request_.resume() : nullptr,
                this)
          : absl::StatusOr<std::unique_ptr<HubAttachment>>(record.status());
  std::unique_ptr<HubAttachment> unused;
  std::unique_ptr<AccessWatch> unused_watch;
  {
    absl::MutexLock lock(&mu_);
    if (!attachment.ok()) {
      FinishLocked(ToGrpcStatus(attachment.status()));
    } else if (finished_) {
      unused = *std::move(attachment);  // Cancelled meanwhile: detach.
    } else {
      attachment_ = *std::move(attachment);
    }
    // The backlog the attach queued (a replay from history, bounded by the
    // store's history) may exceed max_queue; the bound applies on top of it.
    attaching_ = false;
    backlog_ = static_cast<int64_t>(queue_.size());
    if (revocation.ok()) {
      if (finished_) {
        unused_watch = *std::move(revocation);
      } else {
        revocation_ = *std::move(revocation);
      }
    }
  }
  unused.reset();
  unused_watch.reset();  // Outside mu_: a running Revoke takes it.
  Unref();
}

void SubscribeReactor::Deliver(const StoredEvent& event) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (!attaching_ &&
      static_cast<int64_t>(queue_.size()) >= deps_.max_queue + backlog_) {
    // Too slow: drop what is queued; a snapshot replaces it.
    queue_.clear();
    backlog_ = 0;
    lagged_ = true;
    ++overflows_;
  }
  queue_.push_back({event, event.Wire()});
  if (deps_.service.queue_high_water != nullptr) {
    deps_.service.queue_high_water->Observe("SessionService/Subscribe",
                                            queue_.size());
  }
  if (writing_ == nullptr) WriteNextLocked();
}

void SubscribeReactor::WriteNextLocked() {
  if (finished_ || writing_ != nullptr || queue_.empty()) return;
  Queued next = queue_.pop_front();
  if (backlog_ > 0) --backlog_;
  writing_ = std::move(next.event);
  // The shared wire form, copied into one slice (no serialization here).
  grpc::Slice slice(next.wire->data(), next.wire->size());
  writing_bytes_ = grpc::ByteBuffer(&slice, 1);
  // More events queued behind this one (a tick's burst, a replay, a stream
  // catching up): gRPC may hold it and send it with the next ones, one
  // socket write for the burst instead of one per event. Its write still
  // completes at once (while under the transport's write buffer size), and
  // the last event queued goes without the hint, which sends them all.
  grpc::WriteOptions options;
  if (!queue_.empty()) options.set_buffer_hint();
  StartWrite(&writing_bytes_, options);
}

void SubscribeReactor::OnWriteDone(bool ok) {
  HubAttachment* attachment = nullptr;
  {
    absl::MutexLock lock(&mu_);
    writing_bytes_.Clear();  // An idle stream holds no event bytes.
    if (!ok) {
      writing_ = nullptr;
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "stream broken while writing"));
      return;
    }
    ++delivered_;
    const bool last = writing_.finishes();  // Known without parsing.
    writing_ = nullptr;
    if (last) {
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (!lagged_ || attachment_ == nullptr) {
      WriteNextLocked();
      return;
    }
    attachment = attachment_.get();  // Reset only in OnDone, after us.
  }
  // Outside our lock: the snapshot takes the channel's lock, which is held
  // while events are delivered to us. If the queue overflows again while
  // the snapshot is made, events after it were dropped: make another.
  for (;;) {
    int64_t overflows;
    {
      absl::MutexLock lock(&mu_);
      overflows = overflows_;
    }
    StoredEvent snapshot = attachment->Snapshot(
        /*recovered=*/false,
        "this device fell behind; caught up with a snapshot");
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (overflows_ != overflows) continue;
    lagged_ = false;
    ++snapshots_for_lag_;
    deps_.hub->CountSnapshot(SnapshotReason::kFellBehind);
    while (!queue_.empty() &&
           queue_.front().event.sequence() <= snapshot.sequence()) {
      queue_.pop_front();
    }
    std::shared_ptr<const std::string> wire = snapshot.Wire();
    queue_.push_front({std::move(snapshot), std::move(wire)});
    WriteNextLocked();
    return;
  }
}

void SubscribeReactor::Revoke() {
  absl::MutexLock lock(&mu_);
  FinishLocked(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                   absl::StrCat("session ", request_.session_id(),
                                ": access revoked (the coach was unlinked)")));
}

void SubscribeReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
}

void SubscribeReactor::RegisterForShutdown() {
  if (deps_.service.streams == nullptr) return;
  registration_ =
      deps_.service.streams->Register("SessionService/Subscribe", [this] {
        absl::MutexLock lock(&mu_);
        FinishLocked(
            grpc::Status(grpc::StatusCode::UNAVAILABLE,
                         "coachd is shutting down; reconnect to resume"));
      });
}

void SubscribeReactor::WatchLifetime(const Identity& who) {
  if (deps_.service.lifetimes == nullptr) return;
  lifetime_ = deps_.service.lifetimes->Register(
      who, [this](const grpc::Status& status) {
        absl::MutexLock lock(&mu_);
        FinishLocked(status);
      });
}

void SubscribeReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  final_status_ = status;
  queue_.clear();
  Finish(status);
}

void SubscribeReactor::OnDone() {
  registration_.Reset();  // No shutdown close after this.
  lifetime_.Reset();      // No expiry or revocation close either.
  slot_.Reset();          // However it ended, its place is free.
  std::unique_ptr<HubAttachment> attachment;
  std::unique_ptr<AccessWatch> revocation;
  grpc::Status status;
  std::string who;
  {
    absl::MutexLock lock(&mu_);
    attachment = std::move(attachment_);
    revocation = std::move(revocation_);
    status = final_status_;
    who = absl::StrCat(who_.subject.empty() ? "-" : who_.subject,
                       " kind=", coach::v1::DeviceKind_Name(request_.kind()),
                       " events=", delivered_,
                       " lag_snapshots=", snapshots_for_lag_);
  }
  attachment.reset();  // Detach: no Deliver after this.
  revocation.reset();  // No Revoke after this.
  absl::Status as_absl(static_cast<absl::StatusCode>(status.error_code()),
                       status.error_message());
  LogRpc("SessionService/Subscribe", who, as_absl, absl::Now() - start_);
  Unref();
}

void SubscribeReactor::Unref() {
  if (refs_.fetch_sub(1) == 1) delete this;
}

}  // namespace coachd
