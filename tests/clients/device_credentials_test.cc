// The client side of pairing against a whole coachd over real gRPC: a
// device pairs (the code shown, approved by the person), keeps its
// credentials in a mode 0600 file, refreshes before expiry, and a session
// follower whose token expires mid-stream refreshes and resumes with every
// event once, and the speaker's commands refresh an expired token too. The
// server's FakeClock starts at the real time, since the
// client compares expiries with it.
#include "clients/common/device_credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/common/client_auth.h"
#include "clients/common/session_follower.h"
#include "clients/voice/command_sender.h"
#include "coach/v1/auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

class DeviceCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.pairing.access_lifetime = absl::Minutes(1);
    options.pairing.poll_interval = absl::ZeroDuration();
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = MakeChannel(absl::StrCat("127.0.0.1:", server_->port()));
    char dir[] = "/tmp/coachd-credentials-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/speaker.json";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // The person approves `code` (as coachctl pair approve does).
  void ApproveAs(const std::string& person, const std::string& code) {
    auto auth = coach::v1::AuthService::NewStub(channel_);
    coach::v1::ApprovePairingRequest request;
    request.set_user_code(code);
    request.set_name("kitchen speaker");
    request.set_kind(coach::v1::PAIRED_KIND_SPEAKER);
    coach::v1::ApprovePairingResponse response;
    auto context = TokenContext(person, Role::kUser, clock_.Now());
    grpc::Status s = auth->ApprovePairing(context.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  std::unique_ptr<DeviceCredentials> PairNow(CredentialsOptions options = {}) {
    absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
        DeviceCredentials::Pair(
            channel_, path_, "speaker",
            [&](const PairingPrompt& prompt) {
              shown_ = prompt.user_code;
              ApproveAs("alice", prompt.user_code);
            },
            {}, options);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return credentials.ok() ? *std::move(credentials) : nullptr;
  }

  // Starts the demo routine as the paired device.
  coach::v1::SessionView StartDemo(DeviceCredentials& credentials) {
    auto sessions = coach::v1::SessionService::NewStub(channel_);
    coach::v1::StartSessionRequest start;
    start.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::ClientContext context;
    AddToken(&context, *credentials.AccessToken());
    grpc::Status s = sessions->StartSession(&context, start, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  FakeClock clock_{absl::Now()};
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string dir_;
  std::string path_;
  std::string shown_;
};

TEST_F(DeviceCredentialsTest, PairingShowsTheCodeAndSavesAPrivateFile) {
  std::unique_ptr<DeviceCredentials> credentials = PairNow();
  ASSERT_NE(credentials, nullptr);
  EXPECT_EQ(shown_.size(), 8u);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  absl::StatusOr<std::string> token = credentials->AccessToken();
  ASSERT_TRUE(token.ok());
  absl::StatusOr<Identity> who =
      server_->auth().keys()->Verify(*token, clock_.Now());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->subject, "alice");
  EXPECT_EQ(who->device_id, credentials->device_id());

  // A restart loads the same device.
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> loaded =
      DeviceCredentials::Load(channel_, path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->device_id(), credentials->device_id());
  EXPECT_TRUE(absl::IsNotFound(
      DeviceCredentials::Load(channel_, dir_ + "/none.json").status()));
}

TEST_F(DeviceCredentialsTest, ADeniedPairingIsReported) {
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
      DeviceCredentials::Pair(
          channel_, path_, "speaker", [&](const PairingPrompt& prompt) {
            auto auth = coach::v1::AuthService::NewStub(channel_);
            coach::v1::DenyPairingRequest request;
            request.set_user_code(prompt.user_code);
            coach::v1::DenyPairingResponse response;
            auto context = TokenContext("alice", Role::kUser, clock_.Now());
            ASSERT_TRUE(
                auth->DenyPairing(context.get(), request, &response).ok());
          });
  EXPECT_TRUE(absl::IsPermissionDenied(credentials.status()));
  EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

TEST_F(DeviceCredentialsTest, TokensAreRefreshedBeforeTheyExpire) {
  CredentialsOptions options;
  options.refresh_before = absl::Seconds(10);
  std::unique_ptr<DeviceCredentials> credentials = PairNow(options);
  ASSERT_NE(credentials, nullptr);
  const std::string first = *credentials->AccessToken();
  EXPECT_EQ(*credentials->AccessToken(), first);  // Still fresh.
  clock_.Advance(absl::Seconds(55));              // Server-side time for iat.
  // 10 s before expiry (by the real clock the client reads) it refreshes:
  // made so by asking for a margin longer than the lifetime left.
  CredentialsOptions eager;
  eager.refresh_before = absl::Minutes(2);
  absl::StatusOr<std::unique_ptr<DeviceCredentials>> reloaded =
      DeviceCredentials::Load(channel_, path_, eager);
  ASSERT_TRUE(reloaded.ok());
  const std::string second = *(*reloaded)->AccessToken();
  EXPECT_NE(second, first);
  // The file holds the rotated refresh token: the old one is spent.
  EXPECT_EQ(LoadCredentials(path_)->access_token(), second);
}

// The fake clock never runs ahead of the follower: after each second of
// session time the test waits until the follower holds every event coachd
// has. So a refreshed token's resumed stream receives its events before the
// clock can move past that token's expiry, however loaded the machine is.
TEST_F(DeviceCredentialsTest,
       AFollowerWhoseTokenExpiresRefreshesAndResumesWithEveryEventOnce) {
  CredentialsOptions options;
  options.refresh_before = absl::Seconds(10);
  std::unique_ptr<DeviceCredentials> credentials = PairNow(options);
  ASSERT_NE(credentials, nullptr);
  auto sessions = coach::v1::SessionService::NewStub(channel_);
  const coach::v1::SessionView view = StartDemo(*credentials);
  ASSERT_FALSE(view.session_id().empty());
  FollowerOptions follow;
  follow.from_start = true;
  SessionFollower follower(channel_, credentials->Provider(), view.session_id(),
                           coach::v1::DEVICE_KIND_VOICE, follow);
  std::vector<int64_t> sequences;
  absl::Mutex mu;
  absl::Status result;
  std::atomic<bool> done{false};
  std::thread reader([&] {
    result = follower.Run([&](const coach::v1::SessionEvent& e) {
      absl::MutexLock lock(&mu);
      sequences.push_back(e.has_snapshot() ? -e.sequence() : e.sequence());
    });
    done = true;
  });
  // The session's last sequence as coachd has it (a person's own token,
  // valid for a day of fake time).
  auto coachd_last = [&]() -> int64_t {
    coach::v1::GetSessionRequest get;
    get.set_session_id(view.session_id());
    coach::v1::SessionView now;
    auto context = TokenContext("alice", Role::kUser, clock_.Now());
    grpc::Status s = sessions->GetSession(context.get(), get, &now);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return s.ok() ? now.last_sequence() : -1;
  };
  // Waits (bounded) until the follower has every event coachd has, or ended.
  auto caught_up = [&]() -> bool {
    const int64_t want = coachd_last();
    const absl::Time bound = absl::Now() + absl::Seconds(20);
    while (absl::Now() < bound) {
      {
        absl::MutexLock lock(&mu);
        if (!sequences.empty() && std::abs(sequences.back()) >= want) {
          return true;
        }
      }
      if (done) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return false;
  };
  ASSERT_TRUE(caught_up()) << "no event reached the follower";
  // A minute into the session the paired token expires: the stream ends
  // and the follower refreshes by itself, then resumes; the session plays
  // on to its end (a refreshed token lives a minute too, so this repeats).
  int played = 0;
  for (; played < 7200 && !done; ++played) {
    clock_.Advance(absl::Seconds(1));
    server_->RunDueTimersForTest();
    if (!caught_up() && !done) break;
  }
  const absl::Time end_bound = absl::Now() + absl::Seconds(20);
  while (!done && absl::Now() < end_bound)
    absl::SleepFor(absl::Milliseconds(1));
  if (!done) follower.Stop();
  reader.join();
  EXPECT_TRUE(result.ok()) << result << " after " << played << " s";
  EXPECT_GE(follower.refreshes(), 1);
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(sequences.empty());
  for (size_t i = 0; i < sequences.size(); ++i) {
    ASSERT_EQ(sequences[i], static_cast<int64_t>(i + 1)) << "at " << i;
  }
  EXPECT_EQ(sequences.back(), coachd_last());
}

// The speaker's typed and spoken commands go through one CommandSender: its
// token expires like the streams' and it refreshes it the same way, sending
// the refused command again under the same id (applied once).
TEST_F(DeviceCredentialsTest, CommandsRefreshAnExpiredTokenAndAreAppliedOnce) {
  // Refreshed 10 s before expiry by the client's clock: a minute's token
  // looks fresh to it.
  CredentialsOptions options;
  options.refresh_before = absl::Seconds(10);
  std::unique_ptr<DeviceCredentials> credentials = PairNow(options);
  ASSERT_NE(credentials, nullptr);
  auto sessions = coach::v1::SessionService::NewStub(channel_);
  const coach::v1::SessionView view = StartDemo(*credentials);
  ASSERT_FALSE(view.session_id().empty());
  CommandSender sender(channel_, credentials->Provider(), view.session_id());
  ASSERT_TRUE(sender.Send(coach::v1::COMMAND_TYPE_PAUSE, "").ok());
  EXPECT_EQ(sender.refreshes(), 0);

  // Two minutes later (coachd's clock) the paired token has expired; the
  // client's own clock does not know yet, so coachd refuses it.
  clock_.Advance(absl::Minutes(2));
  grpc::Status resumed = sender.Send(coach::v1::COMMAND_TYPE_RESUME, "");
  EXPECT_TRUE(resumed.ok()) << resumed.error_message();
  EXPECT_EQ(sender.refreshes(), 1);

  // A fixed token cannot be refreshed: the refusal is the answer.
  const std::string stale =
      MintToken(kTestSecret, Identity{"alice", Role::kDevice},
                clock_.Now() - absl::Hours(2), clock_.Now() - absl::Hours(1));
  CommandSender fixed(channel_, stale, view.session_id());
  EXPECT_EQ(fixed.Send(coach::v1::COMMAND_TYPE_PAUSE, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Pause, then resume: each applied once, nothing else.
  coach::v1::GetSessionRequest get;
  get.set_session_id(view.session_id());
  coach::v1::SessionView now;
  auto context = TokenContext("alice", Role::kUser, clock_.Now());
  ASSERT_TRUE(sessions->GetSession(context.get(), get, &now).ok());
  EXPECT_EQ(now.status().run_state(), coach::v1::RUN_STATE_RUNNING);
  EXPECT_EQ(now.summary().pauses(), 1);
}

}  // namespace
}  // namespace coachd
