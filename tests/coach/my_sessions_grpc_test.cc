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
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#ifdef COACHD_COACH_TEST_ON_REDIS
#include "tests/coach/coach_redis_testing.h"
#endif

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using ::testing::HasSubstr;

// A WatchMySessions stream and its context.
using Watch = TestStream<LiveUpdate>;

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
    client_ = std::make_unique<CoachTestClient>(server_->port(), &clock_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) {
    return client_->Context(sub, role);
  }

  Watch WatchMine(const std::string& sub, Role role,
                  const coach::v1::ResumePosition* resume = nullptr) {
    return client_->WatchMine(sub, role, resume);
  }

  std::string Start(const std::string& person) {
    return client_->Start(person).session_id();
  }

  void Do(const std::string& person, const std::string& id,
          coach::v1::CommandType type) {
    client_->Do(person, id, type);
  }

  // The person's board as of now, after what was committed so far has been
  // published.
  LiveUpdate BoardNow(const std::string& person) {
    server_->board().Drain();
    Watch probe = WatchMine(person, Role::kUser);
    LiveUpdate snapshot;
    EXPECT_TRUE(probe.reader->Read(&snapshot));
    probe.context->TryCancel();
    probe.Drain();
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
  std::unique_ptr<CoachTestClient> client_;
};

TEST_F(MySessionsGrpcTest, APersonSeesEveryOwnSessionAndNobodyElses) {
  Watch alice = WatchMine("alice", Role::kUser);
  Watch speaker = WatchMine("alice", Role::kDevice);
  LiveUpdate snapshot =
      ReadUntil(alice, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT)).back();
  EXPECT_TRUE(snapshot.board().recovered());
  EXPECT_EQ(snapshot.board().sessions_size(), 0);

  const std::string bobs = Start("bob");  // Nobody else's reaches alice.
  Do("bob", bobs, coach::v1::COMMAND_TYPE_PAUSE);
  const std::string mine = Start("alice");
  std::vector<LiveUpdate> got =
      ReadUntil(alice, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].session_id(), mine);
  EXPECT_EQ(got[0].person_id(), "alice");
  EXPECT_EQ(got[0].sequence(), snapshot.sequence() + 1);
  EXPECT_EQ(got[0].epoch(), snapshot.epoch());

  Do("alice", mine, coach::v1::COMMAND_TYPE_PAUSE);
  Do("alice", mine, coach::v1::COMMAND_TYPE_RESUME);
  Do("alice", mine, coach::v1::COMMAND_TYPE_END);
  got = ReadUntil(alice, IsKind(coach::v1::LIVE_UPDATE_KIND_ENDED));
  for (const LiveUpdate& u : got) {
    EXPECT_EQ(u.session_id(), mine);
    EXPECT_NE(u.kind(), coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
  }
  EXPECT_TRUE(got.back().ended_early());
  // The device's stream is the same board, update for update.
  std::vector<LiveUpdate> device =
      ReadUntil(speaker, Through(got.back().sequence()));
  EXPECT_EQ(device.back().SerializeAsString(), got.back().SerializeAsString());
  EXPECT_EQ(BoardNow("alice").board().sessions_size(), 0);
  EXPECT_EQ(BoardNow("bob").board().sessions_size(), 1);
}

TEST_F(MySessionsGrpcTest, AReconnectResumesWithNothingLostOrRepeated) {
  Watch steady = WatchMine("alice", Role::kDevice);
  Watch flaky = WatchMine("alice", Role::kDevice);
  const std::string epoch =
      ReadUntil(flaky, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT))
          .back()
          .epoch();
  const std::string id = Start("alice");
  Play(90);
  const int64_t seen = BoardNow("alice").sequence();
  ASSERT_GE(seen, 1);  // STARTED at least.
  ReadUntil(flaky, Through(seen));
  flaky.context->TryCancel();
  EXPECT_EQ(flaky.Drain().error_code(), grpc::StatusCode::CANCELLED);

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
  std::vector<LiveUpdate> missed = ReadUntil(again, Through(last));
  ASSERT_EQ(missed.size(), static_cast<size_t>(last - seen));
  std::vector<LiveUpdate> all = ReadUntil(steady, Through(last));
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(missed[i].sequence(), seen + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(all[all.size() - missed.size() + i].SerializeAsString(),
              missed[i].SerializeAsString());
  }

  where.set_epoch("another-epoch");
  Watch lost = WatchMine("alice", Role::kDevice, &where);
  LiveUpdate snapshot = ReadUntil(lost, Through(0)).back();
  EXPECT_EQ(snapshot.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  EXPECT_FALSE(snapshot.board().recovered());
  EXPECT_EQ(snapshot.sequence(), last);
  ASSERT_EQ(snapshot.board().sessions_size(), 1);
  EXPECT_EQ(snapshot.board().sessions(0).session_id(), id);
}

TEST_F(MySessionsGrpcTest, CoachTokensAndBadPositionsGetSpecificCodes) {
  Watch coach = WatchMine("coach-bob", Role::kCoach);
  grpc::Status s = coach.Drain();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("your sessions board is for a person's own user or "
                        "device token"));

  coach::v1::ResumePosition no_epoch;
  no_epoch.set_last_sequence(3);
  s = WatchMine("alice", Role::kUser, &no_epoch).Drain();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("resume.epoch"));

  coach::v1::ResumePosition negative;
  negative.set_epoch("e");
  negative.set_last_sequence(-1);
  s = WatchMine("alice", Role::kUser, &negative).Drain();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("resume.last_sequence"));

  Watch anonymous;
  anonymous.context = std::make_unique<grpc::ClientContext>();
  anonymous.reader =
      client_->coaches().WatchMySessions(anonymous.context.get(), {});
  EXPECT_EQ(anonymous.Drain().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace coachd
