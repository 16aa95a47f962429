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
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "services/auth/authenticator.h"
#include "services/auth/stream_lifetimes.h"
#include "services/common/executor.h"
#include "services/common/grpc_status.h"
#include "services/common/rpc_log.h"
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
};

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

// See the file comment. `handler` runs at most once, after authentication.
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
  RunHandler(deps, [reactor, method, start, who = *std::move(who),
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
  RunHandler(deps, [reactor, method, start, handler = std::move(handler)] {
    absl::Status status = handler();
    LogRpc(method, "-", status, absl::Now() - start);
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

}  // namespace coachd

#endif  // SERVICES_AUTH_UNARY_CALL_H_
