#include "clients/common/status_text.h"

#include "absl/strings/str_cat.h"

namespace coachd {

std::string StatusText(const absl::Status& status) {
  // absl's and gRPC's codes share their numbers and names.
  const std::string name = absl::StatusCodeToString(status.code());
  if (status.message().empty()) return name;
  return absl::StrCat(status.message(), " (", name, ")");
}

std::string StatusText(const grpc::Status& status) {
  return StatusText(
      absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                   status.error_message()));
}

}  // namespace coachd
