#include "services/common/rpc_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"

namespace coachd {

void LogRpc(absl::string_view method, absl::string_view who,
            const absl::Status& status, absl::Duration elapsed) {
  std::string line = absl::StrFormat("rpc %s caller=%s %s %.1fms", method, who,
                                     absl::StatusCodeToString(status.code()),
                                     absl::ToDoubleMilliseconds(elapsed));
  if (!status.ok()) absl::StrAppend(&line, ": ", status.message());
  Log(status.ok() || status.code() == absl::StatusCode::kCancelled
          ? LogLevel::kInfo
          : LogLevel::kWarning,
      line);
}

}  // namespace coachd
