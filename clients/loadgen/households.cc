#include "clients/loadgen/households.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/common/status_text.h"

namespace coachd {
namespace loadgen {
namespace {

using coach::v1::SessionEvent;

constexpr absl::Duration kRpcDeadline = absl::Seconds(30);
constexpr int kByteSampleEvery = 64;  // ByteSizeLong of one event in 64.

int64_t MicrosOf(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

// One unary call's state, deleted by its callback.
template <typename Request, typename Response>
struct UnaryOp {
  grpc::ClientContext context;
  Request request;
  Response response;
};

}  // namespace

void AddBearer(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(absl::ToChronoTime(absl::Now() + kRpcDeadline));
}

Load::Window* Load::NewWindow() {
  absl::MutexLock lock(&mu_);
  windows_.push_back(std::make_unique<Window>());
  window.store(windows_.back().get());
  return windows_.back().get();
}

void Load::NoteError(absl::string_view what, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  if (first_error_.empty()) {
    first_error_ = absl::StrCat(what, ": ", StatusText(status));
  }
}

std::string Load::first_error() {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void Load::NoteGap(std::string what) {
  absl::MutexLock lock(&mu_);
  if (first_gap_.empty()) first_gap_ = std::move(what);
}

std::string Load::first_gap() {
  absl::MutexLock lock(&mu_);
  return first_gap_;
}

void Load::OpStarted() {
  absl::MutexLock lock(&mu_);
  ++pending_ops_;
}

void Load::OpDone() {
  absl::MutexLock lock(&mu_);
  --pending_ops_;
}

bool Load::WaitForOps(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_ops_ == 0;
  };
  return mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

// One Subscribe call. Reference counted: gRPC's reference is dropped in
// OnDone (after telling the device), and a device takes one while it calls
// into the call outside its lock. Never call into gRPC with a lock held: a
// callback may run inline at the end of the outermost gRPC call.
class SubscribeCall : public grpc::ClientReadReactor<SessionEvent> {
 public:
  SubscribeCall(Device* device, const std::string& token,
                coach::v1::SubscribeRequest request, bool stall)
      : device_(device), request_(std::move(request)), stall_(stall) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }

  // Starts the call (the caller holds a reference).
  void Start(Stub* stub) {
    stub->async()->Subscribe(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // Cancels the call; OnDone follows.
  void Cancel() { context_.TryCancel(); }

  // Reads again after a stall.
  void Unstall() {
    {
      absl::MutexLock lock(&mu_);
      stall_ = false;
      if (!parked_) return;
      parked_ = false;
    }
    StartRead(&event_);
  }

  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

 private:
  Device* const device_;
  std::atomic<int> refs_{1};
  grpc::ClientContext context_;
  const coach::v1::SubscribeRequest request_;
  SessionEvent event_;
  absl::Mutex mu_;
  bool stall_ ABSL_GUARDED_BY(mu_);
  bool parked_ ABSL_GUARDED_BY(mu_) = false;
};

Device::Device(Load* load, Household* household, int slot,
               coach::v1::DeviceKind kind, Stub* stub, bool stalled)
    : load_(load),
      household_(household),
      slot_(slot),
      kind_(kind),
      stub_(stub),
      stalled_(stalled),
      tracker_(/*lost_snapshots_expected=*/stalled) {}

void Device::Open(const std::string& token, const std::string& session_id,
                  const std::string& epoch, int64_t last_sequence) {
  SubscribeCall* call = nullptr;
  {
    absl::MutexLock lock(&mu_);
    token_ = token;
    session_id_ = session_id;
    tracker_.Reset(epoch, last_sequence);
    finished_seen_ = false;
    call = NewCallLocked();
  }
  call->Start(stub_);
  call->Unref();
}

bool Device::Drop() {
  SubscribeCall* call = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (call_ == nullptr || finished_seen_) return false;
    dropping_ = true;
    call = call_;
    call->Ref();
  }
  call->Cancel();
  call->Unref();
  return true;
}

bool Device::Resume() {
  SubscribeCall* call = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (call_ != nullptr || finished_seen_ || session_id_.empty()) {
      return false;
    }
    resuming_ = true;
    call = NewCallLocked();
  }
  call->Start(stub_);
  call->Unref();
  return true;
}

void Device::Cancel() {
  if (SubscribeCall* call = Current()) {
    call->Cancel();
    call->Unref();
  }
}

void Device::Unstall() {
  if (SubscribeCall* call = Current()) {
    call->Unstall();
    call->Unref();
  }
}

// A new call from the tracker's position, with a reference for the
// caller (who starts it outside the lock).
SubscribeCall* Device::NewCallLocked() {
  coach::v1::SubscribeRequest request;
  request.set_session_id(session_id_);
  request.set_kind(kind_);
  request.mutable_resume()->set_epoch(tracker_.epoch());
  request.mutable_resume()->set_last_sequence(tracker_.last_sequence());
  got_event_ = false;
  opened_us_ = absl::ToUnixMicros(absl::Now());
  load_->c.live_calls.fetch_add(1, std::memory_order_relaxed);
  load_->c.awaiting_first.fetch_add(1, std::memory_order_relaxed);
  call_ = new SubscribeCall(this, token_, std::move(request), stalled_);
  call_->Ref();
  return call_;
}

// The current call with a reference taken, or null.
SubscribeCall* Device::Current() {
  absl::MutexLock lock(&mu_);
  if (call_ != nullptr) call_->Ref();
  return call_;
}

Household::Household(Load* load, int index, Stub* stub, std::string token)
    : load_(load), index_(index), stub_(stub), token_(std::move(token)) {
  devices_.push_back(std::make_unique<Device>(
      load, this, 0, coach::v1::DEVICE_KIND_VOICE, stub, false));
  devices_.push_back(std::make_unique<Device>(
      load, this, 1, coach::v1::DEVICE_KIND_DISPLAY, stub, false));
}

int Household::AddCoach() {
  coaches_.push_back(std::make_unique<Device>(
      load_, this, -1, coach::v1::DEVICE_KIND_COACH, stub_, false));
  absl::MutexLock lock(&mu_);
  coach_tokens_.emplace_back();
  return static_cast<int>(coaches_.size()) - 1;
}

void Household::Begin(std::function<void()> ready) {
  StartSession([this, ready](bool ok) {
    if (ok) {
      Attach(ready);
    } else if (ready) {
      ready();
    }
  });
}

void Household::StartPaused(std::function<void()> done) {
  StartSession([this, done](bool ok) {
    if (!ok) {
      done();
      return;
    }
    Pause(done);
  });
}

void Household::Attach(std::function<void()> ready) {
  auto* op = new UnaryOp<coach::v1::GetSessionRequest, coach::v1::SessionView>;
  AddBearer(&op->context, token_);
  std::string session_id;
  {
    absl::MutexLock lock(&mu_);
    session_id = session_id_;
  }
  op->request.set_session_id(session_id);
  load_->OpStarted();
  stub_->async()->GetSession(&op->context, &op->request, &op->response,
                             [this, op, ready](grpc::Status status) {
                               if (status.ok()) {
                                 OpenDevices(op->response.epoch(),
                                             op->response.last_sequence());
                               } else {
                                 Failed("GetSession", status);
                               }
                               delete op;
                               if (ready) ready();
                               load_->OpDone();
                             });
}

void Household::EnableCoach(int coach, std::string token) {
  std::string session_id;
  std::string epoch;
  {
    absl::MutexLock lock(&mu_);
    coach_tokens_[coach] = token;
    if (open_devices_ == 0 || epoch_.empty()) return;
    ++open_devices_;
    session_id = session_id_;
    epoch = epoch_;
  }
  coaches_[coach]->Open(token, session_id, epoch, 0);
}

void Household::DeviceEnded(bool finished) {
  bool next = false;
  {
    absl::MutexLock lock(&mu_);
    if (finished) session_finished_ = true;
    if (--open_devices_ > 0) return;
    if (session_finished_) {
      load_->c.sessions_finished.fetch_add(1, std::memory_order_relaxed);
    }
    next = load_->running.load() && load_->restart.load();
  }
  if (next) Begin(nullptr);
}

void Household::DeviceAttached(int slot) {
  {
    absl::MutexLock lock(&mu_);
    if (!live() || live_start_.Attached(slot) != LiveStart::Step::kResume) {
      return;
    }
  }
  Resume();
}

void Household::DeviceNotAttached(int slot) {
  absl::MutexLock lock(&mu_);
  if (live()) live_start_.Failed(slot);
}

void Household::NotePublished(int64_t sequence) {
  int64_t seen = max_sequence_.load(std::memory_order_relaxed);
  while (sequence > seen) {
    if (max_sequence_.compare_exchange_weak(seen, sequence,
                                            std::memory_order_relaxed)) {
      load_->c.published.fetch_add(sequence - seen, std::memory_order_relaxed);
      return;
    }
  }
}

void Household::Repeat(int64_t n) {
  auto* op = new UnaryOp<coach::v1::SendCommandRequest,
                         coach::v1::SendCommandResponse>;
  AddBearer(&op->context, token_);
  {
    absl::MutexLock lock(&mu_);
    op->request.set_session_id(session_id_);
  }
  op->request.set_command_id(absl::StrCat("lg-repeat-", index_, "-", n, "-",
                                          absl::ToUnixNanos(absl::Now())));
  op->request.set_command(coach::v1::COMMAND_TYPE_REPEAT);
  load_->OpStarted();
  load_->c.repeats_sent.fetch_add(1, std::memory_order_relaxed);
  stub_->async()->SendCommand(
      &op->context, &op->request, &op->response,
      [this, op](grpc::Status status) {
        if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
          load_->c.repeats_rejected.fetch_add(1, std::memory_order_relaxed);
        } else if (!status.ok()) {
          Failed("SendCommand REPEAT", status);
        }
        delete op;
        load_->c.repeats_answered.fetch_add(1);
        load_->OpDone();
      });
}

std::pair<std::string, std::string> Household::Session() {
  absl::MutexLock lock(&mu_);
  return {session_id_, epoch_};
}

std::vector<Device*> Household::devices() {
  std::vector<Device*> all;
  for (auto& d : devices_) all.push_back(d.get());
  for (auto& d : coaches_) all.push_back(d.get());
  return all;
}

void Household::Failed(absl::string_view what, const grpc::Status& status) {
  load_->c.rpc_errors.fetch_add(1, std::memory_order_relaxed);
  load_->NoteError(absl::StrCat("hh-", index_, " ", what), status);
}

void Household::StartSession(std::function<void(bool)> then) {
  auto* op =
      new UnaryOp<coach::v1::StartSessionRequest, coach::v1::SessionView>;
  AddBearer(&op->context, token_);
  op->request.set_routine_id(load_->config.preset);
  op->request.set_paused(live());
  load_->OpStarted();
  stub_->async()->StartSession(&op->context, &op->request, &op->response,
                               [this, op, then](grpc::Status status) {
                                 if (status.ok()) {
                                   absl::MutexLock lock(&mu_);
                                   session_id_ = op->response.session_id();
                                   epoch_.clear();
                                   session_finished_ = false;
                                   max_sequence_.store(0);
                                   load_->c.sessions_started.fetch_add(
                                       1, std::memory_order_relaxed);
                                 } else {
                                   Failed("StartSession", status);
                                 }
                                 delete op;
                                 then(status.ok());
                                 load_->OpDone();
                               });
}

// PAUSE or RESUME (`name` in the command id and errors) to the current
// session; then `then`, if set, whether it worked or not.
void Household::SendCommand(coach::v1::CommandType type, absl::string_view name,
                            std::function<void()> then) {
  auto* op = new UnaryOp<coach::v1::SendCommandRequest,
                         coach::v1::SendCommandResponse>;
  AddBearer(&op->context, token_);
  {
    absl::MutexLock lock(&mu_);
    op->request.set_session_id(session_id_);
  }
  op->request.set_command_id(
      absl::StrCat("lg-", name, "-", index_, "-", commands_.fetch_add(1)));
  op->request.set_command(type);
  load_->OpStarted();
  stub_->async()->SendCommand(&op->context, &op->request, &op->response,
                              [this, op, name, then](grpc::Status status) {
                                if (!status.ok())
                                  Failed(absl::StrCat("SendCommand ", name),
                                         status);
                                delete op;
                                if (then) then();
                                load_->OpDone();
                              });
}

void Household::Pause(std::function<void()> then) {
  SendCommand(coach::v1::COMMAND_TYPE_PAUSE, "pause", std::move(then));
}

// live: RESUME, once every device is attached.
void Household::Resume() {
  SendCommand(coach::v1::COMMAND_TYPE_RESUME, "resume", nullptr);
}

// Opens every device from the start, or (live) from the paused session's
// last event, the pause, so that each call's first response comes at once.
void Household::OpenDevices(const std::string& epoch, int64_t last_sequence) {
  const int64_t from = live() ? std::max<int64_t>(0, last_sequence - 1) : 0;
  std::vector<std::pair<Device*, std::string>> open;  // With their tokens.
  std::string session_id;
  {
    absl::MutexLock lock(&mu_);
    epoch_ = epoch;
    live_start_.Begin(static_cast<int>(devices_.size()));
    session_id = session_id_;
    for (auto& d : devices_) open.emplace_back(d.get(), token_);
    for (size_t i = 0; i < coaches_.size(); ++i) {
      if (!coach_tokens_[i].empty()) {
        open.emplace_back(coaches_[i].get(), coach_tokens_[i]);
      }
    }
    open_devices_ += static_cast<int>(open.size());
  }
  for (auto& [device, token] : open) {
    device->Open(token, session_id, epoch, from);
  }
}

void SubscribeCall::OnReadDone(bool ok) {
  if (!ok) return;  // The call is over; OnDone follows.
  if (device_->OnEvent(event_)) device_->Attached();
  {
    absl::MutexLock lock(&mu_);
    if (stall_) {
      parked_ = true;  // The stalled subscriber: read nothing more.
      return;
    }
  }
  StartRead(&event_);
}

void SubscribeCall::OnDone(const grpc::Status& status) {
  device_->OnCallDone(this, status);
  Unref();
}

bool Device::OnEvent(const SessionEvent& event) {
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  EventKind kind = EventKind::kEvent;
  if (event.has_snapshot()) {
    kind = event.snapshot().recovered() ? EventKind::kSnapshotRecovered
                                        : EventKind::kSnapshotLost;
  }
  Counters& c = load_->c;
  absl::MutexLock lock(&mu_);
  const bool first = !got_event_;
  if (!got_event_) {
    got_event_ = true;
    c.connected.fetch_add(1, std::memory_order_relaxed);
    c.awaiting_first.fetch_sub(1, std::memory_order_relaxed);
    if (resuming_) {
      resuming_ = false;
      load_->resume_delay.Record(now_us - load_->storm_start_us.load());
      c.resumed.fetch_add(1, std::memory_order_relaxed);
      int64_t last = c.last_resume_us.load(std::memory_order_relaxed);
      while (now_us > last && !c.last_resume_us.compare_exchange_weak(
                                  last, now_us, std::memory_order_relaxed)) {
      }
    }
  }
  const int64_t gaps = tracker_.gaps();
  const int64_t missing = tracker_.missing();
  const int64_t before = tracker_.last_sequence();
  const Verdict verdict =
      tracker_.Observe(event.epoch(), event.sequence(), kind);
  if (tracker_.gaps() != gaps) {
    if (kind == EventKind::kEvent) {
      c.silent_gaps.fetch_add(1, std::memory_order_relaxed);
    }
    load_->NoteGap(absl::StrCat(
        coach::v1::DeviceKind_Name(kind_), stalled_ ? " (stalled)" : "",
        " of session ", session_id_, ": after ", before, " came ",
        event.has_snapshot()
            ? absl::StrCat("a snapshot (recovered=false, \"",
                           event.snapshot().reason(), "\") at ")
            : "",
        event.sequence()));
    c.gaps.fetch_add(tracker_.gaps() - gaps, std::memory_order_relaxed);
    c.missing.fetch_add(tracker_.missing() - missing,
                        std::memory_order_relaxed);
  }
  if (verdict == Verdict::kNew) {
    c.delivered.fetch_add(1, std::memory_order_relaxed);
    if (household_ != nullptr) household_->NotePublished(event.sequence());
    if (!stalled_) {
      const int64_t made_us = MicrosOf(event.server_time());
      Load::Window* window = load_->window.load();
      window->all.Record(now_us - made_us);
      if (made_us >= opened_us_) window->live.Record(now_us - made_us);
    }
    if (++seen_ % kByteSampleEvery == 1) {
      c.bytes_sum.fetch_add(static_cast<int64_t>(event.ByteSizeLong()),
                            std::memory_order_relaxed);
      c.bytes_samples.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (verdict == Verdict::kDuplicate) {
    c.duplicates.fetch_add(1, std::memory_order_relaxed);
  }
  if (event.status().run_state() == coach::v1::RUN_STATE_FINISHED) {
    finished_seen_ = true;
  }
  return first;
}

void Device::Attached() {
  if (household_ != nullptr && slot_ >= 0) household_->DeviceAttached(slot_);
}

void Device::OnCallDone(SubscribeCall* call, const grpc::Status& status) {
  bool ended = false;
  bool finished = false;
  bool never_attached = false;
  {
    absl::MutexLock lock(&mu_);
    if (call_ == call) call_ = nullptr;
    if (!got_event_) {
      load_->c.awaiting_first.fetch_sub(1, std::memory_order_relaxed);
      got_event_ = true;
      never_attached = true;
    }
    if (dropping_) {
      dropping_ = false;  // storm: Resume opens the next call.
    } else {
      ended = true;
      finished = status.ok() && finished_seen_;
      const bool stopping = !load_->running.load() &&
                            status.error_code() == grpc::StatusCode::CANCELLED;
      if (!finished && !stopping) {
        load_->c.stream_errors.fetch_add(1, std::memory_order_relaxed);
        load_->NoteError(
            absl::StrCat("Subscribe ", coach::v1::DeviceKind_Name(kind_)),
            status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN,
                                       "ended OK before the session finished")
                        : status);
      }
    }
  }
  if (never_attached && household_ != nullptr && slot_ >= 0) {
    household_->DeviceNotAttached(slot_);
  }
  if (ended && household_ != nullptr) household_->DeviceEnded(finished);
  // Last: once no call is live the driver may destroy this device and its
  // household (it waits for live_calls to reach 0), so nothing of either is
  // touched after the decrement, which releases what came before it.
  load_->c.live_calls.fetch_sub(1, std::memory_order_release);
}

}  // namespace loadgen
}  // namespace coachd
