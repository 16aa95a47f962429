// The gateway's small HTTP helpers over libevent's evhttp, shared by its
// routes (gateway.cc, pair_routes.cc): reading a request's headers, query
// and JSON body; answering with a body or a JSON error; and PendingReply,
// a request that waits on the loop thread for coachd's answer. Loop thread
// only.
//
//   Reply(request, 200, "application/json", json);
//   ReplyError(request, absl::InvalidArgumentError("body: want JSON"));
#ifndef CLIENTS_WEB_HTTP_REPLY_H_
#define CLIENTS_WEB_HTTP_REPLY_H_

#include <event2/http.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace coachd {

// The request header `name`; empty when absent.
std::string Header(evhttp_request* request, const char* name);

// The query parameter `name`; empty when absent.
std::string QueryParam(evhttp_request* request, const char* name);

// Answers `request` with `code` and `body` (no caching, no sniffing).
void Reply(evhttp_request* request, int code, const char* content_type,
           absl::string_view body);

// {"code": CODE, "error": MESSAGE}.
std::string ErrorJson(absl::string_view code, absl::string_view message);

// Answers with the HTTP status for `status` and its ErrorJson.
void ReplyError(evhttp_request* request, const absl::Status& status);

// The name of a gRPC status's code ("PERMISSION_DENIED").
std::string GrpcCodeName(const grpc::Status& status);

// The request's body as a JSON object (ParseJsonBody); INVALID_ARGUMENT
// naming "body".
absl::StatusOr<google::protobuf::Struct> JsonBody(evhttp_request* request);

// A request waiting for coachd's answer: loses its request when the
// browser goes away first (libevent frees it then; `on_gone`, if set, runs
// on the loop then). Loop thread only; destroyed unanswered, it answers 500.
class PendingReply {
 public:
  explicit PendingReply(evhttp_request* request,
                        std::function<void()> on_gone = nullptr);
  ~PendingReply();
  PendingReply(const PendingReply&) = delete;
  PendingReply& operator=(const PendingReply&) = delete;

  // Adds a response header to the answer to come (Set-Cookie).
  void AddHeader(std::string name, std::string value);

  // Answers with coachd's status, or `json` when it is OK.
  void Send(const grpc::Status& status, const std::string& json);

 private:
  static void OnClosed(evhttp_connection*, void* self);
  evhttp_request* request_;
  evhttp_connection* connection_;
  std::function<void()> on_gone_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// One unary call in flight with what it needs until its answer.
template <typename Request, typename Response>
struct UnaryCall {
  grpc::ClientContext context;
  Request request;
  Response response;
  std::unique_ptr<PendingReply> reply;
};

}  // namespace coachd

#endif  // CLIENTS_WEB_HTTP_REPLY_H_
