// A client that opens a stream and never reads holds only a bounded queue in
// coachd, on every kind of stream: Subscribe, WatchLive, WatchMySessions and
// WatchReminders. The clients' channels have a 1 KiB HTTP/2 window (no BDP
// probing), so once a few messages are in flight coachd's writes stop and
// everything else waits in the stream's queue; the test publishes many
// times the bound and reads the queue's longest length from the server
// (QueueHighWater), so nothing here depends on timing. FakeClock.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/scheduler/watch_reminders_reactor.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace {

constexpr int kQueue = 16;  // max_stream_queue of the test server.

class SlowReaderGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.max_stream_queue = kQueue;
    options.record_queue_high_water = true;
    options.quotas.commands.max = 0;  // Many commands into one session.
    options.max_commands_per_window = 1000;
    options.workers = 1;  // Commits fan out in the order they are made.
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    const std::string target = absl::StrCat("127.0.0.1:", server_->port());
    // The readers that never read: a small, fixed flow-control window.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
    stalled_ = grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args);
    channel_ = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel_);
    coach_ = coach::v1::CoachService::NewStub(channel_);
    scheduler_ = coach::v1::SchedulerService::NewStub(channel_);
  }

  // A context whose token outlives the test's fake year.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& who,
                                               Role role) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(
        "authorization",
        "Bearer " + MintToken(kTestSecret, Identity{who, role}, clock_.Now(),
                              clock_.Now() + absl::Hours(24 * 365)));
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(120));
    return context;
  }

  std::string Start(const std::string& routine) {
    coach::v1::StartSessionRequest request;
    request.set_routine_id(routine);
    coach::v1::SessionView view;
    grpc::Status s = sessions_->StartSession(
        Context("alice", Role::kUser).get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view.session_id();
  }

  int64_t HighWater(const char* method) {
    return server_->queue_high_water()->Max(method);
  }

  FakeClock clock_{absl::FromUnixSeconds(1767596400)};  // 2026-01-05 07:00Z.
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> stalled_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CoachService::Stub> coach_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
};

TEST_F(SlowReaderGrpcTest, ASubscriberThatNeverReadsHoldsAtMostTheQueue) {
  const std::string id = Start("strength-3-3-3");
  auto context = Context("alice", Role::kDevice);
  coach::v1::SubscribeRequest request;
  request.set_session_id(id);
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  auto reader = coach::v1::SessionService::NewStub(stalled_)->Subscribe(
      context.get(), request);
  coach::v1::SessionEvent first;
  ASSERT_TRUE(reader->Read(&first));  // Attached; never read again.
  for (int i = 0; i < 900; ++i) {     // Hundreds of events, never read.
    clock_.Advance(absl::Seconds(1));
    server_->RunDueTimersForTest();
  }
  EXPECT_EQ(HighWater("SessionService/Subscribe"), kQueue);
  context->TryCancel();
  reader->Finish().IgnoreError();
}

TEST_F(SlowReaderGrpcTest, BoardWatchersThatNeverReadHoldAtMostTheQueue) {
  coach::v1::CreateLinkCodeResponse code;
  ASSERT_TRUE(coach_
                  ->CreateLinkCode(Context("coach-carol", Role::kCoach).get(),
                                   {}, &code)
                  .ok());
  coach::v1::LinkCoachRequest link;
  link.set_code(code.code());
  coach::v1::LinkCoachResponse linked;
  ASSERT_TRUE(
      coach_->LinkCoach(Context("alice", Role::kUser).get(), link, &linked)
          .ok());
  auto live_context = Context("coach-carol", Role::kCoach);
  auto mine_context = Context("alice", Role::kUser);
  auto stalled = coach::v1::CoachService::NewStub(stalled_);
  auto live = stalled->WatchLive(live_context.get(), {});
  auto mine = stalled->WatchMySessions(mine_context.get(), {});
  coach::v1::LiveUpdate first;
  ASSERT_TRUE(live->Read(&first));  // Attached; never read again.
  ASSERT_TRUE(mine->Read(&first));
  const std::string id = Start("demo");
  for (int i = 0; i < 300; ++i) {  // Each commit updates both boards.
    coach::v1::SendCommandRequest command;
    command.set_session_id(id);
    command.set_command_id(absl::StrCat("c", i));
    command.set_command(i % 2 == 0 ? coach::v1::COMMAND_TYPE_PAUSE
                                   : coach::v1::COMMAND_TYPE_RESUME);
    coach::v1::SendCommandResponse response;
    ASSERT_TRUE(sessions_
                    ->SendCommand(Context("alice", Role::kUser).get(), command,
                                  &response)
                    .ok())
        << i;
  }
  EXPECT_EQ(HighWater("CoachService/WatchLive"), kQueue);
  EXPECT_EQ(HighWater("CoachService/WatchMySessions"), kQueue);
  live_context->TryCancel();
  mine_context->TryCancel();
  live->Finish().IgnoreError();
  mine->Finish().IgnoreError();
}

TEST_F(SlowReaderGrpcTest, AReminderWatcherThatNeverReadsHoldsAtMostItsQueue) {
  coach::v1::SetGoalRequest goal;
  goal.mutable_goal()->set_time_zone("Europe/London");
  goal.mutable_goal()->mutable_reminder_time()->set_hours(7);
  goal.mutable_goal()->mutable_reminder_time()->set_minutes(30);
  coach::v1::SetGoalResponse set;
  ASSERT_TRUE(
      scheduler_->SetGoal(Context("alice", Role::kUser).get(), goal, &set)
          .ok());
  auto context = Context("alice", Role::kDevice);
  coach::v1::WatchRemindersRequest request;
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  auto reader = coach::v1::SchedulerService::NewStub(stalled_)->WatchReminders(
      context.get(), request);
  // The first reminder is read, so the watch is attached (a reminder that
  // fired before it was would come from the open ones); never read again.
  clock_.Advance(absl::Minutes(30));  // 07:30 in London.
  server_->scheduler().RunDueForTest();
  coach::v1::Reminder first;
  ASSERT_TRUE(reader->Read(&first));
  // A reminder a day (and each one's expiry), for 150 days, never read.
  for (int day = 0; day < 150; ++day) {
    clock_.Advance(absl::Hours(24));
    server_->scheduler().RunDueForTest();
  }
  // At most WatchRemindersDeps::max_queue distinct reminders wait.
  EXPECT_EQ(HighWater("SchedulerService/WatchReminders"),
            WatchRemindersDeps{}.max_queue);
  context->TryCancel();
  reader->Finish().IgnoreError();
}

}  // namespace
}  // namespace coachd
