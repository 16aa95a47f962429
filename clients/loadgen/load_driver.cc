#include "clients/loadgen/load_driver.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/common/status_text.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/live_start.h"
#include "clients/loadgen/proc_stats.h"
#include "clients/loadgen/redis_stats.h"
#include "clients/loadgen/sequence_tracker.h"
#include "clients/loadgen/target_check.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"

namespace coachd {
namespace {

// The credentials of the run's channels: the config's, or plaintext.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const LoadConfig& c) {
  return c.credentials != nullptr ? c.credentials
                                  : grpc::InsecureChannelCredentials();
}

using coach::v1::SessionEvent;
using Stub = coach::v1::SessionService::Stub;

constexpr absl::Duration kRpcDeadline = absl::Seconds(30);
constexpr absl::Duration kStopTimeout = absl::Seconds(20);
constexpr int kByteSampleEvery = 64;  // ByteSizeLong of one event in 64.

int64_t MicrosOf(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

void AddBearer(grpc::ClientContext* context, const std::string& token) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(absl::ToChronoTime(absl::Now() + kRpcDeadline));
}

// Shared counters; relaxed atomics bumped from gRPC callback threads.
struct Counters {
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> gaps{0};
  std::atomic<int64_t> silent_gaps{0};  // Jumps with no snapshot saying so.
  std::atomic<int64_t> missing{0};
  std::atomic<int64_t> stream_errors{0};
  std::atomic<int64_t> rpc_errors{0};
  std::atomic<int64_t> sessions_started{0};
  std::atomic<int64_t> sessions_finished{0};
  std::atomic<int64_t> bytes_sum{0};
  std::atomic<int64_t> bytes_samples{0};
  std::atomic<int64_t> connected{0};  // Calls that got their first event.
  std::atomic<int64_t> live_calls{0};
  std::atomic<int64_t> awaiting_first{0};  // Live calls with no event yet.
  std::atomic<int64_t> resumed{0};
  std::atomic<int64_t> last_resume_us{0};
  std::atomic<int64_t> repeats_sent{0};
  std::atomic<int64_t> repeats_rejected{0};
  std::atomic<int64_t> repeats_answered{0};
};

// A counting gate: at most `n` holders at once.
class Gate {
 public:
  explicit Gate(int n) : free_(n) {}
  // Blocks until a place is free or `deadline`; false on timeout.
  bool Acquire(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto has_room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return free_ > 0;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&has_room), deadline)) {
      return false;
    }
    --free_;
    return true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++free_;
  }

 private:
  absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
};

class Household;
class Device;

// Everything a run shares. Owned by RunLoad; outlives every call.
class Load {
 public:
  explicit Load(const LoadConfig& config) : config(config) {}

  const LoadConfig config;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<Stub>> stubs;
  Counters c;
  // One measured window's latencies, swapped as one: an event is timed in
  // both histograms of a window or in neither.
  struct Window {
    LatencyHistogram all;
    // Of those, the events made after their subscriber opened its call:
    // what a live device waits for. The rest is history it asked to replay
    // (all of a session's events made before the devices attached), whose
    // age is not a delivery delay. The baseline makes every event after the
    // call opens, so for it both are the same.
    LatencyHistogram live;
  };
  std::atomic<Window*> window{nullptr};
  LatencyHistogram resume_delay;    // storm: resume to first event, in us.
  std::atomic<bool> running{true};  // False once stopping.
  std::atomic<bool> restart{true};  // Households start a new session.
  std::atomic<int64_t> storm_start_us{0};

  // The histograms of a new window; the old ones stay alive to the end.
  Window* NewWindow() {
    absl::MutexLock lock(&mu_);
    windows_.push_back(std::make_unique<Window>());
    window.store(windows_.back().get());
    return windows_.back().get();
  }

  void NoteError(absl::string_view what, const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (first_error_.empty()) {
      first_error_ = absl::StrCat(what, ": ", StatusText(status));
    }
  }
  std::string first_error() {
    absl::MutexLock lock(&mu_);
    return first_error_;
  }

  void NoteGap(std::string what) {
    absl::MutexLock lock(&mu_);
    if (first_gap_.empty()) first_gap_ = std::move(what);
  }
  std::string first_gap() {
    absl::MutexLock lock(&mu_);
    return first_gap_;
  }

  // Unary calls in flight: the run waits for none before it ends.
  void OpStarted() {
    absl::MutexLock lock(&mu_);
    ++pending_ops_;
  }
  void OpDone() {
    absl::MutexLock lock(&mu_);
    --pending_ops_;
  }
  bool WaitForOps(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return pending_ops_ == 0;
    };
    return mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Window>> windows_ ABSL_GUARDED_BY(mu_);
  std::string first_error_ ABSL_GUARDED_BY(mu_);
  std::string first_gap_ ABSL_GUARDED_BY(mu_);
  int64_t pending_ops_ ABSL_GUARDED_BY(mu_) = 0;
};

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

// A subscriber: a speaker, a display, a coach, or the stalled one. Keeps its
// position across calls (storm) and checks every event against it.
class Device {
 public:
  // `slot`: the household's speaker (0) or display (1); -1 for the others.
  Device(Load* load, Household* household, int slot, coach::v1::DeviceKind kind,
         Stub* stub, bool stalled)
      : load_(load),
        household_(household),
        slot_(slot),
        kind_(kind),
        stub_(stub),
        stalled_(stalled),
        tracker_(/*lost_snapshots_expected=*/stalled) {}

  // Opens a call on `session_id` replaying everything after `last_sequence`.
  void Open(const std::string& token, const std::string& session_id,
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

  // storm: cancels the call without counting it as an error. True when there
  // was one to drop.
  bool Drop() {
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

  // storm: opens a call from where the last one left off. True when opened.
  bool Resume() {
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

  // Cancels the call at the end of the run.
  void Cancel() {
    if (SubscribeCall* call = Current()) {
      call->Cancel();
      call->Unref();
    }
  }

  // stalled: reads again.
  void Unstall() {
    if (SubscribeCall* call = Current()) {
      call->Unstall();
      call->Unref();
    }
  }

  // Checks and counts `event`; true when it is the call's first response.
  bool OnEvent(const SessionEvent& event);
  // The call had its first response (outside every lock): tells the
  // household (live mode resumes the session once all are attached).
  void Attached();
  void OnCallDone(SubscribeCall* call, const grpc::Status& status);

  // Totals, once no call is left.
  const SequenceTracker& tracker() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return tracker_;
  }

 private:
  // A new call from the tracker's position, with a reference for the
  // caller (who starts it outside the lock).
  SubscribeCall* NewCallLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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
  SubscribeCall* Current() {
    absl::MutexLock lock(&mu_);
    if (call_ != nullptr) call_->Ref();
    return call_;
  }

  Load* const load_;
  Household* const household_;
  const int slot_;
  const coach::v1::DeviceKind kind_;
  Stub* const stub_;
  const bool stalled_;
  absl::Mutex mu_;
  SubscribeCall* call_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string token_ ABSL_GUARDED_BY(mu_);
  std::string session_id_ ABSL_GUARDED_BY(mu_);
  SequenceTracker tracker_ ABSL_GUARDED_BY(mu_);
  bool got_event_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_seen_ ABSL_GUARDED_BY(mu_) = false;
  bool dropping_ ABSL_GUARDED_BY(mu_) = false;
  bool resuming_ ABSL_GUARDED_BY(mu_) = false;
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
  // When the current call was opened (Unix us): events made before it
  // are replayed history (Load::Window::live).
  int64_t opened_us_ ABSL_GUARDED_BY(mu_) = 0;
};

// A home: a session at a time, a speaker and a display, maybe coaches.
class Household {
 public:
  Household(Load* load, int index, Stub* stub, std::string token)
      : load_(load), index_(index), stub_(stub), token_(std::move(token)) {
    devices_.push_back(std::make_unique<Device>(
        load, this, 0, coach::v1::DEVICE_KIND_VOICE, stub, false));
    devices_.push_back(std::make_unique<Device>(
        load, this, 1, coach::v1::DEVICE_KIND_DISPLAY, stub, false));
  }

  // Adds a coach subscriber (before the run, disabled until EnableCoach).
  int AddCoach() {
    coaches_.push_back(std::make_unique<Device>(
        load_, this, -1, coach::v1::DEVICE_KIND_COACH, stub_, false));
    absl::MutexLock lock(&mu_);
    coach_tokens_.emplace_back();
    return static_cast<int>(coaches_.size()) - 1;
  }

  // Starts a session, learns its epoch and opens the devices; `ready` (if
  // set) runs once, whether that worked or not.
  void Begin(std::function<void()> ready) {
    StartSession([this, ready](bool ok) {
      if (ok) {
        Attach(ready);
      } else if (ready) {
        ready();
      }
    });
  }

  // idle, first phase: a session, paused, and no device yet.
  void StartPaused(std::function<void()> done) {
    StartSession([this, done](bool ok) {
      if (!ok) {
        done();
        return;
      }
      Pause(done);
    });
  }

  // GetSession for the epoch, then every device from the first event (live
  // mode: from the pause, the paused session's last event).
  void Attach(std::function<void()> ready) {
    auto* op =
        new UnaryOp<coach::v1::GetSessionRequest, coach::v1::SessionView>;
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

  // A coach starts following this household's sessions (now, if one runs).
  void EnableCoach(int coach, std::string token) {
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

  // A device's stream ended (finished or failed). When all have, the session
  // is over and, while the run lasts, another starts.
  void DeviceEnded(bool finished) {
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

  // live: device `slot` had its first response; the last one to attach
  // resumes the session.
  void DeviceAttached(int slot) {
    {
      absl::MutexLock lock(&mu_);
      if (!live() || live_start_.Attached(slot) != LiveStart::Step::kResume) {
        return;
      }
    }
    Resume();
  }

  // live: device `slot`'s call ended with no response; no RESUME follows.
  void DeviceNotAttached(int slot) {
    absl::MutexLock lock(&mu_);
    if (live()) live_start_.Failed(slot);
  }

  // A subscriber saw `sequence` for the first time: counts it as published
  // once per household.
  void NotePublished(int64_t sequence) {
    int64_t seen = max_sequence_.load(std::memory_order_relaxed);
    while (sequence > seen) {
      if (max_sequence_.compare_exchange_weak(seen, sequence,
                                              std::memory_order_relaxed)) {
        load_->c.published.fetch_add(sequence - seen,
                                     std::memory_order_relaxed);
        return;
      }
    }
  }

  // Sends REPEAT number `n` to the current session (counted in
  // repeats_answered once answered).
  void Repeat(int64_t n) {
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

  // The current session and epoch.
  std::pair<std::string, std::string> Session() {
    absl::MutexLock lock(&mu_);
    return {session_id_, epoch_};
  }

  const std::string& token() const { return token_; }
  int index() const { return index_; }
  std::vector<Device*> devices() {
    std::vector<Device*> all;
    for (auto& d : devices_) all.push_back(d.get());
    for (auto& d : coaches_) all.push_back(d.get());
    return all;
  }

 private:
  template <typename Request, typename Response>
  struct UnaryOp {
    grpc::ClientContext context;
    Request request;
    Response response;
  };

  bool live() const { return load_->config.mode == LoadMode::kLive; }

  void Failed(absl::string_view what, const grpc::Status& status) {
    load_->c.rpc_errors.fetch_add(1, std::memory_order_relaxed);
    load_->NoteError(absl::StrCat("hh-", index_, " ", what), status);
  }

  void StartSession(std::function<void(bool)> then) {
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
  void SendCommand(coach::v1::CommandType type, absl::string_view name,
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

  void Pause(std::function<void()> then) {
    SendCommand(coach::v1::COMMAND_TYPE_PAUSE, "pause", std::move(then));
  }

  // live: RESUME, once every device is attached.
  void Resume() {
    SendCommand(coach::v1::COMMAND_TYPE_RESUME, "resume", nullptr);
  }

  // Opens every device from the start, or (live) from the paused session's
  // last event, the pause, so that each call's first response comes at once.
  void OpenDevices(const std::string& epoch, int64_t last_sequence) {
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

  Load* const load_;
  const int index_;
  Stub* const stub_;
  const std::string token_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<std::unique_ptr<Device>> coaches_;
  std::atomic<int64_t> max_sequence_{0};
  std::atomic<int64_t> commands_{0};  // PAUSE and RESUME sent.
  absl::Mutex mu_;
  std::vector<std::string> coach_tokens_ ABSL_GUARDED_BY(mu_);
  std::string session_id_ ABSL_GUARDED_BY(mu_);
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  int open_devices_ ABSL_GUARDED_BY(mu_) = 0;
  bool session_finished_ ABSL_GUARDED_BY(mu_) = false;
  LiveStart live_start_ ABSL_GUARDED_BY(mu_);  // live mode only.
};

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
  load_->c.live_calls.fetch_sub(1, std::memory_order_relaxed);
  if (never_attached && household_ != nullptr && slot_ >= 0) {
    household_->DeviceNotAttached(slot_);
  }
  if (ended && household_ != nullptr) household_->DeviceEnded(finished);
}

// What the counters, the server and Redis said at one moment.
struct Sample {
  absl::Time at;
  int64_t delivered = 0;
  int64_t published = 0;
  double loadgen_cpu_s = 0;
  bool have_server = false;
  ProcessStats server;
  bool have_redis = false;
  RedisCommandCounts redis;
  double redis_cpu_s = -1;
};

Sample TakeSample(Load& load) {
  Sample s;
  s.at = absl::Now();
  s.delivered = load.c.delivered.load();
  s.published = load.c.published.load();
  if (absl::StatusOr<ProcessStats> self = ReadProcessStats(0); self.ok()) {
    s.loadgen_cpu_s = self->cpu_seconds;
  }
  if (load.config.server_pid > 0) {
    absl::StatusOr<ProcessStats> server =
        ReadProcessStats(load.config.server_pid);
    if (server.ok()) {
      s.have_server = true;
      s.server = *server;
    }
  }
  if (load.config.redis_pid > 0) {
    absl::StatusOr<ProcessStats> redis =
        ReadProcessStats(load.config.redis_pid);
    if (redis.ok()) s.redis_cpu_s = redis->cpu_seconds;
  }
  if (load.config.redis_port > 0) {
    absl::StatusOr<RedisCommandCounts> redis = ReadRedisCommandCounts(
        load.config.redis_port, absl::Seconds(2), load.config.redis_user,
        load.config.redis_password);
    if (redis.ok()) {
      s.have_redis = true;
      s.redis = *std::move(redis);
    }
  }
  return s;
}

// Fills the report's window figures from two samples.
void ReportWindow(const Sample& a, const Sample& b,
                  const LatencyHistogram& latency, LoadReport* r) {
  r->window_s = absl::ToDoubleSeconds(b.at - a.at);
  r->delivered = b.delivered - a.delivered;
  r->published = b.published - a.published;
  r->events_per_s = r->window_s > 0 ? r->delivered / r->window_s : 0;
  r->latency_samples = latency.Count();
  r->latency_p50_us = latency.Percentile(0.50);
  r->latency_p99_us = latency.Percentile(0.99);
  r->latency_p999_us = latency.Percentile(0.999);
  r->latency_max_us = latency.Max();
  r->loadgen_cpu_s = b.loadgen_cpu_s - a.loadgen_cpu_s;
  if (a.have_server && b.have_server) {
    r->server_cpu_s = b.server.cpu_seconds - a.server.cpu_seconds;
    r->server_rss_kb = b.server.rss_kb;
    if (r->delivered > 0) {
      r->server_cpu_per_kevent_ms = r->server_cpu_s * 1e6 / r->delivered;
    }
  }
  if (a.redis_cpu_s >= 0 && b.redis_cpu_s >= 0) {
    r->redis_cpu_s = b.redis_cpu_s - a.redis_cpu_s;
  }
  if (a.have_redis && b.have_redis) {
    const RedisCommandCounts diff = Difference(b.redis, a.redis);
    r->redis_commands = diff.total;
    if (r->published > 0) {
      r->redis_per_published = static_cast<double>(diff.total) / r->published;
    }
    if (r->delivered > 0) {
      r->redis_per_delivered = static_cast<double>(diff.total) / r->delivered;
    }
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [name, calls] : diff.calls) {
      if (name != "info") top.emplace_back(calls, name);
    }
    std::sort(top.rbegin(), top.rend());
    std::vector<std::string> parts;
    for (size_t i = 0; i < top.size() && i < 6; ++i) {
      parts.push_back(absl::StrFormat(
          "%s=%.2f", top[i].second,
          r->published > 0 ? static_cast<double>(top[i].first) / r->published
                           : 0.0));
    }
    r->redis_top = absl::StrJoin(parts, ",");
  }
}

// Sleeps until `until` unless the run fails meanwhile (nothing to wake it
// early: the durations are the run's plan).
void SleepUntil(absl::Time until) {
  const absl::Duration left = until - absl::Now();
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
}

// Polls `done` every 20 ms until it holds or `deadline`; false on timeout.
bool WaitFor(const std::function<bool()>& done, absl::Time deadline) {
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// The whole run.
class Runner {
 public:
  explicit Runner(const LoadConfig& config) : load_(config) {}

  absl::StatusOr<LoadReport> Run();

 private:
  absl::Status Connect();
  void MakeHouseholds();
  // Runs `step` for every household with at most setup_inflight at once;
  // `step` must call its callback exactly once.
  bool ForEachHousehold(
      const std::function<void(Household*, std::function<void()>)>& step);
  void LinkCoaches(LoadReport* report);
  void Stop();
  void Totals(LoadReport* report);

  void RunSaturation(LoadReport* report);
  void RunIdle(LoadReport* report);
  void RunStorm(LoadReport* report);
  void RunStalled(LoadReport* report);

  Load load_;
  std::vector<std::unique_ptr<Household>> households_;
  std::unique_ptr<Device> stalled_;
  std::shared_ptr<grpc::Channel> stalled_channel_;
  std::unique_ptr<Stub> stalled_stub_;
  absl::Time start_;
};

absl::Status Runner::Connect() {
  const LoadConfig& config = load_.config;
  for (int i = 0; i < config.channels; ++i) {
    grpc::ChannelArguments args;
    // Separate connections, not one shared by the global subchannel pool.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("coachd.loadgen.channel", i);
    load_.channels.push_back(
        grpc::CreateCustomChannel(config.target, Credentials(config), args));
    load_.stubs.push_back(
        coach::v1::SessionService::NewStub(load_.channels.back()));
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (auto& channel : load_.channels) {
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(
          absl::StrCat("--target: cannot connect to ", config.target));
    }
  }
  return absl::OkStatus();
}

void Runner::MakeHouseholds() {
  const LoadConfig& config = load_.config;
  const absl::Time now = absl::Now();
  for (int i = 0; i < config.households; ++i) {
    std::string token = MintToken(
        config.secret, Identity{absl::StrCat("hh-", i), Role::kDevice}, now,
        now + absl::Hours(24));
    households_.push_back(std::make_unique<Household>(
        &load_, i, load_.stubs[i % load_.stubs.size()].get(),
        std::move(token)));
  }
  for (int k = 0; k < config.coach_watchers; ++k) {
    households_[k % households_.size()]->AddCoach();
  }
}

bool Runner::ForEachHousehold(
    const std::function<void(Household*, std::function<void()>)>& step) {
  const absl::Time deadline = absl::Now() + load_.config.setup_timeout;
  // Shared with the callbacks, which may outlive a timeout here.
  auto gate = std::make_shared<Gate>(load_.config.setup_inflight);
  auto done = std::make_shared<std::atomic<int>>(0);
  for (auto& hh : households_) {
    if (!gate->Acquire(deadline)) return false;
    step(hh.get(), [gate, done] {
      done->fetch_add(1);
      gate->Release();
    });
  }
  const int n = static_cast<int>(households_.size());
  return WaitFor([&] { return done->load() == n; }, deadline);
}

void Runner::LinkCoaches(LoadReport* report) {
  const LoadConfig& config = load_.config;
  if (config.coach_watchers <= 0) return;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches =
      coach::v1::CoachService::NewStub(load_.channels[0]);
  const absl::Time now = absl::Now();
  std::vector<int> next_coach(households_.size(), 0);
  int linked = 0;
  for (int k = 0; k < config.coach_watchers; ++k) {
    Household* hh = households_[k % households_.size()].get();
    const std::string coach_id = absl::StrCat("coach-", k);
    const std::string user = MintToken(
        config.secret, Identity{absl::StrCat("hh-", hh->index()), Role::kUser},
        now, now + absl::Hours(24));
    const std::string coach_token =
        MintToken(config.secret, Identity{coach_id, Role::kCoach}, now,
                  now + absl::Hours(24));
    // Consent on both sides: the coach makes a code, the person links with
    // it.
    grpc::ClientContext code_context;
    AddBearer(&code_context, coach_token);
    coach::v1::CreateLinkCodeResponse code;
    grpc::Status status = coaches->CreateLinkCode(&code_context, {}, &code);
    grpc::ClientContext context;
    AddBearer(&context, user);
    coach::v1::LinkCoachRequest request;
    request.set_code(code.code());
    coach::v1::LinkCoachResponse response;
    if (status.ok()) status = coaches->LinkCoach(&context, request, &response);
    if (!status.ok()) {
      std::string why = status.error_message();
      if (why.empty()) why = StatusText(status);
      report->coach_note = absl::StrCat(
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED
              ? "coach service not available: "
              : "linking the coach failed: ",
          why, "; ", config.coach_watchers - linked, " watchers skipped");
      return;
    }
    hh->EnableCoach(next_coach[hh->index()]++, coach_token);
    ++linked;
  }
  report->coach_watchers = linked;
}

void Runner::Stop() {
  // Quiesce first: no new sessions, no call in setup. Cancelling a stream
  // that the server has not finished setting up is legitimate, but it is
  // not what a run measures (and it exposes a server race: see
  // docs/PERFORMANCE.md).
  load_.restart.store(false);
  const absl::Time quiet = absl::Now() + absl::Seconds(5);
  load_.WaitForOps(quiet);
  WaitFor([this] { return load_.c.awaiting_first.load() == 0; }, quiet);
  load_.running.store(false);
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) d->Cancel();
  }
  if (stalled_ != nullptr) stalled_->Cancel();
  const absl::Time deadline = absl::Now() + kStopTimeout;
  WaitFor([this] { return load_.c.live_calls.load() == 0; }, deadline);
  load_.WaitForOps(deadline);
  // Calls that started while we cancelled (a session restarting): once more.
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) d->Cancel();
  }
  WaitFor([this] { return load_.c.live_calls.load() == 0; }, deadline);
}

void Runner::Totals(LoadReport* r) {
  Counters& c = load_.c;
  r->gaps = c.gaps.load();
  r->silent_gaps = c.silent_gaps.load();
  r->missing = c.missing.load();
  r->duplicates = c.duplicates.load();
  r->stream_errors = c.stream_errors.load();
  r->rpc_errors = c.rpc_errors.load();
  r->sessions_started = c.sessions_started.load();
  r->sessions_finished = c.sessions_finished.load();
  const int64_t samples = c.bytes_samples.load();
  r->mean_event_bytes =
      samples > 0 ? static_cast<double>(c.bytes_sum.load()) / samples : 0;
  int streams = 0;
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) {
      if (d->tracker().epoch().empty()) continue;  // Never opened.
      ++streams;
      if (d->tracker().gaps() > 0) ++r->subscribers_with_gaps;
      if (d->tracker().duplicates() > 0) ++r->subscribers_with_duplicates;
    }
  }
  r->streams = streams;
  r->first_error = load_.first_error();
  r->first_gap = load_.first_gap();
  if (c.repeats_sent.load() > 0) {
    r->repeats_sent = c.repeats_sent.load();
    r->repeats_rejected = c.repeats_rejected.load();
  }
}

void Runner::RunSaturation(LoadReport* report) {
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  SleepUntil(start_ + load_.config.watchers_after);
  LinkCoaches(report);
  SleepUntil(start_ + load_.config.warmup);
  Load::Window* window = load_.NewWindow();
  const Sample a = TakeSample(load_);
  SleepUntil(a.at + load_.config.duration);
  const Sample b = TakeSample(load_);
  ReportWindow(a, b, window->all, report);
  const LatencyHistogram& live = window->live;
  report->live_latency_samples = live.Count();
  report->live_latency_p50_us = live.Percentile(0.50);
  report->live_latency_p99_us = live.Percentile(0.99);
  report->live_latency_p999_us = live.Percentile(0.999);
}

void Runner::RunIdle(LoadReport* report) {
  load_.restart.store(false);
  const bool started =
      ForEachHousehold([](Household* hh, std::function<void()> done) {
        hh->StartPaused(std::move(done));
      });
  absl::SleepFor(absl::Seconds(1));  // Let the starts' garbage settle.
  const Sample before = TakeSample(load_);
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  if (started) {
    ForEachHousehold([](Household* hh, std::function<void()> ready) {
      hh->Attach(std::move(ready));
    });
    WaitFor([&] { return load_.c.connected.load() >= want; },
            absl::Now() + load_.config.setup_timeout);
  }
  absl::SleepFor(load_.config.settle);
  const Sample after = TakeSample(load_);
  ReportWindow(before, after, load_.window.load()->all, report);
  report->idle_connected = load_.c.connected.load();
  if (before.have_server && after.have_server) {
    report->idle_rss_before_kb = before.server.rss_kb;
    report->idle_rss_after_kb = after.server.rss_kb;
    if (report->idle_connected > 0) {
      report->idle_bytes_per_stream =
          1024.0 * (after.server.rss_kb - before.server.rss_kb) /
          report->idle_connected;
    }
  }
}

void Runner::RunStorm(LoadReport* report) {
  load_.restart.store(false);  // Use a session that outlasts the run.
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  WaitFor([&] { return load_.c.connected.load() >= want; },
          absl::Now() + load_.config.setup_timeout);
  SleepUntil(start_ + load_.config.warmup);
  Load::Window* window = load_.NewWindow();
  const Sample a = TakeSample(load_);

  std::vector<Device*> dropped;
  for (auto& hh : households_) {
    for (Device* d : hh->devices()) {
      if (d->Drop()) dropped.push_back(d);
    }
  }
  const absl::Time offline = absl::Now();
  WaitFor([&] { return load_.c.live_calls.load() == 0; },
          absl::Now() + kStopTimeout);
  // While everyone is offline, each session says one more thing (REPEAT),
  // so every resume has an event to catch up on at once and the storm
  // measures resuming, not the sessions' pace.
  const int64_t answered = load_.c.repeats_answered.load();
  for (auto& hh : households_) hh->Repeat(-1);
  const int64_t households = static_cast<int64_t>(households_.size());
  WaitFor(
      [&] { return load_.c.repeats_answered.load() >= answered + households; },
      absl::Now() + kStopTimeout);
  SleepUntil(offline + load_.config.storm_gap);
  const absl::Time t0 = absl::Now();
  load_.storm_start_us.store(absl::ToUnixMicros(t0));
  int64_t resumed = 0;
  for (Device* d : dropped) resumed += d->Resume() ? 1 : 0;
  WaitFor([&] { return load_.c.resumed.load() >= resumed; },
          absl::Now() + load_.config.setup_timeout);
  const int64_t last_us = load_.c.last_resume_us.load();
  absl::SleepFor(absl::Seconds(1));  // Live events after the storm, too.
  const Sample b = TakeSample(load_);
  ReportWindow(a, b, window->all, report);
  report->storm_resumed = load_.c.resumed.load();
  if (last_us > 0) {
    report->storm_window_s = (last_us - absl::ToUnixMicros(t0)) / 1e6;
    if (report->storm_window_s > 0) {
      report->storm_resumes_per_s =
          report->storm_resumed / report->storm_window_s;
    }
  }
  report->storm_first_event_p50_ms = load_.resume_delay.Percentile(0.5) / 1000;
  report->storm_first_event_max_ms = load_.resume_delay.Max() / 1000;
}

void Runner::RunStalled(LoadReport* report) {
  ForEachHousehold([](Household* hh, std::function<void()> ready) {
    hh->Begin(std::move(ready));
  });
  const int64_t want = 2 * static_cast<int64_t>(households_.size());
  WaitFor([&] { return load_.c.connected.load() >= want; },
          absl::Now() + load_.config.setup_timeout);
  SleepUntil(start_ + load_.config.warmup);
  LinkCoaches(report);

  // Household 0's session is kept busy with REPEATs through both halves.
  std::atomic<bool> repeating{load_.config.repeat_rate > 0};
  std::thread repeater;
  if (repeating.load()) {
    repeater = std::thread([this, &repeating] {
      const absl::Duration every = absl::Seconds(1) / load_.config.repeat_rate;
      const int64_t answered = load_.c.repeats_answered.load();
      absl::Time next = absl::Now();
      int64_t sent = 0;
      while (repeating.load()) {
        // Bounded: never more than 64 commands in flight.
        if (sent - (load_.c.repeats_answered.load() - answered) < 64) {
          households_[0]->Repeat(sent++);
        }
        next += every;
        SleepUntil(next);
      }
    });
  }
  const absl::Duration half = load_.config.duration / 2;
  const LatencyHistogram& without = load_.NewWindow()->all;
  const Sample a = TakeSample(load_);
  SleepUntil(a.at + half);

  // The stalled subscriber: household 0's display on its own connection,
  // reading the first event and then nothing.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("coachd.loadgen.stalled", 1);
  stalled_channel_ = grpc::CreateCustomChannel(load_.config.target,
                                               Credentials(load_.config), args);
  stalled_stub_ = coach::v1::SessionService::NewStub(stalled_channel_);
  stalled_ = std::make_unique<Device>(
      &load_, nullptr, -1, coach::v1::DEVICE_KIND_DISPLAY, stalled_stub_.get(),
      /*stalled=*/!load_.config.control);
  // It joins at the live position, as a display switched on mid-session
  // would (a replay from the first event is another scenario).
  const auto [session_id, epoch] = households_[0]->Session();
  int64_t live = 0;
  {
    grpc::ClientContext context;
    AddBearer(&context, households_[0]->token());
    coach::v1::GetSessionRequest get;
    get.set_session_id(session_id);
    coach::v1::SessionView view;
    if (stalled_stub_->GetSession(&context, get, &view).ok()) {
      live = view.last_sequence();
    }
  }
  stalled_->Open(households_[0]->token(), session_id, epoch, live);
  const LatencyHistogram& with = load_.NewWindow()->all;
  const Sample mid = TakeSample(load_);
  SleepUntil(mid.at + half);
  const Sample b = TakeSample(load_);
  repeating.store(false);
  if (repeater.joinable()) repeater.join();

  ReportWindow(a, mid, without, report);
  // Throughput, CPU and Redis over the whole window; latency per half.
  LoadReport whole;
  ReportWindow(a, b, with, &whole);
  report->window_s = whole.window_s;
  report->delivered = whole.delivered;
  report->published = whole.published;
  report->events_per_s = whole.events_per_s;
  report->server_cpu_s = whole.server_cpu_s;
  report->server_cpu_per_kevent_ms = whole.server_cpu_per_kevent_ms;
  report->server_rss_kb = whole.server_rss_kb;
  report->loadgen_cpu_s = whole.loadgen_cpu_s;
  report->redis_commands = whole.redis_commands;
  report->redis_cpu_s = whole.redis_cpu_s;
  report->redis_per_published = whole.redis_per_published;
  report->redis_per_delivered = whole.redis_per_delivered;
  report->redis_top = whole.redis_top;
  report->stalled_a_p50_us = without.Percentile(0.5);
  report->stalled_a_p99_us = without.Percentile(0.99);
  report->stalled_a_p999_us = without.Percentile(0.999);
  report->stalled_b_p50_us = with.Percentile(0.5);
  report->stalled_b_p99_us = with.Percentile(0.99);
  report->stalled_b_p999_us = with.Percentile(0.999);

  // Now it reads what was kept for it: a snapshot if it fell behind.
  stalled_->Unstall();
  absl::SleepFor(absl::Seconds(1));
}

absl::StatusOr<LoadReport> Runner::Run() {
  const LoadConfig& config = load_.config;
  absl::Status basics =
      CheckRunBasics(config.target, config.households, config.channels,
                     config.secret, config.duration);
  if (!basics.ok()) return basics;
  if (config.setup_inflight < 1) {
    return absl::InvalidArgumentError("--setup_inflight: must be at least 1");
  }
  if (config.coach_watchers < 0 || config.repeat_rate < 0) {
    return absl::InvalidArgumentError(
        "--coach_watchers and --repeat_rate: must not be negative");
  }
  absl::Status connected = Connect();
  if (!connected.ok()) return connected;
  MakeHouseholds();
  load_.NewWindow();

  LoadReport report;
  report.mode = LoadModeName(config.mode);
  report.label = config.label;
  report.target = config.target;
  report.households = config.households;
  report.channels = config.channels;
  start_ = absl::Now();
  switch (config.mode) {
    case LoadMode::kSaturation:
    case LoadMode::kLive:  // The same window; only the households differ.
      RunSaturation(&report);
      break;
    case LoadMode::kIdle:
      RunIdle(&report);
      break;
    case LoadMode::kStorm:
      RunStorm(&report);
      break;
    case LoadMode::kStalled:
      RunStalled(&report);
      break;
  }
  Stop();
  Totals(&report);
  if (stalled_ != nullptr) {
    report.stalled_received = stalled_->tracker().delivered();
    report.stalled_lag_snapshots = stalled_->tracker().lag_snapshots();
  }
  return report;
}

}  // namespace

absl::StatusOr<LoadMode> ParseLoadMode(absl::string_view name) {
  if (name == "saturation") return LoadMode::kSaturation;
  if (name == "idle") return LoadMode::kIdle;
  if (name == "storm") return LoadMode::kStorm;
  if (name == "stalled") return LoadMode::kStalled;
  if (name == "live") return LoadMode::kLive;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode: must be saturation, idle, storm, stalled, live "
                   "or chaos, got \"",
                   name, "\""));
}

const char* LoadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kSaturation:
      return "saturation";
    case LoadMode::kIdle:
      return "idle";
    case LoadMode::kStorm:
      return "storm";
    case LoadMode::kStalled:
      return "stalled";
    case LoadMode::kLive:
      return "live";
  }
  return "?";
}

absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config) {
  Runner runner(config);
  return runner.Run();
}

}  // namespace coachd
