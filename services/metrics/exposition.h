// The Prometheus text exposition format (version 0.0.4), as a pure function
// of what the metrics hold at one moment: tests check the exact text, the
// HTTP endpoint serves it. No I/O, no locks.
//
//   MetricFamilySnapshot f;
//   f.name = "coachd_rpc_requests_total";
//   f.help = "RPCs finished.";
//   f.type = MetricType::kCounter;
//   f.label_names = {"method", "code"};
//   f.samples.push_back({{"Catalog/ListExercises", "OK"}, 3});
//   std::string text = RenderPrometheusText({f});
//   // # HELP coachd_rpc_requests_total RPCs finished.
//   // # TYPE coachd_rpc_requests_total counter
//   // coachd_rpc_requests_total{method="Catalog/ListExercises",code="OK"} 3
#ifndef SERVICES_METRICS_EXPOSITION_H_
#define SERVICES_METRICS_EXPOSITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace coachd {

// The content type of RenderPrometheusText's output.
inline constexpr absl::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

// One series of a family at one moment.
struct MetricSample {
  // One value per label name of the family, in the same order.
  std::vector<std::string> label_values;
  double value = 0;  // Counters and gauges.
  // Histograms: observations per bucket, not cumulative, one per bound of
  // the family plus the last for +Inf; their total is the count.
  std::vector<int64_t> bucket_counts;
  double sum = 0;  // Histograms: the sum of the observations.
};

// A metric family: a name, its help and type, and its series.
struct MetricFamilySnapshot {
  std::string name;  // Counters end in _total; units in the name (_seconds).
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;  // Never "le" (histograms use it).
  std::vector<double> bucket_bounds;     // Histograms: increasing upper bounds.
  std::vector<MetricSample> samples;
};

// Renders `families` in order, each with # HELP and # TYPE lines (also with
// no samples), series in the order given. Histograms get cumulative
// name_bucket{...,le="B"} lines (le="+Inf" last), name_sum and name_count.
// Help text escapes \ and newline; label values escape \, " and newline.
// Values: integers exactly, others as the shortest text that reads back the
// same double; +Inf, -Inf and NaN as Prometheus spells them.
std::string RenderPrometheusText(
    const std::vector<MetricFamilySnapshot>& families);

// A value as RenderPrometheusText writes it ("3", "0.25", "+Inf", "NaN").
std::string FormatMetricValue(double value);

}  // namespace coachd

#endif  // SERVICES_METRICS_EXPOSITION_H_
