// The long-lived clients through a restarted nginx (issue 17's fault), as
// deployed: deploy/nginx/coachd-tls.conf in front of a coachd process, TLS with
// a test CA, each client on a channel made by MakeChannel
// (clients/common/client_auth.h) the way its main makes it. nginx is stopped
// and kept down until a call through each channel has failed (the channels have
// tried to connect and failed: TRANSIENT_FAILURE, where synchronous calls fail
// at once), then started again; the session ends at once, and each client must
// see the end within seconds.
//
// Before MakeChannel kept its channel polled (channel_watch.h), the display
// of the long chaos run saw it after 124 s, and here neither client saw it
// within the bound.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/coach/live_watcher.h"
#include "clients/common/client_auth.h"
#include "clients/common/session_follower.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/metrics/metrics.h"
#include "tests/common/child_process.h"
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/nginx_server.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

// How soon after nginx accepts again a client must see the session's end:
// the channel's reconnect backoff (at most 2 s) plus the client's (1 s
// here), with room for a loaded machine. Without the keeper a TLS
// handshake waits on gRPC's 5 s backup polls and takes 20 s or more.
constexpr absl::Duration kBound = absl::Seconds(8);

// What one client thread ends with, and when.
struct Outcome {
  absl::Mutex mu;
  bool started ABSL_GUARDED_BY(mu) = false;  // Its first message arrived.
  bool ended ABSL_GUARDED_BY(mu) = false;    // Run returned.
  absl::Status status ABSL_GUARDED_BY(mu);
  absl::Time at ABSL_GUARDED_BY(mu);  // When Run returned.

  void Start() {
    absl::MutexLock lock(&mu);
    started = true;
  }
  void End(absl::Status s) {
    absl::MutexLock lock(&mu);
    ended = true;
    status = std::move(s);
    at = absl::Now();
  }
  bool AwaitStarted(absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    return mu.AwaitWithTimeout(absl::Condition(&started), timeout);
  }
  bool AwaitEnded(absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    return mu.AwaitWithTimeout(absl::Condition(&ended), timeout);
  }
};

// Whether `condition` holds within `timeout` (looked at every 20 ms).
bool Eventually(absl::Duration timeout,
                const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

class NginxRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_restart_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    TestPki pki(dir_);
    ASSERT_TRUE(pki.MakeCa("ca") && pki.MakeLeaf("server", "ca"))
        << "openssl could not make the test CA";
    ca_file_ = pki.Path("ca.pem");

    // coachd in its own process: an in-process server's polling threads
    // would also drive the clients' connection attempts (gRPC polls every
    // descriptor of the process from any polling thread), and hide the
    // fault.
    std::ofstream(dir_ + "/secret") << kTestSecret << "\n";
    const std::string port_file = dir_ + "/coachd.port";
    auto child = ChildProcess::Start(
        {std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
         "--auth_secret_file=" + dir_ + "/secret", "--listen=127.0.0.1:0",
         "--port_file=" + port_file, "--max_commands_per_minute=0"},
        dir_ + "/coachd.log");
    ASSERT_TRUE(child.ok()) << child.status();
    coachd_ = *std::move(child);
    absl::StatusOr<int> coachd_port =
        WaitForPortFile(*coachd_, port_file, absl::Seconds(30));
    ASSERT_TRUE(coachd_port.ok()) << coachd_port.status();
    coachd_port_ = *coachd_port;

    port_ = PickFreeLoopbackPort();
    ASSERT_GT(port_, 0);
    auto nginx = NginxServer::StartTls(
        dir_, pki.Path("server.pem"), pki.Path("server.key"),
        absl::StrCat("127.0.0.1:", coachd_port_), port_);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = *std::move(nginx);
    direct_ = std::make_unique<CoachTestClient>(coachd_port_, &clock_);
  }

  void TearDown() override {
    nginx_.reset();
    direct_.reset();
    coachd_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // A client's channel through nginx, as its main makes it.
  std::shared_ptr<grpc::Channel> ClientChannel() {
    return MakeChannel(absl::StrCat("127.0.0.1:", port_),
                       ClientTls{ca_file_, "", ""});
  }

  std::string Token(const std::string& sub, Role role) {
    return MintToken(kTestSecret, Identity{sub, role}, clock_.Now(),
                     clock_.Now() + absl::Hours(24));
  }

  // Whether a unary call through `channel` fails now (within 2 s).
  bool CallFails(const std::shared_ptr<grpc::Channel>& channel) {
    auto context = TokenContext("alice", Role::kUser, clock_.Now());
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(2));
    coach::v1::ListExercisesResponse unused;
    return !coach::v1::CatalogService::NewStub(channel)
                ->ListExercises(context.get(), {}, &unused)
                .ok();
  }

  RealClock clock_;  // Tokens for coachd's own clock.
  std::string dir_;
  std::string ca_file_;
  int port_ = 0;  // nginx's TLS port.
  int coachd_port_ = 0;
  std::unique_ptr<ChildProcess> coachd_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<CoachTestClient> direct_;  // To coachd, not through nginx.
};

TEST_F(NginxRestartTest,
       ADisplayAndACoachSeeTheSessionEndSoonAfterNginxIsBack) {
  ASSERT_TRUE(direct_->Link("alice", "carol").ok());
  const coach::v1::SessionView view = direct_->Start("alice");

  // The display: a SessionFollower, as clients/display and clients/voice.
  std::shared_ptr<grpc::Channel> display_channel = ClientChannel();
  Counter display_reopens;
  FollowerOptions follow;
  follow.max_backoff = absl::Seconds(1);
  follow.reconnects = &display_reopens;
  SessionFollower display(display_channel, Token("alice", Role::kDevice),
                          view.session_id(), coach::v1::DEVICE_KIND_DISPLAY,
                          follow);
  Outcome shown;
  std::thread display_thread([&] {
    shown.End(
        display.Run([&](const coach::v1::SessionEvent&) { shown.Start(); }));
  });

  // The coach's console: a LiveWatcher until the session's end.
  std::shared_ptr<grpc::Channel> coach_channel = ClientChannel();
  WatcherOptions watch;
  watch.max_backoff = absl::Seconds(1);
  LiveWatcher coach(coach_channel, Token("carol", Role::kCoach), watch);
  Outcome watched;
  std::thread coach_thread([&] {
    watched.End(coach.Run([&](const coach::v1::LiveUpdate& update) {
      watched.Start();
      return update.kind() != coach::v1::LIVE_UPDATE_KIND_ENDED;
    }));
  });

  const bool both_started = shown.AwaitStarted(absl::Seconds(30)) &&
                            watched.AwaitStarted(absl::Seconds(30));
  if (!both_started) {
    display.Stop();
    coach.Stop();
    display_thread.join();
    coach_thread.join();
    FAIL() << "the clients saw nothing through nginx\n" << nginx_->Output();
  }

  // Down until each channel has failed a call and the display has tried
  // to reopen its stream twice (both failed).
  nginx_->Stop();
  EXPECT_TRUE(Eventually(absl::Seconds(30), [&] {
    return CallFails(display_channel) && CallFails(coach_channel) &&
           display_reopens.value() >= 2;
  })) << "calls kept succeeding with nginx down";
  const absl::Status started = nginx_->StartAgain();
  ASSERT_TRUE(started.ok()) << started;
  const absl::Time back = absl::Now();
  direct_->Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_END);

  const bool display_ended = shown.AwaitEnded(kBound);
  const bool coach_ended = watched.AwaitEnded(kBound);
  display.Stop();
  coach.Stop();
  display_thread.join();
  coach_thread.join();
  EXPECT_TRUE(display_ended)
      << "the display did not see the end within " << kBound;
  EXPECT_TRUE(coach_ended) << "the coach did not see the end within " << kBound;
  absl::MutexLock display_lock(&shown.mu);
  absl::MutexLock coach_lock(&watched.mu);
  if (display_ended) {
    EXPECT_TRUE(shown.status.ok()) << shown.status;
    std::cout << "display saw the end " << (shown.at - back)
              << " after nginx was back\n";
  }
  if (coach_ended) {
    EXPECT_TRUE(watched.status.ok()) << watched.status;
    std::cout << "coach saw the end " << (watched.at - back)
              << " after nginx was back\n";
  }
}

}  // namespace
}  // namespace coachd
