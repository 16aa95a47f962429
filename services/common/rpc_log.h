// One log line per RPC outcome: method, caller, status code, message and
// latency; and the same outcome counted in the process-wide metrics
// (ProcessMetrics(): LogRpc is a free function called from every service,
// so one registry per process is the honest owner):
//   coachd_rpc_requests_total{method,code}   counter
//   coachd_rpc_duration_seconds{method}      histogram (DefaultDurationBuckets)
// Thread-safe.
#ifndef SERVICES_COMMON_RPC_LOG_H_
#define SERVICES_COMMON_RPC_LOG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// Logs "rpc <method> caller=<who> <CODE> <ms>ms[: message]" and counts it
// (see the file comment). For a stream, `elapsed` is its whole life. In
// JSON (SetLogFormat) the line also has the members "event":"rpc",
// "method", "caller", "code", "ms" (a number) and, unless OK, "error".
void LogRpc(absl::string_view method, absl::string_view who,
            const absl::Status& status, absl::Duration elapsed);

// Adds the RPC metrics to ProcessMetrics() now (with no series yet), so a
// scrape shows their # HELP and # TYPE before the first RPC. Idempotent.
void RegisterRpcMetrics();

}  // namespace coachd

#endif  // SERVICES_COMMON_RPC_LOG_H_
