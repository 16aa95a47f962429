#include "services/common/grpc_status.h"

#include <string>

#include "services/common/safe_text.h"

namespace coachd {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow
  // google.rpc.Code), so the cast is exact.
  // The message may repeat client input: escaped and bounded (SafeText).
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      SafeText(status.message(), kMaxStatusMessageBytes));
}

}  // namespace coachd
