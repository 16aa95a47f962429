// CoachService.WatchMySessions over real gRPC channels on loopback, with a
// FakeClock driving the session timers: a person (user or device token) sees
// every session of theirs, whichever device started it, and nobody else's;
// a reconnect resumes exactly once; coach tokens and bad positions get their
// codes. Built twice: embedded, and with sessions and boards in a real
// redis-server (COACHD_COACH_TEST_ON_REDIS).
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#ifdef COACHD_COACH_TEST_ON_REDIS
#include "tests/coach/coach_redis_testing.h"
#endif

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using ::testing::HasSubstr;

// A WatchMySessions stream and its context (which must outlive the reader).
struct Watch {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<LiveUpdate>> reader;

  // Reads updates up to and including the first that `stop` accepts.
  std::vector<LiveUpdate> ReadUntil(
      const std::function<bool(const LiveUpdate&)>& stop) {
    std::vector<LiveUpdate> updates;
    LiveUpdate update;
    while (reader->Read(&update)) {
      updates.push_back(update);
      if (stop(update)) return updates;
    }
    ADD_FAILURE() << "the stream ended early: " << Finish().error_message();
    updates.emplace_back();  // So that callers' back() stays valid.
    return updates;
  }

  grpc::Status Finish() {
    LiveUpdate ignored;
    while (reader->Read(&ignored)) {
    }
    return reader->Finish();
  }
};

std::function<bool(const LiveUpdate&)> Kind(coach::v1::LiveUpdateKind kind) {
  return [kind](const LiveUpdate& u) { return u.kind() == kind; };
}

std::function<bool(const LiveUpdate&)> Through(int64_t sequence) {
  return [sequence](const LiveUpdate& u) { return u.sequence() >= sequence; };
}

class MySessionsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
#ifdef COACHD_COACH_TEST_ON_REDIS
    absl::Status redis = UseSharedRedisForCoaching(&options);
    ASSERT_TRUE(redis.ok()) << redis;
#endif
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel);
    coaches_ = coach::v1::CoachService::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) {
    return TokenContext(sub, role, clock_.Now());
  }

  Watch WatchMine(const std::string& sub, Role role,
                  const coach::v1::ResumePosition* resume = nullptr) {
    coach::v1::WatchMySessionsRequest request;
    if (resume != nullptr) *request.mutable_resume() = *resume;
    Watch watch;
    watch.context = Context(sub, role);
    watch.reader = coaches_->WatchMySessions(watch.context.get(), request);
    return watch;
  }

  std::string Start(const std::string& person) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    auto context = Context(person, Role::kDevice);
    grpc::Status s = sessions_->StartSession(context.get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view.session_id();
  }

  void Do(const std::string& person, const std::string& id,
          coach::v1::CommandType type) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command(type);
    request.set_command_id(absl::StrCat("cmd-", ++command_ids_));
    coach::v1::SendCommandResponse out;
    auto context = Context(person, Role::kDevice);
    grpc::Status s = sessions_->SendCommand(context.get(), request, &out);
    EXPECT_TRUE(s.ok()) << coach::v1::CommandType_Name(type) << ": "
                        << s.error_message();
  }

  // The person's board as of now, after what was committed so far has been
  // published.
  LiveUpdate BoardNow(const std::string& person) {
    server_->board().Drain();
    Watch probe = WatchMine(person, Role::kUser);
    LiveUpdate snapshot;
    EXPECT_TRUE(probe.reader->Read(&snapshot));
    probe.context->TryCancel();
    probe.Finish();
    return snapshot;
  }

  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      server_->RunDueTimersForTest();
    }
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CoachService::Stub> coaches_;
  int command_ids_ = 0;
};

TEST_F(MySessionsGrpcTest, APersonSeesEveryOwnSessionAndNobodyElses) {
  Watch alice = WatchMine("alice", Role::kUser);
  Watch speaker = WatchMine("alice", Role::kDevice);
  LiveUpdate snapshot =
      alice.ReadUntil(Kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT)).back();
  EXPECT_TRUE(snapshot.board().recovered());
  EXPECT_EQ(snapshot.board().sessions_size(), 0);

  const std::string bobs = Start("bob");  // Nobody else's reaches alice.
  Do("bob", bobs, coach::v1::COMMAND_TYPE_PAUSE);
  const std::string mine = Start("alice");
  std::vector<LiveUpdate> got =
      alice.ReadUntil(Kind(coach::v1::LIVE_UPDATE_KIND_STARTED));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].session_id(), mine);
  EXPECT_EQ(got[0].person_id(), "alice");
  EXPECT_EQ(got[0].sequence(), snapshot.sequence() + 1);
  EXPECT_EQ(got[0].epoch(), snapshot.epoch());

  Do("alice", mine, coach::v1::COMMAND_TYPE_PAUSE);
  Do("alice", mine, coach::v1::COMMAND_TYPE_RESUME);
  Do("alice", mine, coach::v1::COMMAND_TYPE_END);
  got = alice.ReadUntil(Kind(coach::v1::LIVE_UPDATE_KIND_ENDED));
  for (const LiveUpdate& u : got) {
    EXPECT_EQ(u.session_id(), mine);
    EXPECT_NE(u.kind(), coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
  }
  EXPECT_TRUE(got.back().ended_early());
  // The device's stream is the same board, update for update.
  std::vector<LiveUpdate> device =
      speaker.ReadUntil(Through(got.back().sequence()));
  EXPECT_EQ(device.back().SerializeAsString(), got.back().SerializeAsString());
  EXPECT_EQ(BoardNow("alice").board().sessions_size(), 0);
  EXPECT_EQ(BoardNow("bob").board().sessions_size(), 1);
}

TEST_F(MySessionsGrpcTest, AReconnectResumesWithNothingLostOrRepeated) {
  Watch steady = WatchMine("alice", Role::kDevice);
  Watch flaky = WatchMine("alice", Role::kDevice);
  const std::string epoch =
      flaky.ReadUntil(Kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT))
          .back()
          .epoch();
  const std::string id = Start("alice");
  Play(90);
  const int64_t seen = BoardNow("alice").sequence();
  ASSERT_GE(seen, 1);  // STARTED at least.
  flaky.ReadUntil(Through(seen));
  flaky.context->TryCancel();
  EXPECT_EQ(flaky.Finish().error_code(), grpc::StatusCode::CANCELLED);

  Do("alice", id, coach::v1::COMMAND_TYPE_PAUSE);
  Do("alice", id, coach::v1::COMMAND_TYPE_RESUME);
  Do("alice", id, coach::v1::COMMAND_TYPE_SKIP_EXERCISE);
  Play(60);
  const int64_t last = BoardNow("alice").sequence();
  ASSERT_GT(last, seen + 2);

  coach::v1::ResumePosition where;
  where.set_epoch(epoch);
  where.set_last_sequence(seen);
  Watch again = WatchMine("alice", Role::kDevice, &where);
  std::vector<LiveUpdate> missed = again.ReadUntil(Through(last));
  ASSERT_EQ(missed.size(), static_cast<size_t>(last - seen));
  std::vector<LiveUpdate> all = steady.ReadUntil(Through(last));
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(missed[i].sequence(), seen + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(all[all.size() - missed.size() + i].SerializeAsString(),
              missed[i].SerializeAsString());
  }

  where.set_epoch("another-epoch");
  Watch lost = WatchMine("alice", Role::kDevice, &where);
  LiveUpdate snapshot = lost.ReadUntil(Through(0)).back();
  EXPECT_EQ(snapshot.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  EXPECT_FALSE(snapshot.board().recovered());
  EXPECT_EQ(snapshot.sequence(), last);
  ASSERT_EQ(snapshot.board().sessions_size(), 1);
  EXPECT_EQ(snapshot.board().sessions(0).session_id(), id);
}

TEST_F(MySessionsGrpcTest, CoachTokensAndBadPositionsGetSpecificCodes) {
  Watch coach = WatchMine("coach-bob", Role::kCoach);
  grpc::Status s = coach.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("your sessions board is for a person's own user or "
                        "device token"));

  coach::v1::ResumePosition no_epoch;
  no_epoch.set_last_sequence(3);
  s = WatchMine("alice", Role::kUser, &no_epoch).Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("resume.epoch"));

  coach::v1::ResumePosition negative;
  negative.set_epoch("e");
  negative.set_last_sequence(-1);
  s = WatchMine("alice", Role::kUser, &negative).Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("resume.last_sequence"));

  Watch anonymous;
  anonymous.context = std::make_unique<grpc::ClientContext>();
  anonymous.reader = coaches_->WatchMySessions(anonymous.context.get(), {});
  EXPECT_EQ(anonymous.Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace coachd
