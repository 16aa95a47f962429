// Two coachd replicas (CoachServers in process, one FakeClock, timers run
// by hand on A) sharing one real redis-server for sessions, coach links and
// coach boards, each served over real channels on loopback: links, boards
// and last discomfort survive a restart; a coach on B sees what is driven
// through A, discomfort flagged first; an unlink on A ends the coach's open
// streams on B; WatchLive and WatchMySessions resume on the other replica
// with nothing lost; Redis down gives UNAVAILABLE with a clear message, then
// recovery.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/coach/redis_coach_link_store.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/coach/coach_redis_testing.h"
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;
using ::testing::HasSubstr;

constexpr char kCoach[] = "coach-bob";

template <typename T>
using Stream = TestStream<T>;

// One replica: a CoachServer on the shared Redis, and a client of it.
struct Replica {
  std::unique_ptr<CoachServer> server;
  std::unique_ptr<CoachTestClient> client;
};

class CoachReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    ASSERT_NO_FATAL_FAILURE(StartReplica(&a_));
    ASSERT_NO_FATAL_FAILURE(StartReplica(&b_));
  }

  void StartReplica(Replica* replica) {
    ServerOptions options = LoopbackServerOptions(&clock_);
    RedisCoachBoardOptions board;
    // A board reader notices a board lost in Redis at least this often.
    board.follow_block = absl::Milliseconds(200);
    absl::Status redis = UseRedisForCoaching(redis_->url(), &options, board);
    ASSERT_TRUE(redis.ok()) << redis;
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    replica->server = *std::move(server);
    replica->client =
        std::make_unique<CoachTestClient>(replica->server->port(), &clock_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) {
    return TokenContext(sub, role, clock_.Now());
  }

  coach::v1::SessionView Start(Replica& r, const std::string& person) {
    return r.client->Start(person);
  }

  grpc::Status Link(Replica& r, const std::string& person,
                    const std::string& coach, bool unlink = false) {
    return r.client->Link(person, coach, unlink);
  }

  // A command by the person's device through `r` that must succeed.
  void Do(Replica& r, const std::string& person, const std::string& id,
          coach::v1::CommandType type, const std::string& note = "") {
    r.client->Do(person, id, type, note);
  }

  grpc::Status ListClients(Replica& r, const std::string& coach,
                           coach::v1::ListClientsResponse* out) {
    return r.client->ListClients(coach, Role::kCoach, out);
  }

  Stream<LiveUpdate> Watch(Replica& r, const std::string& coach,
                           const coach::v1::ResumePosition* resume = nullptr) {
    return r.client->Watch(coach, resume);
  }

  // WatchMySessions of `person` (a device token) through `r`.
  Stream<LiveUpdate> WatchMine(
      Replica& r, const std::string& person,
      const coach::v1::ResumePosition* resume = nullptr) {
    return r.client->WatchMine(person, Role::kDevice, resume);
  }

  Stream<SessionEvent> Follow(Replica& r, const std::string& coach,
                              const std::string& id) {
    return r.client->Subscribe(coach, Role::kCoach, id,
                               coach::v1::DEVICE_KIND_COACH);
  }

  // The coach's board as of now, read through `r`, after what `driver`
  // committed so far has been published.
  LiveUpdate BoardNow(Replica& r, Replica& driver, const std::string& coach) {
    driver.server->board().Drain();
    Stream<LiveUpdate> probe = Watch(r, coach);
    LiveUpdate snapshot;
    EXPECT_TRUE(probe.reader->Read(&snapshot));
    probe.context->TryCancel();
    probe.Drain();
    return snapshot;
  }

  // Moves the clock `seconds` forward one second at a time, firing A's
  // timers.
  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      a_.server->RunDueTimersForTest();
    }
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> redis_;
  Replica a_;
  Replica b_;
};

TEST_F(CoachReplicasTest, LinksBoardsAndLastDiscomfortSurviveARestart) {
  const absl::Time linked = clock_.Now();
  ASSERT_TRUE(Link(a_, "alice", kCoach).ok());
  ASSERT_TRUE(Link(a_, "carol", kCoach).ok());
  coach::v1::SessionView view = Start(a_, "alice");
  Play(view.routine().items(0).estimated_seconds() + 15);
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
     "neck");
  const LiveUpdate before = BoardNow(a_, a_, kCoach);
  ASSERT_GT(before.sequence(), 2);

  // A goes away; a new process takes its place on the same Redis.
  a_.server->Shutdown(absl::ZeroDuration());
  a_ = Replica();
  ASSERT_NO_FATAL_FAILURE(StartReplica(&a_));

  coach::v1::ListClientsResponse list;
  grpc::Status listed = ListClients(a_, kCoach, &list);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_EQ(list.clients_size(), 2);
  const coach::v1::ClientStatus& alice = list.clients(0);
  EXPECT_EQ(alice.person_id(), "alice");
  EXPECT_EQ(alice.linked_at().seconds(), absl::ToUnixSeconds(linked));
  ASSERT_EQ(alice.live_size(), 1);
  EXPECT_EQ(alice.live(0).run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_EQ(alice.last_discomfort().note(), "neck");
  EXPECT_EQ(list.clients(1).person_id(), "carol");

  // The coach still reaches alice's session, and the board resumes where
  // it was, in the same epoch.
  coach::v1::SessionView got;
  auto context = Context(kCoach, Role::kCoach);
  coach::v1::GetSessionRequest get;
  get.set_session_id(view.session_id());
  grpc::Status read =
      a_.client->sessions().GetSession(context.get(), get, &got);
  EXPECT_TRUE(read.ok()) << read.error_message();
  coach::v1::ResumePosition where;
  where.set_epoch(before.epoch());
  where.set_last_sequence(before.sequence());
  Stream<LiveUpdate> resumed = Watch(a_, kCoach, &where);
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_END);
  std::vector<LiveUpdate> after =
      ReadUntil(resumed, IsKind(coach::v1::LIVE_UPDATE_KIND_ENDED));
  EXPECT_EQ(after.front().sequence(), before.sequence() + 1);
  EXPECT_EQ(after.back().epoch(), before.epoch());
  for (const LiveUpdate& u : after) {
    EXPECT_NE(u.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  }
}

TEST_F(CoachReplicasTest, CoachOnBSeesSessionsDrivenThroughADiscomfortFirst) {
  ASSERT_TRUE(Link(a_, "alice", kCoach).ok());
  Stream<LiveUpdate> board = Watch(b_, kCoach);
  ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT));
  coach::v1::SessionView view = Start(a_, "alice");
  std::vector<LiveUpdate> started =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED));
  EXPECT_EQ(started.back().session_id(), view.session_id());
  Start(a_, "carol");  // Not a client: never on the board.

  // The warm-up runs out while no timer fires; the report then commits the
  // overdue steps and the report in one batch, on A.
  clock_.Advance(
      absl::Seconds(view.routine().items(0).estimated_seconds() + 2));
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
     "a twinge in my lower back");
  std::vector<LiveUpdate> batch =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_EXERCISE_CHANGED));
  ASSERT_GE(batch.size(), 2u);
  const LiveUpdate& flagged = batch.front();
  EXPECT_EQ(flagged.kind(), coach::v1::LIVE_UPDATE_KIND_DISCOMFORT);
  EXPECT_TRUE(flagged.flagged());
  EXPECT_EQ(flagged.note(), "a twinge in my lower back");
  EXPECT_EQ(flagged.session().run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].person_id(), "alice");
    EXPECT_EQ(batch[i].sequence(),
              flagged.sequence() + static_cast<int64_t>(i));
    if (i > 0) {
      EXPECT_FALSE(batch[i].flagged());
    }
  }

  // B's client list knows what A committed.
  a_.server->board().Drain();
  coach::v1::ListClientsResponse list;
  ASSERT_TRUE(ListClients(b_, kCoach, &list).ok());
  ASSERT_EQ(list.clients_size(), 1);
  ASSERT_EQ(list.clients(0).live_size(), 1);
  EXPECT_EQ(list.clients(0).live(0).run_state(),
            coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_EQ(list.clients(0).last_discomfort().note(),
            "a twinge in my lower back");

  // Timers fired on A and a pause sent through B reach the same board.
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_RESUME);
  Play(30);
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  std::vector<LiveUpdate> later =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED));
  for (size_t i = 1; i < later.size(); ++i) {
    EXPECT_EQ(later[i].sequence(), later[i - 1].sequence() + 1);
  }
  EXPECT_EQ(later.front().sequence(), batch.back().sequence() + 1);
}

TEST_F(CoachReplicasTest, UnlinkOnAEndsTheCoachsOpenStreamsOnB) {
  ASSERT_TRUE(Link(a_, "alice", kCoach).ok());
  ASSERT_TRUE(Link(a_, "dave", kCoach).ok());
  coach::v1::SessionView alice = Start(a_, "alice");
  coach::v1::SessionView dave = Start(a_, "dave");
  a_.server->board().Drain();
  Stream<LiveUpdate> board = Watch(b_, kCoach);
  LiveUpdate snapshot;
  ASSERT_TRUE(board.reader->Read(&snapshot));
  EXPECT_EQ(snapshot.board().sessions_size(), 2);
  Stream<SessionEvent> follow = Follow(b_, kCoach, alice.session_id());
  SessionEvent first;
  ASSERT_TRUE(follow.reader->Read(&first));  // Attached: the snapshot.
  auto* b_links = dynamic_cast<RedisCoachLinkStore*>(&b_.server->links());
  ASSERT_NE(b_links, nullptr);
  EXPECT_EQ(b_links->WatchCountForTest(), 1);

  ASSERT_TRUE(Link(a_, "alice", kCoach, /*unlink=*/true).ok());

  grpc::Status ended = follow.Drain();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ended.error_message(), HasSubstr("revoked"));
  EXPECT_EQ(b_links->WatchCountForTest(), 0);

  // B's board drops alice, and nothing of hers follows.
  std::vector<LiveUpdate> gone =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED));
  EXPECT_EQ(gone.back().person_id(), "alice");
  Do(a_, "alice", alice.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  Do(b_, "dave", dave.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  std::vector<LiveUpdate> after =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED));
  for (const LiveUpdate& u : after) EXPECT_EQ(u.person_id(), "dave");
  EXPECT_EQ(Follow(b_, kCoach, alice.session_id()).Drain().error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(BoardNow(b_, a_, kCoach).board().sessions_size(), 1);
}

TEST_F(CoachReplicasTest, WatchLiveResumesOnTheOtherReplicaWithNothingLost) {
  ASSERT_TRUE(Link(a_, "alice", kCoach).ok());
  Stream<LiveUpdate> steady = Watch(a_, kCoach);
  Stream<LiveUpdate> flaky = Watch(a_, kCoach);
  const std::string epoch =
      ReadUntil(flaky, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT))
          .back()
          .epoch();
  coach::v1::SessionView view = Start(a_, "alice");
  Play(90);
  const int64_t seen = BoardNow(a_, a_, kCoach).sequence();
  ASSERT_GE(seen, 2);
  ReadUntil(flaky, Through(seen));
  flaky.context->TryCancel();
  EXPECT_EQ(flaky.Drain().error_code(), grpc::StatusCode::CANCELLED);

  // While the dashboard is away (replica A "lost" to it), the session goes
  // on, commands through both replicas.
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  clock_.Advance(absl::Seconds(20));
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_RESUME);
  Play(120);
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_SKIP_EXERCISE);
  Play(60);
  b_.server->board().Drain();
  const int64_t last = BoardNow(b_, a_, kCoach).sequence();
  ASSERT_GT(last, seen + 4);

  coach::v1::ResumePosition where;
  where.set_epoch(epoch);
  where.set_last_sequence(seen);
  Stream<LiveUpdate> again = Watch(b_, kCoach, &where);
  std::vector<LiveUpdate> missed = ReadUntil(again, Through(last));
  ASSERT_EQ(missed.size(), static_cast<size_t>(last - seen));
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_NE(missed[i].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    EXPECT_EQ(missed[i].sequence(), seen + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(missed[i].epoch(), epoch);
  }
  // Exactly what the dashboard that stayed on A saw.
  std::vector<LiveUpdate> all = ReadUntil(steady, Through(last));
  ASSERT_GE(all.size(), missed.size());
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(all[all.size() - missed.size() + i].SerializeAsString(),
              missed[i].SerializeAsString());
  }
  // And both go on together.
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  LiveUpdate on_a =
      ReadUntil(steady, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED)).back();
  LiveUpdate on_b =
      ReadUntil(again, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED)).back();
  EXPECT_EQ(on_a.SerializeAsString(), on_b.SerializeAsString());
}

TEST_F(CoachReplicasTest, WatchMySessionsSeesEveryReplicaAndResumesOnTheOther) {
  // alice has no coach: her own board still follows her sessions.
  Stream<LiveUpdate> on_b = WatchMine(b_, "alice");
  Stream<LiveUpdate> bobs = WatchMine(b_, "bob");
  const LiveUpdate first =
      ReadUntil(on_b, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT)).back();
  ReadUntil(bobs, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT));
  coach::v1::SessionView view = Start(a_, "alice");
  LiveUpdate started =
      ReadUntil(on_b, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED)).back();
  EXPECT_EQ(started.session_id(), view.session_id());
  EXPECT_EQ(started.sequence(), first.sequence() + 1);
  EXPECT_EQ(started.epoch(), first.epoch());
  on_b.context->TryCancel();
  on_b.Drain();

  // Away from B, the session goes on through both replicas.
  Do(a_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_RESUME);
  Do(b_, "alice", view.session_id(), coach::v1::COMMAND_TYPE_END);
  a_.server->board().Drain();
  b_.server->board().Drain();

  coach::v1::ResumePosition where;
  where.set_epoch(started.epoch());
  where.set_last_sequence(started.sequence());
  Stream<LiveUpdate> on_a = WatchMine(a_, "alice", &where);
  std::vector<LiveUpdate> missed =
      ReadUntil(on_a, IsKind(coach::v1::LIVE_UPDATE_KIND_ENDED));
  ASSERT_GE(missed.size(), 3u);
  EXPECT_EQ(missed[0].kind(), coach::v1::LIVE_UPDATE_KIND_PAUSED);
  EXPECT_EQ(missed[1].kind(), coach::v1::LIVE_UPDATE_KIND_RESUMED);
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(missed[i].sequence(),
              started.sequence() + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(missed[i].epoch(), started.epoch());
  }
  EXPECT_TRUE(missed.back().ended_early());

  // Nothing of alice reached bob's board.
  Start(b_, "bob");
  LiveUpdate bob =
      ReadUntil(bobs, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED)).back();
  EXPECT_EQ(bob.person_id(), "bob");
  EXPECT_EQ(bob.sequence(), 1);
}

TEST_F(CoachReplicasTest, RedisDownGivesUnavailableWithAClearMessage) {
  ASSERT_TRUE(Link(a_, "alice", kCoach).ok());
  ASSERT_TRUE(redis_->Stop().ok());
  coach::v1::ListClientsResponse list;
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
  };
  const std::vector<Case> cases = {
      {"link", [&] { return Link(b_, "carol", kCoach); }},
      {"unlink", [&] { return Link(a_, "alice", kCoach, true); }},
      {"list clients", [&] { return ListClients(b_, kCoach, &list); }},
      {"watch live", [&] { return Watch(b_, kCoach).Drain(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("redis at 127.0.0.1:"));
    EXPECT_THAT(s.error_message(), HasSubstr("unreachable"));
  }
}

}  // namespace
}  // namespace coachd
