// One log line per RPC outcome: method, caller, status code, message and
// latency. Thread-safe.
#ifndef SERVICES_COMMON_RPC_LOG_H_
#define SERVICES_COMMON_RPC_LOG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// Logs "rpc <method> caller=<who> <CODE> <ms>ms[: message]".
void LogRpc(absl::string_view method, absl::string_view who,
            const absl::Status& status, absl::Duration elapsed);

}  // namespace coachd

#endif  // SERVICES_COMMON_RPC_LOG_H_
