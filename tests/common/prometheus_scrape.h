// For tests of a metrics endpoint: a plain HTTP/1.0 GET over a loopback
// socket, and a small parser of the Prometheus text format (0.0.4) that
// checks every line it reads, independent of the code that writes it.
//
//   absl::StatusOr<HttpReply> reply = HttpGet(port, "/metrics");
//   absl::StatusOr<ScrapedMetrics> m = ParsePrometheusText(reply->body);
//   double n = m->Value("coachd_rpc_requests_total",
//                       {{"method", "Catalog/ListExercises"}, {"code", "OK"}});
#ifndef TESTS_COMMON_PROMETHEUS_SCRAPE_H_
#define TESTS_COMMON_PROMETHEUS_SCRAPE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coachd {

// An HTTP reply: status code, Content-Type and body.
struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET `path` from 127.0.0.1:`port` (HTTP/1.0, read to the end; 5 s
// timeouts). UNAVAILABLE when it cannot connect, INTERNAL for a reply that
// is not HTTP.
absl::StatusOr<HttpReply> HttpGet(int port, absl::string_view path);

// Label name -> value (unescaped).
using MetricLabels = std::map<std::string, std::string>;

// What one scrape said.
struct ScrapedMetrics {
  // "name{a=\"x\",b=\"y\"}" (labels sorted by name, values unescaped) ->
  // value; SeriesKey spells the keys.
  std::map<std::string, double> series;
  // Family name -> "counter", "gauge", "histogram"... from # TYPE.
  std::map<std::string, std::string> types;

  // The series' value; -1 when absent (no metric here is negative).
  double Value(absl::string_view name, const MetricLabels& labels = {}) const;
};

// The key of a series in ScrapedMetrics::series.
std::string SeriesKey(absl::string_view name, const MetricLabels& labels);

// Parses `text`. INVALID_ARGUMENT naming the line for anything malformed: a
// bad name, a label without quotes, a bad escape, an unparsable value, a
// series written twice, a sample before its family's # TYPE.
absl::StatusOr<ScrapedMetrics> ParsePrometheusText(absl::string_view text);

// GET /metrics from 127.0.0.1:`port`, parsed: HttpGet's errors, INTERNAL
// for a status other than 200, ParsePrometheusText's errors (with the
// body).
absl::StatusOr<ScrapedMetrics> ScrapeMetrics(int port);

}  // namespace coachd

#endif  // TESTS_COMMON_PROMETHEUS_SCRAPE_H_
