// Makes a request body that does not parse a specific, logged error. gRPC's
// callback API answers such a call UNIMPLEMENTED with an empty message and
// logs nothing (its handler gets no request, so no reactor of ours ever
// runs). This interceptor notices the missing request (POST_RECV_MESSAGE
// with no message) and turns that status into INVALID_ARGUMENT naming the
// request type and method ("request: is not a serialized
// coach.v1.StartSessionRequest (/coach.v1.SessionService/StartSession)"),
// with one log line like every other RPC outcome. (Bidirectional streams
// read their messages themselves and say the same.)
//
//   builder.experimental().SetInterceptorCreators(
//       MakeUnparsedRequestInterceptors());
#ifndef SERVICES_SERVER_UNPARSED_REQUEST_INTERCEPTOR_H_
#define SERVICES_SERVER_UNPARSED_REQUEST_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

namespace coachd {

// The interceptor factories to register on a grpc::ServerBuilder (one, this
// one). Thread-safe: each call gets its own interceptor.
std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeUnparsedRequestInterceptors();

}  // namespace coachd

#endif  // SERVICES_SERVER_UNPARSED_REQUEST_INTERCEPTOR_H_
