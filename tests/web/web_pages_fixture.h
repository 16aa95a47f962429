// The fixture of the browser tests (web_pages_test.cc, web_streams_test.cc):
// a real redis-server, coachd on it and the web gateway as child processes
// on free loopback ports, and Debian's headless chromium driven through
// tests/web/driver.js. Sessions play at --time_scale, so waits are short;
// every wait polls under a cap. Screenshots go to a temporary folder, or to
// $COACHD_SCREENSHOTS_DIR (docs/images when refreshing the README's).
#ifndef TESTS_WEB_WEB_PAGES_FIXTURE_H_
#define TESTS_WEB_WEB_PAGES_FIXTURE_H_

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/redis_server.h"
#include "tests/web/web_harness.h"

namespace coachd {
namespace web_testing {

inline constexpr char kSecret[] = "web-pages-test-secret";
inline constexpr absl::Duration kCap = absl::Seconds(60);

inline constexpr char kCountdown[] =
    "document.getElementById('countdown').textContent";
inline constexpr char kSeq[] = "window.coachdDisplay.seq";

class WebPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/web_pages_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/secret") << kSecret;
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    const char* shots = std::getenv("COACHD_SCREENSHOTS_DIR");
    shots_ = shots != nullptr ? shots : dir_;
  }

  // coachd on Redis, sessions `scale` times faster, with `more` flags; on
  // `port` (0: a free one, then kept for restarts).
  void StartCoachd(const std::string& scale,
                   const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {
        std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
        absl::StrCat("--listen=127.0.0.1:", coachd_port_),
        "--auth_secret_file=" + dir_ + "/secret",
        "--redis=" + redis_->url(),
        "--time_scale=" + scale,
        "--lease_ttl=1s",
        "--port_file=" + dir_ + "/coachd.port"};
    args.insert(args.end(), more.begin(), more.end());
    absl::StatusOr<int> port =
        coachd_.Start(args, dir_ + "/coachd.log", dir_ + "/coachd.port");
    ASSERT_TRUE(port.ok()) << port.status();
    coachd_port_ = *port;
    scale_ = scale;
    if (channel_ == nullptr) {
      channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                     grpc::InsecureChannelCredentials());
      sessions_ = coach::v1::SessionService::NewStub(channel_);
      scheduler_ = coach::v1::SchedulerService::NewStub(channel_);
      coaches_ = coach::v1::CoachService::NewStub(channel_);
    }
  }

  // The gateway, with `more` flags.
  void StartGateway(const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {
        std::string(COACHD_BINARY_DIR) + "/clients/web/web_gateway",
        absl::StrCat("--listen=127.0.0.1:", gateway_port_),
        absl::StrCat("--coachd=127.0.0.1:", coachd_port_),
        "--sessions_file=" + dir_ + "/web_sessions",
        "--retry_ms=500",
        "--port_file=" + dir_ + "/gateway.port"};
    args.insert(args.end(), more.begin(), more.end());
    absl::StatusOr<int> port =
        gateway_.Start(args, dir_ + "/gateway.log", dir_ + "/gateway.port");
    ASSERT_TRUE(port.ok()) << port.status();
    gateway_port_ = *port;
  }

  void StartBrowser() {
    absl::StatusOr<std::unique_ptr<Browser>> browser =
        Browser::Start(dir_ + "/browser.log");
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = *std::move(browser);
  }

  void StartAll(const std::string& scale) {
    ASSERT_NO_FATAL_FAILURE(StartCoachd(scale));
    ASSERT_NO_FATAL_FAILURE(StartGateway());
    ASSERT_NO_FATAL_FAILURE(StartBrowser());
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", gateway_port_, path);
  }

  static std::string Token(const std::string& sub, Role role) {
    return MintToken(kSecret, {sub, role}, absl::Now(),
                     absl::Now() + absl::Hours(1));
  }

  // A one-time link for `token`, made the way an app would.
  std::string MakeLink(const std::string& token) {
    absl::StatusOr<HttpAnswer> answer =
        HttpRequest(gateway_port_, "POST", "/api/links",
                    {{"Authorization", "Bearer " + token}}, "{}");
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return "";
    EXPECT_EQ(answer->status, 200) << answer->body;
    google::protobuf::Struct parsed;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(answer->body, &parsed)
            .ok());
    return parsed.fields().at("url").string_value();
  }

  // The cookie ("coachd_web=...") a browser gets by following a link for
  // `token`; empty (and a failure) when there is none.
  std::string LinkCookie(const std::string& token) {
    absl::StatusOr<HttpAnswer> linked =
        HttpRequest(gateway_port_, "GET", MakeLink(token), {}, "");
    EXPECT_TRUE(linked.ok()) << linked.status();
    if (!linked.ok()) return "";
    const size_t at = linked->head.find("coachd_web=");
    EXPECT_NE(at, std::string::npos) << linked->head;
    if (at == std::string::npos) return "";
    return linked->head.substr(at, linked->head.find(';', at) - at);
  }

  // Opens page `name` through a link for `token`: the browser context gets
  // the cookie; then goes to `path`.
  void OpenAs(const std::string& name, const std::string& token,
              const std::string& path) {
    ASSERT_TRUE(browser_->Open(name, Url(MakeLink(token))).ok());
    ASSERT_TRUE(browser_->Goto(name, Url(path)).ok());
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return context;
  }

  // Starts `request` (by default the "demo" preset) for `token`.
  coach::v1::SessionView StartSession(
      const std::string& token, coach::v1::StartSessionRequest request = {}) {
    if (request.routine_source_case() ==
        coach::v1::StartSessionRequest::ROUTINE_SOURCE_NOT_SET) {
      request.set_routine_id("demo");
    }
    coach::v1::SessionView view;
    grpc::Status s =
        sessions_->StartSession(Context(token).get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  coach::v1::SessionView GetSession(const std::string& token,
                                    const std::string& id) {
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    coach::v1::SessionView view;
    grpc::Status s =
        sessions_->GetSession(Context(token).get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  // Sends `type` to session `session_id` as `token`, with a fresh command
  // id; the session's last sequence after it.
  int64_t Command(const std::string& token, const std::string& session_id,
                  coach::v1::CommandType type) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(session_id);
    request.set_command_id(absl::StrCat("c", ++commands_));
    request.set_command(type);
    coach::v1::SendCommandResponse response;
    grpc::Status s =
        sessions_->SendCommand(Context(token).get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.last_sequence();
  }

  void Shot(const std::string& page, const std::string& name) {
    absl::Status s = browser_->Screenshot(page, shots_ + "/" + name);
    EXPECT_TRUE(s.ok()) << s;
  }

  // What the page shows (for failure messages).
  std::string Describe(const std::string& page) {
    return browser_->EvalString(
        page,
        "JSON.stringify({run: document.body.dataset.run, step: "
        "document.body.dataset.step, title: "
        "(document.getElementById('title')||{}).textContent, countdown: "
        "(document.getElementById('countdown')||{}).textContent, seen: "
        "(window.coachdDisplay||{}).seen, notice: "
        "(document.getElementById('notice')||{}).textContent})");
  }

  // Taps "next" on page `page` and waits until the page hears the event it
  // makes.
  void TapNext(const std::string& page) {
    const double seq = browser_->EvalNumber(page, kSeq);
    ASSERT_TRUE(browser_->Click(page, "button[data-command=next]").ok());
    ASSERT_TRUE(
        browser_->Wait(page, absl::StrCat(kSeq, " > ", seq), absl::Seconds(10))
            .ok())
        << Describe(page);
  }

  // "ok N" when page `page` showed a snapshot first, then every session
  // sequence after it once, in order, up to N; else where it broke.
  std::string SeenOnce(const std::string& page) {
    return browser_->EvalString(
        page,
        "(() => { const s = window.coachdDisplay.seen;"
        " if (typeof s[0] !== 'string') return 'no snapshot first: ' + s[0];"
        " let at = Number(s[0].split(':')[1]);"
        " for (let i = 1; i < s.length; i++) {"
        "   if (s[i] !== at + 1) return 'at ' + i + ': ' + s[i] + ' after ' + "
        "at;"
        "   at = s[i]; }"
        " return 'ok ' + at; })()");
  }

  std::string dir_;
  std::string shots_;
  std::string scale_;
  std::unique_ptr<RedisServer> redis_;
  Child coachd_;
  Child gateway_;
  int coachd_port_ = 0;
  int gateway_port_ = 0;
  int commands_ = 0;  // Command ids sent.
  std::unique_ptr<Browser> browser_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches_;
};

}  // namespace web_testing
}  // namespace coachd

#endif  // TESTS_WEB_WEB_PAGES_FIXTURE_H_
