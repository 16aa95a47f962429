#include "clients/loadgen/baseline_service.h"

#include <grpcpp/grpcpp.h>

#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coach/v1/session.pb.h"

namespace coachd {
namespace {

constexpr char kService[] = "/coach.v1.SessionService/";

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer FromMessage(const google::protobuf::MessageLite& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

// Wakes paced streams when their next event is due. One thread for all.
class Pacer {
 public:
  // Something to wake: Wake() runs on the pacer's thread; Release() drops
  // the reference Schedule took.
  class Paced {
   public:
    virtual ~Paced() = default;
    virtual void Wake() = 0;
    virtual void Release() = 0;
  };

  Pacer() : thread_([this] { Run(); }) {}
  ~Pacer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    while (!due_.empty()) {
      due_.top().second->Release();
      due_.pop();
    }
  }

  // Calls target->Wake() at `when`, then target->Release(). The caller has
  // taken the reference Release drops.
  void Schedule(Paced* target, absl::Time when) {
    absl::MutexLock lock(&mu_);
    due_.emplace(when, target);
  }

 private:
  using Entry = std::pair<absl::Time, Paced*>;
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.first > b.first;
    }
  };

  void Run() {
    std::vector<Paced*> ready;
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      const absl::Time now = absl::Now();
      while (!due_.empty() && due_.top().first <= now) {
        ready.push_back(due_.top().second);
        due_.pop();
      }
      if (!ready.empty()) {
        mu_.Unlock();
        for (Paced* p : ready) {
          p->Wake();
          p->Release();
        }
        ready.clear();
        mu_.Lock();
        continue;
      }
      const absl::Time next =
          due_.empty() ? now + absl::Milliseconds(50) : due_.top().first;
      // Sleeping to the next deadline is this thread's whole job.
      mu_.AwaitWithDeadline(absl::Condition(&stopping_), next);
    }
  }

  absl::Mutex mu_;
  std::priority_queue<Entry, std::vector<Entry>, Later> due_
      ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

namespace {

// StartSession, GetSession and SendCommand: read one request, answer once.
class UnaryReactor : public grpc::ServerGenericBidiReactor {
 public:
  enum class Method { kStart, kGet, kCommand };

  UnaryReactor(BaselineService* service, Method method)
      : service_(service), method_(method) {
    // gRPC makes the reactor on one of its threads and calls OnReadDone on
    // another, ordered in its core; the lock (here, in OnReadDone and in
    // OnDone) orders them through our own synchronization too, which is the
    // order ThreadSanitizer can see.
    absl::MutexLock lock(&mu_);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "request: none was sent"));
      return;
    }
    const std::string bytes = ToBytes(request_);
    grpc::Status status = grpc::Status::OK;
    switch (method_) {
      case Method::kStart: {
        coach::v1::StartSessionRequest request;
        if (!request.ParseFromString(bytes)) {
          status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "request: not a StartSessionRequest");
          break;
        }
        BaselineService::Session state;
        coach::v1::SessionView view;
        view.set_session_id(service_->StartSession(&state, request.paused()));
        view.set_epoch(service_->events().epoch());
        view.set_last_sequence(state.last_sequence);
        response_ = FromMessage(view);
        break;
      }
      case Method::kGet: {
        coach::v1::GetSessionRequest request;
        BaselineService::Session state;
        if (!request.ParseFromString(bytes)) {
          status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "request: not a GetSessionRequest");
        } else if (!service_->GetSession(request.session_id(), &state)) {
          status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                                "session_id: no such session");
        } else {
          coach::v1::SessionView view;
          view.set_session_id(request.session_id());
          view.set_epoch(service_->events().epoch());
          view.set_last_sequence(state.last_sequence);
          response_ = FromMessage(view);
        }
        break;
      }
      case Method::kCommand: {
        coach::v1::SendCommandRequest request;
        if (!request.ParseFromString(bytes)) {
          status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "request: not a SendCommandRequest");
        } else if (!service_->Command(request.session_id(),
                                      request.command())) {
          status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                                "session_id: no such session");
        } else {
          response_ = FromMessage(coach::v1::SendCommandResponse());
        }
        break;
      }
    }
    if (status.ok()) {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), status);
    } else {
      Finish(status);
    }
  }

  void OnDone() override {
    { absl::MutexLock lock(&mu_); }  // After OnReadDone (see the constructor).
    delete this;
  }

 private:
  BaselineService* const service_;
  const Method method_;
  absl::Mutex mu_;
  grpc::ByteBuffer request_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer response_ ABSL_GUARDED_BY(mu_);  // Kept until written.
};

// Subscribe: pre-serialized events after the resume position.
class StreamReactor : public grpc::ServerGenericBidiReactor,
                      public Pacer::Paced,
                      public BaselineService::Waiter {
 public:
  explicit StreamReactor(BaselineService* service) : service_(service) {
    service_->open_streams.fetch_add(1, std::memory_order_relaxed);
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (read_request_) return;  // The client's half-close: nothing to do.
    read_request_ = true;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "request: none was sent"));
      return;
    }
    coach::v1::SubscribeRequest request;
    BaselineService::Session state;
    if (!request.ParseFromString(ToBytes(request_))) {
      FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "request: not a SubscribeRequest"));
      return;
    }
    refs_.fetch_add(1);  // The service's, while it keeps us (paused).
    if (!service_->WatchSession(request.session_id(), this, &state)) {
      refs_.fetch_sub(1);  // Not kept; the call's reference remains.
      FinishLocked(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                "session_id: no such session"));
      return;
    }
    if (!state.paused) refs_.fetch_sub(1);  // Not kept, as above.
    request_.Clear();
    const BaselineOptions& options = service_->options();
    next_ = request.has_resume() ? request.resume().last_sequence() + 1 : 1;
    paused_ = state.paused;
    limit_ = paused_ ? state.last_sequence : options.session_events;
    catch_up_to_ = state.last_sequence;
    prefix_ = service_->events().Prefix(request.session_id());
    if (!paused_ && next_ > limit_) {
      FinishLocked(grpc::Status::OK);  // Already saw the whole session.
      return;
    }
    due_ = absl::Now();
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "stream broken while writing"));
      return;
    }
    if (wrote_last_) {
      FinishLocked(grpc::Status::OK);
      return;
    }
    const absl::Duration interval = service_->options().interval;
    if (interval == absl::ZeroDuration() || next_ <= catch_up_to_) {
      WriteNextLocked();
      return;
    }
    // Paced: the next event at its time (catching up if we fell behind).
    const absl::Time now = absl::Now();
    due_ = std::max(due_ + interval, now - interval);
    if (due_ <= now) {
      WriteNextLocked();
      return;
    }
    refs_.fetch_add(1);
    service_->pacer()->Schedule(this, due_);
  }

  void Wake() override {
    absl::MutexLock lock(&mu_);
    WriteNextLocked();
  }

  // Both the pacer's and the service's reference.
  void Release() override { Unref(); }

  void Resume() override {
    absl::MutexLock lock(&mu_);
    if (finished_ || !paused_) return;
    paused_ = false;
    limit_ = service_->options().session_events;
    due_ = absl::Now();
    WriteNextLocked();  // Unless a write is under way: OnWriteDone goes on.
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    service_->open_streams.fetch_sub(1, std::memory_order_relaxed);
    // gRPC calls OnDone after the last OnWriteDone, ordered in its core; the
    // lock orders the destructor after every locked section through our own
    // synchronization too (the buffer last written in OnWriteDone), which
    // is the order ThreadSanitizer can see.
    { absl::MutexLock lock(&mu_); }
    Unref();
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_ || next_ > limit_) return;
    const BaselineOptions& options = service_->options();
    int64_t sequence = next_;
    if (options.fault_every > 0) {
      if (next_ % options.fault_every == 0 && next_ < limit_) {
        sequence = ++next_;  // Skip one: a gap.
      } else if (next_ % options.fault_every == 2 && !repeated_) {
        sequence = next_ - 1;  // Send the previous one again: a duplicate.
        repeated_ = true;
        --next_;
      } else {
        repeated_ = false;
      }
    }
    const bool last = !paused_ && sequence == options.session_events;
    const absl::Time now = absl::Now();
    const EventTemplate& events = service_->events();
    grpc::Slice slice(events.RenderedSize(prefix_, sequence, now, last));
    // A fresh slice is ours alone: fill it in place.
    events.RenderInto(
        prefix_, sequence, now, last,
        reinterpret_cast<char*>(const_cast<uint8_t*>(slice.begin())));
    buffer_ = grpc::ByteBuffer(&slice, 1);
    writing_ = true;
    wrote_last_ = last;
    ++next_;
    StartWrite(&buffer_);
  }

  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  BaselineService* const service_;
  // The call's; the pacer holds one while waiting, the service one while
  // the session is paused.
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  grpc::ByteBuffer request_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer buffer_ ABSL_GUARDED_BY(mu_);  // Kept until written.
  std::string prefix_ ABSL_GUARDED_BY(mu_);
  bool read_request_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_last_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool repeated_ ABSL_GUARDED_BY(mu_) =
      false;  // fault_every: sent a duplicate.
  int64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t limit_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t catch_up_to_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time due_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

BaselineService::BaselineService(BaselineOptions options)
    : options_(options),
      events_(options.event_bytes, "baseline-epoch-000000001") {
  if (options_.interval > absl::ZeroDuration()) {
    pacer_ = std::make_unique<Pacer>();
  }
}

BaselineService::~BaselineService() {
  // The server is gone (it must not outlive the service): no call races.
  absl::flat_hash_map<std::string, std::vector<Waiter*>> waiters;
  {
    absl::MutexLock lock(&mu_);
    waiters.swap(waiters_);
  }
  for (auto& [id, list] : waiters) {
    for (Waiter* waiter : list) waiter->Release();
  }
}

std::string BaselineService::StartSession(Session* state, bool paused) {
  const std::string id =
      absl::StrCat("base-", next_id_.fetch_add(1, std::memory_order_relaxed));
  Session session;
  session.last_sequence = options_.start_events + (paused ? 1 : 0);
  session.paused = paused;
  absl::MutexLock lock(&mu_);
  sessions_[id] = session;
  *state = session;
  return id;
}

bool BaselineService::GetSession(const std::string& id, Session* state) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  *state = it->second;
  return true;
}

bool BaselineService::WatchSession(const std::string& id, Waiter* waiter,
                                   Session* state) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  *state = it->second;
  if (state->paused) waiters_[id].push_back(waiter);
  return true;
}

bool BaselineService::Command(const std::string& id, int command) {
  std::vector<Waiter*> resumed;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    if (command == coach::v1::COMMAND_TYPE_PAUSE && !it->second.paused) {
      it->second.paused = true;
      ++it->second.last_sequence;
    } else if (command == coach::v1::COMMAND_TYPE_RESUME) {
      it->second.paused = false;
      if (auto w = waiters_.find(id); w != waiters_.end()) {
        resumed.swap(w->second);
        waiters_.erase(w);
      }
    }
  }
  for (Waiter* waiter : resumed) {
    waiter->Resume();
    waiter->Release();
  }
  return true;
}

grpc::ServerGenericBidiReactor* BaselineService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  const std::string& method = context->method();
  const std::string prefix = kService;
  if (method == prefix + "Subscribe") return new StreamReactor(this);
  if (method == prefix + "StartSession") {
    return new UnaryReactor(this, UnaryReactor::Method::kStart);
  }
  if (method == prefix + "GetSession") {
    return new UnaryReactor(this, UnaryReactor::Method::kGet);
  }
  if (method == prefix + "SendCommand") {
    return new UnaryReactor(this, UnaryReactor::Method::kCommand);
  }
  return grpc::CallbackGenericService::CreateReactor(context);
}

}  // namespace coachd
