// coachd's counters of rarer events, scraped from a real coachd's GET
// /metrics over loopback HTTP and parsed by the independent parser of
// tests/common: a snapshot sent to a device too slow for its stream and to
// a dashboard too slow for its own, a lease taken over by a second replica on a
// real redis-server, reminders fired and expired by a FakeClock. Each counter
// moves when its event happens and stays put otherwise. No sleeps: timers,
// sweeps and reminders run when the test calls them.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/metrics/metrics.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/prometheus_scrape.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

// What `port`'s /metrics says now, parsed.
ScrapedMetrics Scrape(int port) {
  absl::StatusOr<ScrapedMetrics> m = ScrapeMetrics(port);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : ScrapedMetrics{};
}

double Snapshots(const ScrapedMetrics& m, const std::string& reason) {
  return m.Value("coachd_session_snapshots_total", {{"reason", reason}});
}

std::string StartSession(coach::v1::SessionService::Stub* stub,
                         const FakeClock& clock, const std::string& routine) {
  coach::v1::StartSessionRequest request;
  request.set_routine_id(routine);
  coach::v1::SessionView view;
  grpc::Status s = stub->StartSession(
      TokenContext("alice", Role::kUser, clock.Now()).get(), request, &view);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return view.session_id();
}

// Reads from `reader` until a message that `is_catch_up` accepts, passing
// over what was in flight before it. Stops at that message, at the end of the
// stream or after 1000 reads (each bounded by its call's deadline), whichever
// comes first; a success only for the first, a failure saying which otherwise.
template <typename Message, typename Accept>
::testing::AssertionResult ReadUntilSnapshot(
    grpc::ClientReaderInterface<Message>* reader, Accept is_catch_up) {
  constexpr int kMaxReads = 1000;
  Message message;
  for (int i = 0; i < kMaxReads; ++i) {
    if (!reader->Read(&message)) {
      return ::testing::AssertionFailure() << "the stream ended at read " << i;
    }
    if (is_catch_up(message)) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "no catch-up snapshot in " << kMaxReads << " reads";
}

// A coachd on a FakeClock whose streams queue at most 16 messages, with its
// metrics in a registry on a port, taking hundreds of commands in a session;
// a client of its sessions, and a channel for a reader too slow for its queue.
class SmallQueuesMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.metrics = &registry_;
    options.metrics_listen = "127.0.0.1:0";
    options.max_stream_queue = 16;
    options.quotas.commands.max = 0;  // Many commands into one session.
    options.max_commands_per_window = 1000;
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    port_ = server_->metrics_port();
    const std::string target = absl::StrCat("127.0.0.1:", server_->port());
    sessions_ = coach::v1::SessionService::NewStub(
        grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    // The slow reader's: an 8 KiB HTTP/2 window (room for a ~2 KB snapshot
    // once it reads again), so coachd's writes stop after a few messages and
    // the rest waits in the stream's queue.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8192);
    slow_channel_ = grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args);
  }

  // Sends command `type` with id `command_id` to session `id` as alice.
  grpc::Status SendCommand(const std::string& id, const std::string& command_id,
                           coach::v1::CommandType type) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command_id(command_id);
    request.set_command(type);
    coach::v1::SendCommandResponse done;
    return sessions_->SendCommand(
        TokenContext("alice", Role::kUser, clock_.Now()).get(), request, &done);
  }

  FakeClock clock_{absl::FromUnixSeconds(1767596400)};
  MetricsRegistry registry_;  // Outlives server_.
  std::unique_ptr<CoachServer> server_;
  int port_ = 0;  // Of /metrics.
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::shared_ptr<grpc::Channel> slow_channel_;
};

TEST_F(SmallQueuesMetricsTest,
       ADeviceTooSlowForItsQueueGetsASnapshotCountedOnce) {
  auto slow = coach::v1::SessionService::NewStub(slow_channel_);

  const ScrapedMetrics before = Scrape(port_);
  EXPECT_EQ(before.types.at("coachd_session_snapshots_total"), "counter");
  for (const char* reason :
       {"joined", "cannot_resume", "new_epoch", "fell_behind"}) {
    SCOPED_TRACE(reason);
    EXPECT_EQ(Snapshots(before, reason), 0);
  }

  const std::string id =
      StartSession(sessions_.get(), clock_, "strength-3-3-3");
  auto context = TokenContext("alice", Role::kDevice, clock_.Now());
  coach::v1::SubscribeRequest request;
  request.set_session_id(id);
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  auto reader = slow->Subscribe(context.get(), request);
  coach::v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));  // The joining snapshot.
  ASSERT_TRUE(event.has_snapshot());
  const ScrapedMetrics joined = Scrape(port_);
  EXPECT_EQ(Snapshots(joined, "joined"), 1);
  EXPECT_EQ(Snapshots(joined, "fell_behind"), 0);

  // Hundreds of events (a REPEAT each) while the device does not read: its
  // queue overflows.
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(SendCommand(id, absl::StrCat("repeat-", i),
                            coach::v1::COMMAND_TYPE_REPEAT)
                    .ok());
  }
  EXPECT_EQ(Snapshots(Scrape(port_), "fell_behind"), 0)
      << "counted before the device was sent its snapshot";
  // It reads again: what was in flight, then the catch-up snapshot.
  ASSERT_TRUE(
      ReadUntilSnapshot(reader.get(), [](const coach::v1::SessionEvent& e) {
        return e.has_snapshot() && !e.snapshot().recovered();
      }));
  const ScrapedMetrics after = Scrape(port_);
  EXPECT_EQ(Snapshots(after, "fell_behind"), 1);
  EXPECT_EQ(Snapshots(after, "joined"), 1);
  EXPECT_EQ(Snapshots(after, "cannot_resume"), 0);
  EXPECT_EQ(Snapshots(after, "new_epoch"), 0);

  context->TryCancel();
  reader->Finish().IgnoreError();
}

TEST_F(SmallQueuesMetricsTest,
       ADashboardTooSlowForItsQueueGetsASnapshotCountedOnce) {
  auto slow = coach::v1::CoachService::NewStub(slow_channel_);

  const ScrapedMetrics before = Scrape(port_);
  EXPECT_EQ(before.types.at("coachd_board_fell_behind_total"), "counter");
  EXPECT_EQ(before.Value("coachd_board_fell_behind_total", {}), 0);

  // alice watches her own sessions (WatchMySessions) and stops reading.
  auto context = TokenContext("alice", Role::kUser, clock_.Now());
  auto reader = slow->WatchMySessions(context.get(), {});
  coach::v1::LiveUpdate update;
  ASSERT_TRUE(reader->Read(&update));  // The joining snapshot.
  ASSERT_EQ(update.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  const std::string id = StartSession(sessions_.get(), clock_, "demo");
  for (int i = 0; i < 300; ++i) {  // Each commit updates her board.
    ASSERT_TRUE(SendCommand(id, absl::StrCat("c", i),
                            i % 2 == 0 ? coach::v1::COMMAND_TYPE_PAUSE
                                       : coach::v1::COMMAND_TYPE_RESUME)
                    .ok())
        << i;
  }
  EXPECT_EQ(Scrape(port_).Value("coachd_board_fell_behind_total", {}), 0)
      << "counted before the dashboard was sent its snapshot";
  // It reads again: what was in flight, then the catch-up snapshot.
  ASSERT_TRUE(
      ReadUntilSnapshot(reader.get(), [](const coach::v1::LiveUpdate& u) {
        return u.kind() == coach::v1::LIVE_UPDATE_KIND_SNAPSHOT &&
               !u.board().recovered();
      }));
  EXPECT_EQ(Scrape(port_).Value("coachd_board_fell_behind_total", {}), 1);
  // The sessions' own counter is apart: no device fell behind.
  EXPECT_EQ(Snapshots(Scrape(port_), "fell_behind"), 0);

  context->TryCancel();
  reader->Finish().IgnoreError();
}

TEST(MetricsEventsTest, ASecondReplicaTakingOverALeaseCountsOneTakeover) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  FakeClock clock(absl::FromUnixSeconds(1767596400));
  MetricsRegistry registries[2];
  std::vector<std::unique_ptr<CoachServer>> replicas;
  for (int i = 0; i < 2; ++i) {
    ServerOptions options = LoopbackServerOptions(&clock);
    options.metrics = &registries[i];
    options.metrics_listen = "127.0.0.1:0";
    MixedBackendOptions parts;
    parts.redis.client.address = *ParseRedisUrl((*redis)->url());
    parts.sessions = true;
    parts.leases = true;
    options.backend = std::make_unique<MixedBackend>(parts);
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    replicas.push_back(*std::move(server));
  }
  const int port0 = replicas[0]->metrics_port();
  const int port1 = replicas[1]->metrics_port();
  auto stub = coach::v1::SessionService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", replicas[0]->port()),
                          grpc::InsecureChannelCredentials()));
  const std::string id = StartSession(stub.get(), clock, "demo");
  ASSERT_EQ(replicas[0]->sessions().driver().Driven(),
            std::vector<std::string>{id});

  // While replica 0 holds the lease, replica 1's sweep takes nothing.
  ASSERT_TRUE(replicas[1]->sessions().driver().Sweep().ok());
  ScrapedMetrics m1 = Scrape(port1);
  EXPECT_EQ(m1.types.at("coachd_lease_takeovers_total"), "counter");
  EXPECT_EQ(m1.Value("coachd_lease_takeovers_total"), 0);
  EXPECT_EQ(Scrape(port0).Value("coachd_lease_takeovers_total"), 0)
      << "starting a session is not a takeover";

  // Replica 0 stops (releasing its lease); replica 1's next sweep takes the
  // session over, once.
  replicas[0]->Shutdown(absl::ZeroDuration());
  ASSERT_TRUE(replicas[1]->sessions().driver().Sweep().ok());
  EXPECT_EQ(replicas[1]->sessions().driver().Driven(),
            std::vector<std::string>{id});
  m1 = Scrape(port1);
  EXPECT_EQ(m1.Value("coachd_lease_takeovers_total"), 1);
  EXPECT_EQ(m1.Value("coachd_sessions_driven"), 1);
  ASSERT_TRUE(replicas[1]->sessions().driver().Sweep().ok());
  m1 = Scrape(port1);
  EXPECT_EQ(m1.Value("coachd_lease_takeovers_total"), 1)
      << "a session already driven was counted again";
  EXPECT_EQ(m1.Value("coachd_leases_lost_total"), 0);
}

TEST(MetricsEventsTest, RemindersFiredAndExpiredAreCountedByTheFakeClock) {
  FakeClock clock(absl::FromUnixSeconds(1767596400));  // Mon 07:00Z.
  MetricsRegistry registry;
  ServerOptions options = LoopbackServerOptions(&clock);
  options.metrics = &registry;
  options.metrics_listen = "127.0.0.1:0";
  auto server = CoachServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->metrics_port();
  auto scheduler = coach::v1::SchedulerService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                          grpc::InsecureChannelCredentials()));
  coach::v1::SetGoalRequest goal;
  goal.mutable_goal()->set_time_zone("Europe/London");
  goal.mutable_goal()->mutable_reminder_time()->set_hours(7);
  goal.mutable_goal()->mutable_reminder_time()->set_minutes(30);
  coach::v1::SetGoalResponse set;
  ASSERT_TRUE(
      scheduler
          ->SetGoal(TokenContext("alice", Role::kUser, clock.Now()).get(), goal,
                    &set)
          .ok());

  // Before its time nothing fires.
  clock.Advance(absl::Minutes(29));
  (*server)->scheduler().RunDueForTest();
  ScrapedMetrics m = Scrape(port);
  EXPECT_EQ(m.types.at("coachd_reminders_fired_total"), "counter");
  EXPECT_EQ(m.Value("coachd_reminders_fired_total"), 0);
  EXPECT_EQ(m.Value("coachd_reminders_expired_total"), 0);
  // 07:30 in London: it fires, once however often the dispatcher looks.
  clock.Advance(absl::Minutes(1));
  (*server)->scheduler().RunDueForTest();
  (*server)->scheduler().RunDueForTest();
  m = Scrape(port);
  EXPECT_EQ(m.Value("coachd_reminders_fired_total"), 1);
  EXPECT_EQ(m.Value("coachd_reminders_expired_total"), 0);
  // Past midnight, unanswered: it expired at its day's end; nothing fired.
  clock.Advance(absl::Hours(17));  // Tuesday 00:30 in London.
  (*server)->scheduler().RunDueForTest();
  m = Scrape(port);
  EXPECT_EQ(m.Value("coachd_reminders_fired_total"), 1);
  EXPECT_EQ(m.Value("coachd_reminders_expired_total"), 1);
}

}  // namespace
}  // namespace coachd
