#include "services/metrics/metrics_http_server.h"

#include <atomic>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/metrics/metrics.h"
#include "tests/common/prometheus_scrape.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(ParseListenAddress, AcceptsHostPortAndNamesTheFlagOtherwise) {
  struct Case {
    const char* address;
    bool ok;
    const char* host;
    int port;
  };
  const Case cases[] = {
      {"127.0.0.1:9464", true, "127.0.0.1", 9464},
      {"[::1]:0", true, "::1", 0},
      {"localhost:80", true, "localhost", 80},
      {"9464", false, "", 0},
      {":9464", false, "", 0},
      {"127.0.0.1:", false, "", 0},
      {"127.0.0.1:65536", false, "", 0},
      {"127.0.0.1:x", false, "", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    std::string host;
    int port = -1;
    absl::Status status =
        ParseListenAddress("--metrics_listen", c.address, &host, &port);
    if (c.ok) {
      ASSERT_TRUE(status.ok()) << status;
      EXPECT_EQ(host, c.host);
      EXPECT_EQ(port, c.port);
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(status.message(), HasSubstr("--metrics_listen"));
    }
  }
}

TEST(MetricsHttpServer, ServesTheRegistryAtMetricsAndNothingElse) {
  MetricsRegistry registry;
  Counter* scrapes =
      registry.AddCounter("scrapes_total", "Scrapes.")->WithLabels({});
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
      MetricsHttpServer::Start("127.0.0.1:0", [&] {
        scrapes->Increment();
        return RenderPrometheusText(registry.Collect());
      });
  ASSERT_TRUE(http.ok()) << http.status();
  ASSERT_GT((*http)->port(), 0);

  absl::StatusOr<HttpReply> reply = HttpGet((*http)->port(), "/metrics");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->content_type, "text/plain; version=0.0.4; charset=utf-8");
  absl::StatusOr<ScrapedMetrics> parsed = ParsePrometheusText(reply->body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("scrapes_total"), 1);
  EXPECT_EQ(parsed->types.at("scrapes_total"), "counter");

  absl::StatusOr<HttpReply> missing = HttpGet((*http)->port(), "/other");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(scrapes->value(), 1);  // A 404 renders nothing.

  absl::StatusOr<HttpReply> again = HttpGet((*http)->port(), "/metrics?x=1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ParsePrometheusText(again->body)->Value("scrapes_total"), 2);
}

TEST(MetricsHttpServer, StopsAndFreesThePort) {
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
      MetricsHttpServer::Start("127.0.0.1:0", [] { return std::string(); });
  ASSERT_TRUE(http.ok()) << http.status();
  const int port = (*http)->port();
  (*http)->Stop();
  EXPECT_EQ(HttpGet(port, "/metrics").status().code(),
            absl::StatusCode::kUnavailable);
  (*http)->Stop();  // Idempotent.
  http->reset();
  EXPECT_EQ(HttpGet(port, "/metrics").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(MetricsHttpServer, RefusesABadOrTakenAddress) {
  EXPECT_EQ(MetricsHttpServer::Start("nonsense", [] { return std::string(); })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> first =
      MetricsHttpServer::Start("127.0.0.1:0", [] { return std::string(); });
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsHttpServer>> second =
      MetricsHttpServer::Start("127.0.0.1:" + std::to_string((*first)->port()),
                               [] { return std::string(); });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("--metrics_listen"));
}

TEST(ParsePrometheusText, RefusesMalformedLines) {
  const char* bad[] = {
      "x 1\n",                             // No # TYPE.
      "# TYPE x gauge\nx{a=b} 1\n",        // Unquoted value.
      "# TYPE x gauge\nx{a=\"\\q\"} 1\n",  // Bad escape.
      "# TYPE x gauge\nx one\n",           // Bad value.
      "# TYPE x gauge\nx 1\nx 2\n",        // Twice.
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParsePrometheusText(text).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace coachd
