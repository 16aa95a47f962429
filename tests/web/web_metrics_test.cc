// The web gateway's GET /metrics (--metrics_listen), against a real
// coachd, redis-server and web_gateway (web_pages_fixture.h), spoken to
// over raw loopback HTTP; the exposition text is parsed by the independent
// parser of tests/common. Each counter moves when its event happens: a
// request by route and status, an event stream opening and closing, the
// messages written to a browser, a browser that stops reading cut off at
// --max_unsent_bytes, and the upstream session stream ending when coachd
// dies.
#include "clients/web/web_metrics.h"

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/common/prometheus_scrape.h"
#include "tests/web/web_pages_fixture.h"

namespace coachd {
namespace web_testing {
namespace {

class WebMetricsTest : public WebPagesTest {
 protected:
  // The gateway with metrics on a free port, and that port.
  void StartMeasuredGateway(const std::vector<std::string>& more) {
    const std::string file = dir_ + "/gateway_metrics.port";
    std::vector<std::string> args = {"--metrics_listen=127.0.0.1:0",
                                     "--metrics_port_file=" + file};
    args.insert(args.end(), more.begin(), more.end());
    ASSERT_NO_FATAL_FAILURE(StartGateway(args));
    std::ifstream in(file);  // Written before the HTTP port file.
    std::string text;
    std::getline(in, text);
    ASSERT_TRUE(
        absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &metrics_port_))
        << "metrics port file: \"" << text << "\"";
  }

  ScrapedMetrics Scrape() {
    absl::StatusOr<ScrapedMetrics> m = ScrapeMetrics(metrics_port_);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *std::move(m) : ScrapedMetrics{};
  }

  // Scrapes until `done` holds (counts follow the gateway's loop), at most
  // kCap; the last scrape.
  ScrapedMetrics ScrapeUntil(
      const std::function<bool(const ScrapedMetrics&)>& done) {
    ScrapedMetrics m;
    PollUntil([&] { return done(m = Scrape()); }, kCap);
    return m;
  }

  static double Requests(const ScrapedMetrics& m, const std::string& route,
                         int code) {
    const double v = m.Value("coachd_web_http_requests_total",
                             {{"route", route}, {"code", absl::StrCat(code)}});
    return v < 0 ? 0 : v;
  }

  static double Open(const ScrapedMetrics& m) {
    return m.Value("coachd_web_streams_open", {{"route", "events_display"}});
  }

  int metrics_port_ = 0;
};

TEST_F(WebMetricsTest,
       RequestsStreamsMessagesCutOffsAndUpstreamEndsAreCounted) {
  // Commands unlimited: the test makes its events with REPEAT.
  ASSERT_NO_FATAL_FAILURE(StartCoachd(
      "1",
      {"--max_commands_per_minute=0", "--max_commands_per_window=100000"}));
  ASSERT_NO_FATAL_FAILURE(StartMeasuredGateway({"--max_unsent_bytes=4096"}));
  ScrapedMetrics m = Scrape();
  EXPECT_EQ(m.types.at("coachd_web_http_requests_total"), "counter");
  EXPECT_EQ(m.types.at("coachd_web_http_request_duration_seconds"),
            "histogram");
  EXPECT_EQ(Open(m), 0);
  EXPECT_EQ(m.Value("coachd_web_events_sent_total"), 0);
  EXPECT_EQ(
      m.Value("coachd_web_streams_cut_total", {{"reason", "unsent_bytes"}}), 0);

  // Requests, by route and status; a path nobody routes is "other".
  ASSERT_EQ(HttpRequest(gateway_port_, "GET", "/healthz", {}, "")->status, 200);
  ASSERT_EQ(HttpRequest(gateway_port_, "GET", "/no/such/page", {}, "")->status,
            404);
  ASSERT_EQ(HttpRequest(gateway_port_, "POST", "/api/command",
                        {{"Origin", Url("")}}, "{}")
                ->status,
            401);
  const std::string alice = Token("alice", Role::kUser);
  const std::string cookie = LinkCookie(alice);  // POST /api/links, GET /link.
  ASSERT_FALSE(cookie.empty());
  m = Scrape();
  EXPECT_EQ(Requests(m, "healthz", 200), 1);
  EXPECT_EQ(Requests(m, "other", 404), 1);
  EXPECT_EQ(Requests(m, "api_command", 401), 1);
  EXPECT_EQ(Requests(m, "api_links", 200), 1);
  EXPECT_EQ(Requests(m, "link", 303), 1);
  EXPECT_EQ(m.Value("coachd_web_http_request_duration_seconds_count",
                    {{"route", "healthz"}}),
            1);
  // The gateway's channel connects at start, before any request needs
  // coachd, and is kept connected (MakeChannel).
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_upstream_connects_total") >= 1;
  });
  EXPECT_EQ(m.Value("coachd_web_upstream_connects_total"), 1);

  // An event stream counts as a 200 when it opens, and as open until it
  // ends. A browser that stops reading (a 4 KiB socket) while some 400
  // events pass is cut off at the 4 KiB bound.
  const coach::v1::SessionView view = StartSession(alice);
  const std::string path = "/events/display?session=" + view.session_id();
  auto command = [&](coach::v1::CommandType type) {
    Command(alice, view.session_id(), type);
  };
  command(coach::v1::COMMAND_TYPE_PAUSE);  // Only the test's events now.
  absl::StatusOr<std::unique_ptr<RawEventStream>> stalled =
      RawEventStream::Open(gateway_port_, path, {{"Cookie", cookie}}, 4096);
  ASSERT_TRUE(stalled.ok()) << stalled.status();
  auto has_session = [](const std::vector<RawEventStream::Message>& ms) {
    for (const RawEventStream::Message& msg : ms) {
      if (msg.event == "session") return true;
    }
    return false;
  };
  ASSERT_TRUE((*stalled)->ReadUntil(has_session, kCap));
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_events_sent_total") >= 1;
  });
  EXPECT_EQ(Open(m), 1);
  EXPECT_EQ(Requests(m, "events_display", 200), 1);
  EXPECT_EQ(m.Value("coachd_web_upstream_connects_total"), 1);
  EXPECT_EQ(
      m.Value("coachd_web_streams_cut_total", {{"reason", "unsent_bytes"}}), 0);
  const double sent = m.Value("coachd_web_events_sent_total");
  for (int i = 0; i < 400; ++i) command(coach::v1::COMMAND_TYPE_REPEAT);
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_streams_cut_total",
                   {{"reason", "unsent_bytes"}}) >= 1 &&
           s.Value("coachd_web_streams_open", {{"route", "events_display"}}) ==
               0;
  });
  EXPECT_EQ(
      m.Value("coachd_web_streams_cut_total", {{"reason", "unsent_bytes"}}), 1);
  EXPECT_EQ(m.Value("coachd_web_streams_cut_total", {{"reason", "queue"}}), 0);
  EXPECT_EQ(Open(m), 0);
  EXPECT_GT(m.Value("coachd_web_events_sent_total"), sent);
  EXPECT_LT(m.Value("coachd_web_events_sent_total"), sent + 400)
      << "every event was written to a browser that had stopped reading";

  // A browser that keeps its stream while coachd dies: the upstream
  // session stream ends UNAVAILABLE, and the channel tries to connect
  // again by itself, and fails; so does a browser that comes back.
  absl::StatusOr<std::unique_ptr<RawEventStream>> reader =
      RawEventStream::Open(gateway_port_, path, {{"Cookie", cookie}});
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->ReadUntil(has_session, kCap));
  EXPECT_EQ(Open(Scrape()), 1);
  coachd_.Kill();
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_upstream_streams_ended_total",
                   {{"stream", "session"}, {"code", "UNAVAILABLE"}}) >= 1;
  });
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_upstream_connect_failures_total") >= 1;
  });
  EXPECT_GE(m.Value("coachd_web_upstream_connect_failures_total"), 1);
  absl::StatusOr<std::unique_ptr<RawEventStream>> back =
      RawEventStream::Open(gateway_port_, path, {{"Cookie", cookie}});
  ASSERT_TRUE(back.ok()) << back.status();
  m = ScrapeUntil([](const ScrapedMetrics& s) {
    return s.Value("coachd_web_upstream_connect_failures_total") >= 1;
  });
  EXPECT_GE(m.Value("coachd_web_upstream_streams_ended_total",
                    {{"stream", "session"}, {"code", "UNAVAILABLE"}}),
            1);
  EXPECT_GE(m.Value("coachd_web_upstream_connect_failures_total"), 1);
}

TEST(WebRouteLabelTest, EachRouteHasItsLabelAndEverythingElseIsOther) {
  struct Case {
    const char* method;
    const char* path;
    const char* label;
  };
  const Case cases[] = {
      {"GET", "/", "root"},
      {"GET", "/display", "display"},
      {"HEAD", "/display", "display"},
      {"GET", "/coach", "coach"},
      {"GET", "/pair", "pair"},
      {"GET", "/static/app.css", "static"},
      {"GET", "/static/../secret", "static"},
      {"GET", "/healthz", "healthz"},
      {"GET", "/link", "link"},
      {"GET", "/events/display", "events_display"},
      {"GET", "/events/coach", "events_coach"},
      {"GET", "/events/follow", "events_follow"},
      {"GET", "/events/other", "other"},
      {"POST", "/api/command", "api_command"},
      {"POST", "/api/reminder", "api_reminder"},
      {"POST", "/api/cue", "api_cue"},
      {"POST", "/api/links", "api_links"},
      {"POST", "/api/pair/start", "api_pair_start"},
      {"POST", "/api/pair/poll", "api_pair_poll"},
      {"POST", "/api/logout", "api_logout"},
      {"POST", "/api/anything", "other"},
      {"GET", "/api/command", "other"},
      {"POST", "/display", "other"},
      {"OTHER", "/display", "other"},
      {"GET", "/wp-admin.php", "other"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.method, " ", c.path));
    EXPECT_EQ(WebRouteLabel(c.method, c.path), c.label);
  }
}

}  // namespace
}  // namespace web_testing
}  // namespace coachd
