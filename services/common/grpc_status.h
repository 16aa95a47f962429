// The one conversion from absl::Status (used everywhere inside coachd) to
// grpc::Status (at the RPC edge). Codes map one to one; the message is kept,
// with control bytes escaped and cut at kMaxStatusMessageBytes (SafeText).
#ifndef SERVICES_COMMON_GRPC_STATUS_H_
#define SERVICES_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace coachd {

// Converts `status` to the gRPC status with the same code and its message
// made safe (SafeText, at most kMaxStatusMessageBytes of it).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace coachd

#endif  // SERVICES_COMMON_GRPC_STATUS_H_
