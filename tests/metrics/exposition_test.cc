#include "services/metrics/exposition.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace coachd {
namespace {

MetricSample Value(std::vector<std::string> labels, double value) {
  MetricSample s;
  s.label_values = std::move(labels);
  s.value = value;
  return s;
}

MetricSample Buckets(std::vector<std::string> labels,
                     std::vector<int64_t> counts, double sum) {
  MetricSample s;
  s.label_values = std::move(labels);
  s.bucket_counts = std::move(counts);
  s.sum = sum;
  return s;
}

MetricFamilySnapshot Family(std::string name, MetricType type,
                            std::vector<std::string> labels,
                            std::vector<MetricSample> samples) {
  MetricFamilySnapshot f;
  f.name = std::move(name);
  f.help = "Help.";
  f.type = type;
  f.label_names = std::move(labels);
  f.samples = std::move(samples);
  return f;
}

TEST(RenderPrometheusText, RendersEachKindAsTheFormatSpells) {
  MetricFamilySnapshot histogram =
      Family("rpc_duration_seconds", MetricType::kHistogram, {"method"},
             {Buckets({"A/B"}, {1, 0, 2}, 2.75)});
  histogram.bucket_bounds = {0.005, 0.25};
  MetricFamilySnapshot escaped_help =
      Family("x", MetricType::kGauge, {}, {Value({}, 1)});
  escaped_help.help = "a \\ b\nc \"q\"";
  struct Case {
    const char* name;
    MetricFamilySnapshot family;
    std::string want;
  };
  const Case cases[] = {
      {"unlabelled gauge",
       Family("live_sessions", MetricType::kGauge, {}, {Value({}, 3)}),
       "# HELP live_sessions Help.\n# TYPE live_sessions gauge\n"
       "live_sessions 3\n"},
      {"labelled counter",
       Family("requests_total", MetricType::kCounter, {"method", "code"},
              {Value({"A/B", "OK"}, 2), Value({"A/B", "NOT_FOUND"}, 1)}),
       "# HELP requests_total Help.\n# TYPE requests_total counter\n"
       "requests_total{method=\"A/B\",code=\"OK\"} 2\n"
       "requests_total{method=\"A/B\",code=\"NOT_FOUND\"} 1\n"},
      {"no samples keeps the header",
       Family("empty_total", MetricType::kCounter, {"a"}, {}),
       "# HELP empty_total Help.\n# TYPE empty_total counter\n"},
      {"label values escaped",
       Family("g", MetricType::kGauge, {"v"}, {Value({"a\"b\\c\nd"}, 1)}),
       "# HELP g Help.\n# TYPE g gauge\ng{v=\"a\\\"b\\\\c\\nd\"} 1\n"},
      {"help escaped (backslash, newline; quotes kept)", escaped_help,
       "# HELP x a \\\\ b\\nc \"q\"\n# TYPE x gauge\nx 1\n"},
      {"histogram cumulative buckets, sum and count", histogram,
       "# HELP rpc_duration_seconds Help.\n"
       "# TYPE rpc_duration_seconds histogram\n"
       "rpc_duration_seconds_bucket{method=\"A/B\",le=\"0.005\"} 1\n"
       "rpc_duration_seconds_bucket{method=\"A/B\",le=\"0.25\"} 1\n"
       "rpc_duration_seconds_bucket{method=\"A/B\",le=\"+Inf\"} 3\n"
       "rpc_duration_seconds_sum{method=\"A/B\"} 2.75\n"
       "rpc_duration_seconds_count{method=\"A/B\"} 3\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RenderPrometheusText({c.family}), c.want);
  }
}

TEST(RenderPrometheusText, UnlabelledHistogramHasOnlyLe) {
  MetricFamilySnapshot h = Family("d_seconds", MetricType::kHistogram, {},
                                  {Buckets({}, {0, 1}, 0.5)});
  h.bucket_bounds = {0.1};
  EXPECT_EQ(RenderPrometheusText({h}),
            "# HELP d_seconds Help.\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.1\"} 0\n"
            "d_seconds_bucket{le=\"+Inf\"} 1\n"
            "d_seconds_sum 0.5\nd_seconds_count 1\n");
}

TEST(FormatMetricValue, WritesTheShortestExactText) {
  struct Case {
    double value;
    const char* want;
  };
  const Case cases[] = {
      {0, "0"},
      {42, "42"},
      {-7, "-7"},
      {0.1, "0.1"},
      {0.0025, "0.0025"},
      {1.0 / 3, "0.3333333333333333"},
      {1e20, "1e+20"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(FormatMetricValue(c.value), c.want);
  }
}

}  // namespace
}  // namespace coachd
