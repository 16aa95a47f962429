// Per-person limits over real gRPC on loopback (FakeClock): each one hit,
// answered RESOURCE_EXHAUSTED with a message naming the limit, its flag and
// when to retry; counted per person; freed when its window ends.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

class LimitsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.quotas.sessions.max = 2;
    options.quotas.commands.max = 3;
    options.quotas.workouts_logged.max = 2;
    options.quotas.coach_links.max = 2;
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel_);
    scheduler_ = coach::v1::SchedulerService::NewStub(channel_);
    coach_ = coach::v1::CoachService::NewStub(channel_);
  }

  grpc::Status Start(const std::string& who, std::string* id = nullptr) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::Status status = sessions_->StartSession(
        TokenContext(who, Role::kUser, clock_.Now()).get(), request, &view);
    if (id != nullptr) *id = view.session_id();
    return status;
  }

  static void ExpectLimit(const grpc::Status& status, const std::string& what) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(what));
    EXPECT_THAT(status.error_message(), HasSubstr("retry in"));
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<coach::v1::CoachService::Stub> coach_;
};

TEST_F(LimitsGrpcTest, StartingSessionsIsLimitedPerPersonPerHour) {
  EXPECT_TRUE(Start("alice").ok());
  EXPECT_TRUE(Start("alice").ok());
  const grpc::Status refused = Start("alice");
  ExpectLimit(refused,
              "StartSession: limit of 2 sessions started per person per 1h "
              "(--max_sessions_started_per_hour) reached; retry in 3600s");
  EXPECT_TRUE(Start("bob").ok());  // Per person.
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(Start("alice").ok());  // A new window.
}

TEST_F(LimitsGrpcTest, CommandsAreLimitedPerPersonPerMinute) {
  std::string id;
  ASSERT_TRUE(Start("alice", &id).ok());
  auto Command = [&](int n) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command_id(absl::StrCat("c", n));
    request.set_command(n % 2 == 0 ? coach::v1::COMMAND_TYPE_PAUSE
                                   : coach::v1::COMMAND_TYPE_RESUME);
    coach::v1::SendCommandResponse response;
    return sessions_->SendCommand(
        TokenContext("alice", Role::kUser, clock_.Now()).get(), request,
        &response);
  };
  for (int n = 0; n < 3; ++n) EXPECT_TRUE(Command(n).ok()) << n;
  ExpectLimit(Command(3),
              "SendCommand: limit of 3 commands sent per person per 1m "
              "(--max_commands_per_minute)");
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(Command(3).ok());
}

TEST_F(LimitsGrpcTest, LoggedWorkoutsAreLimitedPerPersonPerWeek) {
  auto Log = [&](int n) {
    coach::v1::LogWorkoutRequest request;
    request.set_log_id(absl::StrCat("w", n));
    coach::v1::LogWorkoutResponse response;
    return scheduler_->LogWorkout(
        TokenContext("alice", Role::kUser, clock_.Now()).get(), request,
        &response);
  };
  EXPECT_TRUE(Log(1).ok());
  EXPECT_TRUE(Log(2).ok());
  ExpectLimit(Log(3),
              "LogWorkout: limit of 2 workouts logged per person per 168h "
              "(--max_workouts_logged_per_week)");
}

TEST_F(LimitsGrpcTest, CoachLinkChangesAreLimitedPerPersonPerHour) {
  // Wrong codes count too: link codes cannot be guessed.
  auto Link = [&](const std::string& code, bool unlink) {
    coach::v1::LinkCoachRequest request;
    request.set_code(code);
    if (unlink) request.set_coach_id("coach-carol");
    request.set_unlink(unlink);
    coach::v1::LinkCoachResponse response;
    return coach_->LinkCoach(
        TokenContext("alice", Role::kUser, clock_.Now()).get(), request,
        &response);
  };
  coach::v1::CreateLinkCodeResponse code;
  ASSERT_TRUE(
      coach_
          ->CreateLinkCode(
              TokenContext("coach-carol", Role::kCoach, clock_.Now()).get(), {},
              &code)
          .ok());
  EXPECT_TRUE(Link(code.code(), false).ok());
  EXPECT_EQ(Link("CDF-GHJK", false).error_code(), grpc::StatusCode::NOT_FOUND);
  ExpectLimit(Link("", true),
              "LinkCoach: limit of 2 coach links and unlinks per person per "
              "1h (--max_coach_link_changes_per_hour)");
}

}  // namespace
}  // namespace coachd
