#include "services/server/unparsed_request_interceptor.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/rpc_log.h"

namespace coachd {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "coach.v1.StartSessionRequest" for "/coach.v1.SessionService/StartSession"
// (from the generated descriptors); "the request message" if unknown.
std::string RequestType(absl::string_view method) {
  std::string name(absl::StripPrefix(method, "/"));
  std::replace(name.begin(), name.end(), '/', '.');
  const google::protobuf::MethodDescriptor* found =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          name);
  return found != nullptr ? found->input_type()->full_name()
                          : "the request message";
}

class UnparsedRequestInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit UnparsedRequestInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : "?") {
    // gRPC makes the interceptor on one of its threads, runs its hooks on
    // others (the completion op's among them) and deletes it with the call,
    // ordered in its core; the lock (here, in Intercept and in the
    // destructor) orders them through our own synchronization too, which is
    // the order ThreadSanitizer can see. Hooks of one call never run
    // concurrently, so it is never contended.
    absl::MutexLock lock(&mu_);
  }

  ~UnparsedRequestInterceptor() override { absl::MutexLock lock(&mu_); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    bool report = false;
    {
      absl::MutexLock lock(&mu_);
      if (methods->QueryInterceptionHookPoint(
              InterceptionHookPoints::POST_RECV_MESSAGE) &&
          methods->GetRecvMessage() == nullptr) {
        unparsed_ = true;  // The handler gets no request: it cannot run.
      }
      report = unparsed_ &&
               methods->QueryInterceptionHookPoint(
                   InterceptionHookPoints::PRE_SEND_STATUS) &&
               methods->GetSendStatus().error_code() ==
                   grpc::StatusCode::UNIMPLEMENTED;
    }
    if (report) {
      const std::string message =
          absl::StrCat("request: is not a serialized ", RequestType(method_),
                       " (", method_, ")");
      LogRpc(method_, "-", absl::InvalidArgumentError(message),
             absl::ZeroDuration());
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  absl::Mutex mu_;
  bool unparsed_ ABSL_GUARDED_BY(mu_) = false;
};

class Factory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new UnparsedRequestInterceptor(info);
  }
};

}  // namespace

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeUnparsedRequestInterceptors() {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(std::make_unique<Factory>());
  return factories;
}

}  // namespace coachd
