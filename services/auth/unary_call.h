// Serves one unary RPC of the callback API: resolves the caller (the one
// place identity is checked), runs the handler on a worker (so the reaction
// never blocks), converts its status once at the edge, finishes the reactor
// and logs one line with the outcome.
//
//   grpc::ServerUnaryReactor* GetThing(grpc::CallbackServerContext* ctx,
//                                      const Req* req, Resp* resp) override {
//     return ServeUnary(ctx, "Things/GetThing", deps_, [=](const Identity& who)
//     {
//       return logic_.GetThing(who, *req, resp);   // absl::Status
//     });
//   }
#ifndef SERVICES_AUTH_UNARY_CALL_H_
#define SERVICES_AUTH_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/auth/authenticator.h"
#include "services/auth/stream_lifetimes.h"
#include "services/common/deadline_timer.h"
#include "services/common/executor.h"
#include "services/common/grpc_status.h"
#include "services/common/queue_high_water.h"
#include "services/common/rpc_log.h"
#include "services/common/stream_limiter.h"
#include "services/common/stream_registry.h"

namespace coachd {

// What every service needs to serve calls. Pointers outlive the services.
struct ServiceDeps {
  const Authenticator* auth = nullptr;
  // Runs handlers that may block; null runs them inline (in-memory only).
  Executor* executor = nullptr;
  // Long-lived streams register here so shutdown can end them at once;
  // null: not tracked.
  StreamRegistry* streams = nullptr;
  // Long-lived streams register here too, so that they end when their
  // token expires or its device is revoked; null: they live on.
  StreamLifetimes* lifetimes = nullptr;
  // Bounds the streams each identity holds open; null: no bound.
  StreamLimiter* stream_limits = nullptr;
  // Tests only: streams record their longest write queue here; null: not
  // recorded.
  QueueHighWater* queue_high_water = nullptr;
  // The server's deadline for unary calls: a call still waiting for a worker
  // this long after it arrived (or at its own deadline, when earlier: gRPC
  // ends those) is answered DEADLINE_EXCEEDED and never runs. A handler
  // that has started runs to its end (store calls are bounded by the
  // store's own timeouts). Null timer: no server deadline.
  DeadlineTimer* deadlines = nullptr;
  absl::Duration unary_deadline = absl::Seconds(30);
};

// A stream's slot for `who` from deps.stream_limits (an empty slot when
// there is none), or RESOURCE_EXHAUSTED naming the limit. Never blocks.
inline absl::StatusOr<StreamSlot> AcquireStreamSlot(const ServiceDeps& deps,
                                                    const char* method,
                                                    const Identity& who) {
  if (deps.stream_limits == nullptr) return StreamSlot();
  return deps.stream_limits->Acquire(method, who.subject);
}

// Stores a handler's result into the RPC's response: `*out = *result` when
// it is OK; returns its status either way. For handlers of ServeUnary.
template <typename T>
absl::Status AssignResult(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return result.status();
  *out = *std::move(result);
  return absl::OkStatus();
}

// Runs `run` on the executor, or inline when there is none.
inline void RunHandler(const ServiceDeps& deps, std::function<void()> run) {
  if (deps.executor != nullptr) {
    deps.executor->Schedule(std::move(run));
  } else {
    run();
  }
}

// Who answers a unary call first: its handler or the server's deadline.
struct UnaryCallRace {
  absl::Mutex mu;
  bool started ABSL_GUARDED_BY(mu) = false;   // The handler took the call.
  bool answered ABSL_GUARDED_BY(mu) = false;  // The deadline answered it.
  int64_t timer_id = 0;                       // Set before the race starts.
};

// Runs `run` on a worker, unless the server's deadline (deps.deadlines,
// deps.unary_deadline from `start`) comes first: then `reactor` is finished
// with DEADLINE_EXCEEDED naming `method`, and `run` never runs (it must not
// touch the call when it does not run: the call may be gone).
inline void RunBeforeDeadline(const ServiceDeps& deps,
                              grpc::ServerUnaryReactor* reactor,
                              const char* method, const std::string& caller,
                              absl::Time start, std::function<void()> run) {
  if (deps.deadlines == nullptr) {
    RunHandler(deps, std::move(run));
    return;
  }
  auto race = std::make_shared<UnaryCallRace>();
  race->timer_id = deps.deadlines->Add(
      start + deps.unary_deadline,
      [race, reactor, method, caller, start, limit = deps.unary_deadline] {
        {
          absl::MutexLock lock(&race->mu);
          if (race->started) return;  // It runs; its own answer goes out.
          race->answered = true;
        }
        const absl::Status late = absl::DeadlineExceededError(absl::StrCat(
            method, ": not started within coachd's deadline of ",
            absl::FormatDuration(limit),
            " for a call (--unary_deadline): coachd is busy, retry later"));
        LogRpc(method, caller, late, absl::Now() - start);
        reactor->Finish(ToGrpcStatus(late));
      });
  RunHandler(deps, [race, timers = deps.deadlines, run = std::move(run)] {
    {
      absl::MutexLock lock(&race->mu);
      if (race->answered) return;  // Too late: the call is over.
      race->started = true;
    }
    timers->Cancel(race->timer_id);
    run();
  });
}

// See the file comment. `handler` runs at most once, after authentication,
// unless the server's deadline passes first (RunBeforeDeadline).
inline grpc::ServerUnaryReactor* ServeUnary(
    grpc::CallbackServerContext* context, const char* method,
    const ServiceDeps& deps,
    std::function<absl::Status(const Identity&)> handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  absl::StatusOr<Identity> who = deps.auth->Authenticate(*context);
  if (!who.ok()) {
    LogRpc(method, "-", who.status(), absl::Now() - start);
    reactor->Finish(ToGrpcStatus(who.status()));
    return reactor;
  }
  const std::string caller = who->subject;
  RunBeforeDeadline(deps, reactor, method, caller, start,
                    [reactor, method, start, who = *std::move(who),
                     handler = std::move(handler)] {
                      absl::Status status = handler(who);
                      LogRpc(method, who.subject, status, absl::Now() - start);
                      reactor->Finish(ToGrpcStatus(status));
                    });
  return reactor;
}

// ServeUnary for the few RPCs that take no access token (a device pairing
// or refreshing presents its secret in the request instead): no
// authentication; `handler` runs on a worker, the outcome is converted and
// logged (caller "-") the same way.
inline grpc::ServerUnaryReactor* ServeUnaryWithoutToken(
    grpc::CallbackServerContext* context, const char* method,
    const ServiceDeps& deps, std::function<absl::Status()> handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const absl::Time start = absl::Now();
  RunBeforeDeadline(deps, reactor, method, "-", start,
                    [reactor, method, start, handler = std::move(handler)] {
                      absl::Status status = handler();
                      LogRpc(method, "-", status, absl::Now() - start);
                      reactor->Finish(ToGrpcStatus(status));
                    });
  return reactor;
}

}  // namespace coachd

#endif  // SERVICES_AUTH_UNARY_CALL_H_
