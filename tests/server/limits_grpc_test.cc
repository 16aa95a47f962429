// Per-person limits over real gRPC on loopback (FakeClock): each one hit,
// answered RESOURCE_EXHAUSTED with a message naming the limit, its flag and
// when to retry; counted per person; freed when its window ends, when a
// stream ends (cancelled, or the server shutting down), when a session
// ends. Live sessions are counted across two replicas on a real
// redis-server. And the server's deadline for a unary call.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

class LimitsGrpcTest : public ::testing::Test {
 protected:
  // The limits the test runs with.
  virtual void Configure(ServerOptions* options) {
    options->quotas.sessions.max = 2;
    options->quotas.commands.max = 3;
    options->quotas.workouts_logged.max = 2;
    options->quotas.coach_links.max = 2;
  }

  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    Configure(&options);
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
    return StartOn(*sessions_, who, id);
  }

  grpc::Status StartOn(coach::v1::SessionService::Stub& stub,
                       const std::string& who, std::string* id = nullptr) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::Status status = stub.StartSession(
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

  grpc::Status End(const std::string& who, const std::string& session_id) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(session_id);
    request.set_command_id("end");
    request.set_command(coach::v1::COMMAND_TYPE_END);
    coach::v1::SendCommandResponse response;
    return sessions_->SendCommand(
        TokenContext(who, Role::kUser, clock_.Now()).get(), request, &response);
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

// One open stream of any kind, from the client's side.
struct OpenStream {
  std::unique_ptr<grpc::ClientContext> context;
  std::function<grpc::Status()> finish;  // Reads to the end; the status.
};

template <typename Message>
OpenStream Hold(
    std::unique_ptr<grpc::ClientContext> context,
    const std::function<std::unique_ptr<grpc::ClientReader<Message>>(
        grpc::ClientContext*)>& open) {
  std::shared_ptr<grpc::ClientReader<Message>> reader = open(context.get());
  return OpenStream{std::move(context), [reader] {
                      Message m;
                      while (reader->Read(&m)) {
                      }
                      return reader->Finish();
                    }};
}

class StreamLimitsGrpcTest : public LimitsGrpcTest {
 protected:
  void Configure(ServerOptions* options) override {
    options->max_streams_per_person = 2;
    options->quotas.live_sessions.max = 2;
  }

  // Each kind of stream, opened as the identity it is for.
  struct Kind {
    const char* name;
    std::string who;
    std::function<OpenStream()> open;
  };

  std::vector<Kind> Kinds(const std::string& session_id) {
    auto context = [this](const std::string& who, Role role) {
      auto c = TokenContext(who, role, clock_.Now());
      c->set_deadline(std::chrono::system_clock::time_point::max());
      return c;
    };
    return {
        {"Subscribe", "alice",
         [=] {
           coach::v1::SubscribeRequest request;
           request.set_session_id(session_id);
           request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
           return Hold<coach::v1::SessionEvent>(
               context("alice", Role::kDevice), [=](grpc::ClientContext* c) {
                 return sessions_->Subscribe(c, request);
               });
         }},
        {"WatchMySessions", "alice",
         [=] {
           return Hold<coach::v1::LiveUpdate>(
               context("alice", Role::kUser), [=](grpc::ClientContext* c) {
                 return coach_->WatchMySessions(c, {});
               });
         }},
        {"WatchReminders", "alice",
         [=] {
           coach::v1::WatchRemindersRequest request;
           request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
           return Hold<coach::v1::Reminder>(
               context("alice", Role::kDevice), [=](grpc::ClientContext* c) {
                 return scheduler_->WatchReminders(c, request);
               });
         }},
        {"WatchLive", "coach-carol",
         [=] {
           return Hold<coach::v1::LiveUpdate>(
               context("coach-carol", Role::kCoach),
               [=](grpc::ClientContext* c) {
                 return coach_->WatchLive(c, {});
               });
         }},
    };
  }

  // Waits until the server holds `count` streams of `who` open.
  bool OpenOnServer(const std::string& who, int count) {
    return server_->stream_limits().AwaitOpenForTest(who, count,
                                                     absl::Seconds(10));
  }
};

TEST_F(StreamLimitsGrpcTest,
       EveryKindOfStreamIsLimitedPerPersonAndACancelledOneFreesItsPlace) {
  std::string id;
  ASSERT_TRUE(Start("alice", &id).ok());
  for (const Kind& kind : Kinds(id)) {
    SCOPED_TRACE(kind.name);
    OpenStream first = kind.open();
    OpenStream second = kind.open();
    ASSERT_TRUE(OpenOnServer(kind.who, 2));
    OpenStream third = kind.open();
    const grpc::Status refused = third.finish();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    EXPECT_THAT(refused.error_message(),
                HasSubstr(absl::StrCat(
                    kind.name,
                    ": limit of 2 open streams per person on this replica "
                    "(--max_streams_per_person) reached; close one of them "
                    "and retry")));
    // A cancelled stream gives its place back at once.
    first.context->TryCancel();
    EXPECT_EQ(first.finish().error_code(), grpc::StatusCode::CANCELLED);
    ASSERT_TRUE(OpenOnServer(kind.who, 1));
    OpenStream again = kind.open();
    ASSERT_TRUE(OpenOnServer(kind.who, 2));
    second.context->TryCancel();
    again.context->TryCancel();
    second.finish().IgnoreError();
    again.finish().IgnoreError();
    ASSERT_TRUE(OpenOnServer(kind.who, 0));
  }
}

TEST_F(StreamLimitsGrpcTest, StreamsOfEveryKindCountTogetherPerPerson) {
  std::string id;
  ASSERT_TRUE(Start("alice", &id).ok());
  std::vector<Kind> kinds = Kinds(id);  // Subscribe, WatchMySessions, ...
  OpenStream subscribe = kinds[0].open();
  OpenStream board = kinds[1].open();
  ASSERT_TRUE(OpenOnServer("alice", 2));
  EXPECT_EQ(kinds[2].open().finish().error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);  // WatchReminders.
  // Per person: a coach's streams do not count against alice's.
  OpenStream coach = kinds[3].open();
  EXPECT_TRUE(OpenOnServer("coach-carol", 1));
  for (OpenStream* s : {&subscribe, &board, &coach}) {
    s->context->TryCancel();
    s->finish().IgnoreError();
  }
}

TEST_F(StreamLimitsGrpcTest, AServerShuttingDownFreesEveryStreamsPlace) {
  std::string id;
  ASSERT_TRUE(Start("alice", &id).ok());
  std::vector<Kind> kinds = Kinds(id);
  OpenStream a = kinds[0].open();
  OpenStream b = kinds[1].open();
  ASSERT_TRUE(OpenOnServer("alice", 2));
  server_->Shutdown(absl::Hours(1));  // Streams end at once, not in an hour.
  EXPECT_EQ(a.finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(b.finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(OpenOnServer("alice", 0));
}

TEST_F(StreamLimitsGrpcTest,
       LiveSessionsAreLimitedPerPersonAndAnEndedOneFreesItsPlace) {
  std::string first, second;
  ASSERT_TRUE(Start("alice", &first).ok());
  ASSERT_TRUE(Start("alice", &second).ok());
  const grpc::Status refused = Start("alice");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::vector<std::string> ids = {first, second};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(refused.error_message(),
            absl::StrCat("StartSession: limit of 2 live sessions per person "
                         "(--max_live_sessions_per_person) reached: ",
                         ids[0], ", ", ids[1], "; end one of them and retry"));
  EXPECT_TRUE(Start("bob").ok());  // Per person.
  ASSERT_TRUE(End("alice", first).ok());
  EXPECT_TRUE(Start("alice").ok());  // The ended session's place.
}

TEST(LiveSessionReplicasTest, TwoReplicasOnOneRedisShareAPersonsLiveSessions) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  FakeClock clock;
  std::vector<std::unique_ptr<CoachServer>> replicas;
  std::vector<std::unique_ptr<coach::v1::SessionService::Stub>> stubs;
  for (int i = 0; i < 2; ++i) {
    ServerOptions options = LoopbackServerOptions(&clock);
    options.quotas.live_sessions.max = 2;
    MixedBackendOptions parts;
    parts.redis.client.address = *ParseRedisUrl((*redis)->url());
    parts.sessions = true;  // And so the quotas.
    parts.leases = true;
    options.backend = std::make_unique<MixedBackend>(parts);
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    stubs.push_back(coach::v1::SessionService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                            grpc::InsecureChannelCredentials())));
    replicas.push_back(*std::move(server));
  }
  auto start = [&](int replica) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    return stubs[replica]->StartSession(
        TokenContext("alice", Role::kUser, clock.Now()).get(), request, &view);
  };
  ASSERT_TRUE(start(0).ok());
  ASSERT_TRUE(start(1).ok());
  for (int replica : {0, 1}) {
    SCOPED_TRACE(replica);
    const grpc::Status refused = start(replica);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(refused.error_message(),
                HasSubstr("--max_live_sessions_per_person"));
  }
}

class DeadlineGrpcTest : public LimitsGrpcTest {
 protected:
  void Configure(ServerOptions* options) override {
    options->workers = 1;
    options->unary_deadline = absl::Milliseconds(200);
    options->quotas.sessions.max = 1;
  }
};

TEST_F(DeadlineGrpcTest,
       ACallWithNoDeadlineStillWaitingAtTheServersIsAnsweredAndNeverRuns) {
  absl::Notification release;
  server_->executor().Schedule([&] { release.WaitForNotification(); });
  // The only worker is busy: the call waits, with no deadline of its own.
  coach::v1::StartSessionRequest request;
  request.set_routine_id("demo");
  coach::v1::SessionView view;
  auto context = TokenContext("alice", Role::kUser, clock_.Now());
  context->set_deadline(std::chrono::system_clock::time_point::max());
  const grpc::Status late =
      sessions_->StartSession(context.get(), request, &view);
  release.Notify();
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << late.error_message();
  EXPECT_EQ(late.error_message(),
            "SessionService/StartSession: not started within coachd's "
            "deadline of 200ms for a call (--unary_deadline): coachd is busy, "
            "retry later");
  // It never ran: the one session alice may start this hour is still hers.
  EXPECT_TRUE(Start("alice").ok());
}

}  // namespace
}  // namespace coachd
