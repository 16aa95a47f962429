// The one conversion from absl::Status (used everywhere inside coachd) to
// grpc::Status (at the RPC edge). Codes map one to one; the message is kept.
#ifndef SERVICES_COMMON_GRPC_STATUS_H_
#define SERVICES_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace coachd {

// Converts `status` to the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace coachd

#endif  // SERVICES_COMMON_GRPC_STATUS_H_
