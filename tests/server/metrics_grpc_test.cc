// coachd's GET /metrics over real HTTP on loopback, with RPCs over real gRPC
// on port 0: the exposition text parses (an independent parser in
// tests/common), and each counter moves when, and only when, its event
// happens.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/metrics/metrics.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/prometheus_scrape.h"

namespace coachd {
namespace {

constexpr char kStart[] = "SessionService/StartSession";
constexpr char kList[] = "CatalogService/ListExercises";

class MetricsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.metrics = &registry_;
    options.metrics_listen = "127.0.0.1:0";
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->metrics_port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel_);
    catalog_ = coach::v1::CatalogService::NewStub(channel_);
  }

  ScrapedMetrics Scrape() {
    absl::StatusOr<HttpReply> reply =
        HttpGet(server_->metrics_port(), "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return {};
    EXPECT_EQ(reply->status, 200);
    absl::StatusOr<ScrapedMetrics> parsed = ParsePrometheusText(reply->body);
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << reply->body;
    return parsed.ok() ? *std::move(parsed) : ScrapedMetrics{};
  }

  grpc::Status StartSession(const std::string& routine,
                            coach::v1::SessionView* view) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id(routine);
    auto context = TokenContext("alice", Role::kUser, clock_.Now());
    return sessions_->StartSession(context.get(), request, view);
  }

  // A series absent from a scrape has not moved yet: 0.
  static double Count(const ScrapedMetrics& m, const std::string& name,
                      const MetricLabels& labels = {}) {
    const double v = m.Value(name, labels);
    return v < 0 ? 0 : v;
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};
  MetricsRegistry registry_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CatalogService::Stub> catalog_;
};

TEST_F(MetricsGrpcTest, EachRpcMovesExactlyItsMethodAndCodeCounter) {
  const ScrapedMetrics before = Scrape();
  EXPECT_EQ(before.types.at("coachd_rpc_requests_total"), "counter");
  EXPECT_EQ(before.types.at("coachd_rpc_duration_seconds"), "histogram");

  coach::v1::SessionView view;
  const grpc::Status failed = StartSession("no-such-routine", &view);
  ASSERT_EQ(failed.error_code(), grpc::StatusCode::NOT_FOUND);
  coach::v1::ListExercisesResponse exercises;
  auto context = TokenContext("alice", Role::kUser, clock_.Now());
  ASSERT_TRUE(catalog_
                  ->ListExercises(context.get(),
                                  coach::v1::ListExercisesRequest(), &exercises)
                  .ok());

  const ScrapedMetrics after = Scrape();
  const MetricLabels start_not_found = {{"method", kStart},
                                        {"code", "NOT_FOUND"}};
  const MetricLabels list_ok = {{"method", kList}, {"code", "OK"}};
  // Exactly those two request counters moved, by one each; the process's
  // other series (other tests' RPCs) stayed where they were.
  for (const auto& [key, value] : after.series) {
    if (!absl::StartsWith(key, "coachd_rpc_requests_total")) continue;
    SCOPED_TRACE(key);
    const double was = before.series.count(key) ? before.series.at(key) : 0;
    if (key == SeriesKey("coachd_rpc_requests_total", start_not_found) ||
        key == SeriesKey("coachd_rpc_requests_total", list_ok)) {
      EXPECT_EQ(value, was + 1);
    } else {
      EXPECT_EQ(value, was);
    }
  }
  EXPECT_GE(after.Value("coachd_rpc_requests_total", list_ok), 1);
  EXPECT_EQ(Count(after, "coachd_rpc_requests_total",
                  {{"method", kStart}, {"code", "OK"}}),
            Count(before, "coachd_rpc_requests_total",
                  {{"method", kStart}, {"code", "OK"}}));
  for (const char* method : {kStart, kList}) {
    SCOPED_TRACE(method);
    const MetricLabels m = {{"method", method}};
    EXPECT_EQ(Count(after, "coachd_rpc_duration_seconds_count", m),
              Count(before, "coachd_rpc_duration_seconds_count", m) + 1);
    EXPECT_EQ(Count(after, "coachd_rpc_duration_seconds_bucket",
                    {{"method", method}, {"le", "+Inf"}}),
              Count(after, "coachd_rpc_duration_seconds_count", m));
  }
  // A failed start commits nothing.
  EXPECT_EQ(Count(after, "coachd_session_commits_total"), 0);
}

TEST_F(MetricsGrpcTest, SessionsStreamsAndEventsAreCountedWhereTheyHappen) {
  const ScrapedMetrics before = Scrape();
  EXPECT_EQ(before.Value("coachd_sessions_followed"), 0);
  EXPECT_EQ(before.Value("coachd_sessions_driven"), 0);
  EXPECT_EQ(before.Value("coachd_session_commits_total"), 0);
  EXPECT_EQ(before.types.at("coachd_streams_open"), "gauge");

  coach::v1::SessionView view;
  ASSERT_TRUE(StartSession("demo", &view).ok());
  coach::v1::SubscribeRequest request;
  request.set_session_id(view.session_id());
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  auto context = TokenContext("alice", Role::kDevice, clock_.Now());
  std::unique_ptr<grpc::ClientReader<coach::v1::SessionEvent>> reader =
      sessions_->Subscribe(context.get(), request);
  coach::v1::SessionEvent first;
  ASSERT_TRUE(reader->Read(&first));  // The snapshot: the stream is open.

  const ScrapedMetrics during = Scrape();
  EXPECT_EQ(during.Value("coachd_session_commits_total"), 1);
  EXPECT_EQ(during.Value("coachd_session_events_published_total"),
            view.last_sequence());
  EXPECT_EQ(during.Value("coachd_sessions_driven"), 1);
  EXPECT_EQ(during.Value("coachd_sessions_followed"), 1);
  EXPECT_EQ(during.Value("coachd_streams_open",
                         {{"method", "SessionService/Subscribe"}}),
            1);
  // Counted when coachd's write completes, which may come just after the
  // client has read the event: scrape again, a bounded number of times.
  ScrapedMetrics delivered = during;
  for (int i = 0;
       i < 200 && delivered.Value("coachd_session_events_delivered_total") < 1;
       ++i) {
    delivered = Scrape();
  }
  EXPECT_GE(delivered.Value("coachd_session_events_delivered_total"), 1);
  // The embedded backend has no Redis counters.
  EXPECT_EQ(during.types.count("coachd_redis_round_trips_total"), 0u);

  context->TryCancel();
  while (reader->Read(&first)) {
  }
  reader->Finish();
}

TEST_F(MetricsGrpcTest, OtherPathsAre404AndTheTypeIsTheFormats) {
  absl::StatusOr<HttpReply> metrics =
      HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* path : {"/", "/metrics/x", "/healthz"}) {
    SCOPED_TRACE(path);
    absl::StatusOr<HttpReply> reply = HttpGet(server_->metrics_port(), path);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->status, 404);
  }
}

TEST_F(MetricsGrpcTest, ShutdownClosesTheEndpoint) {
  const int port = server_->metrics_port();
  server_->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(HttpGet(port, "/metrics").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(MetricsServerStart, ABadMetricsAddressNamesTheFlag) {
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  ServerOptions options = LoopbackServerOptions(&clock);
  options.metrics_listen = "no-port";
  auto server = CoachServer::Start(std::move(options));
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "--metrics_listen"))
      << server.status();
}

}  // namespace
}  // namespace coachd
