#include "services/common/rpc_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"
#include "services/metrics/metrics.h"

namespace coachd {
namespace {

struct RpcMetrics {
  CounterFamily* requests;
  HistogramFamily* duration;
};

const RpcMetrics& Rpc() {
  static const RpcMetrics* const kMetrics = [] {
    MetricsRegistry& registry = ProcessMetrics();
    return new RpcMetrics{
        registry.AddCounter("coachd_rpc_requests_total",
                            "RPCs finished, by method and gRPC status code.",
                            {"method", "code"}),
        registry.AddHistogram(
            "coachd_rpc_duration_seconds",
            "Time from an RPC's arrival to its outcome (a stream: its life).",
            {"method"}, DefaultDurationBuckets())};
  }();
  return *kMetrics;
}

}  // namespace

void RegisterRpcMetrics() { Rpc(); }

void LogRpc(absl::string_view method, absl::string_view who,
            const absl::Status& status, absl::Duration elapsed) {
  std::string line = absl::StrFormat("rpc %s caller=%s %s %.1fms", method, who,
                                     absl::StatusCodeToString(status.code()),
                                     absl::ToDoubleMilliseconds(elapsed));
  if (!status.ok()) absl::StrAppend(&line, ": ", status.message());
  // One lookup per outcome (methods are few; the log line costs more).
  const std::string name(method);
  Rpc()
      .requests->WithLabels({name, absl::StatusCodeToString(status.code())})
      ->Increment();
  Rpc().duration->WithLabels({name})->Observe(absl::ToDoubleSeconds(elapsed));
  const LogLevel level =
      status.ok() || status.code() == absl::StatusCode::kCancelled
          ? LogLevel::kInfo
          : LogLevel::kWarning;
  const std::string code = absl::StatusCodeToString(status.code());
  const double ms = absl::ToDoubleMilliseconds(elapsed);
  if (status.ok()) {
    LogWithFields(level, line,
                  {{"event", "rpc"},
                   {"method", method},
                   {"caller", who},
                   {"code", code},
                   LogField::Number("ms", ms)});
  } else {
    LogWithFields(level, line,
                  {{"event", "rpc"},
                   {"method", method},
                   {"caller", who},
                   {"code", code},
                   LogField::Number("ms", ms),
                   {"error", status.message()}});
  }
}

}  // namespace coachd
