// SchedulerService over real gRPC channels on loopback, in a whole coachd
// (CoachServer) with a FakeClock: a display that was offline gets its open
// reminders on connect, acknowledgements reach every device, a completed
// session counts by itself, and bad goals and strangers are turned away.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using coach::v1::Reminder;
using ::testing::HasSubstr;
using testing_days::Utc;

class SchedulerGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    // One worker runs tasks in order: a completion recorded by a session's
    // last commit is stored before a later RPC's handler runs.
    options.workers = 1;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = coach::v1::SchedulerService::NewStub(channel_);
    sessions_ = coach::v1::SessionService::NewStub(channel_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role = Role::kDevice) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(
        "authorization",
        "Bearer " + MintToken(kTestSecret, Identity{sub, role}, clock_.Now(),
                              clock_.Now() + absl::Hours(24 * 30)));
    // Only a guard against a hung test; nothing waits for it.
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(120));
    return context;
  }

  grpc::Status SetGoal(const coach::v1::Goal& goal,
                       const std::string& sub = "alice",
                       Role role = Role::kUser,
                       const std::string& person_id = "") {
    coach::v1::SetGoalRequest request;
    request.set_person_id(person_id);
    *request.mutable_goal() = goal;
    coach::v1::SetGoalResponse response;
    auto context = Context(sub, role);
    return stub_->SetGoal(context.get(), request, &response);
  }

  coach::v1::Progress Progress(const std::string& sub = "alice") {
    coach::v1::Progress progress;
    auto context = Context(sub, Role::kUser);
    grpc::Status s = stub_->GetProgress(context.get(), {}, &progress);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return progress;
  }

  grpc::Status Ack(const std::string& id, coach::v1::AckAction action,
                   int minutes = 0, Reminder* out = nullptr) {
    coach::v1::AckReminderRequest request;
    request.set_reminder_id(id);
    request.set_action(action);
    request.set_snooze_minutes(minutes);
    Reminder unused;
    auto context = Context("alice", Role::kUser);  // From the phone.
    return stub_->AckReminder(context.get(), request,
                              out != nullptr ? out : &unused);
  }

  // A WatchReminders stream and its context (which must outlive it).
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<Reminder>> reader;

    Reminder Next() {
      Reminder r;
      EXPECT_TRUE(reader->Read(&r)) << "stream ended";
      return r;
    }
    grpc::StatusCode Close() {
      context->TryCancel();
      Reminder r;
      while (reader->Read(&r)) {
      }
      return reader->Finish().error_code();
    }
  };

  Stream Watch(coach::v1::DeviceKind kind, const std::string& sub = "alice",
               Role role = Role::kDevice, const std::string& person_id = "") {
    coach::v1::WatchRemindersRequest request;
    request.set_kind(kind);
    request.set_person_id(person_id);
    Stream stream;
    stream.context = Context(sub, role);
    stream.reader = stub_->WatchReminders(stream.context.get(), request);
    return stream;
  }

  static coach::v1::Goal EveryDayAtHalfPastSeven(const char* zone) {
    coach::v1::Goal goal;
    goal.set_time_zone(zone);
    goal.mutable_reminder_time()->set_hours(7);
    goal.mutable_reminder_time()->set_minutes(30);
    return goal;
  }

  FakeClock clock_{Utc(2026, 1, 5, 7, 0)};  // Monday; 02:00 in New York.
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> stub_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
};

TEST_F(SchedulerGrpcTest, AnOfflineDisplayGetsItsOpenReminderOnConnect) {
  ASSERT_TRUE(SetGoal(EveryDayAtHalfPastSeven("America/New_York")).ok());
  clock_.Set(Utc(2026, 1, 5, 12, 30));  // 07:30 in New York.
  EXPECT_EQ(server_->scheduler().RunDueForTest(),
            1);  // No device is connected.

  Stream display = Watch(coach::v1::DEVICE_KIND_DISPLAY);
  const Reminder shown = display.Next();
  EXPECT_EQ(shown.reminder_id(), "2026-01-05");
  EXPECT_EQ(shown.state(), coach::v1::REMINDER_STATE_DUE);
  EXPECT_EQ(shown.due_at().seconds(),
            absl::ToUnixSeconds(Utc(2026, 1, 5, 12, 30)));
  EXPECT_THAT(shown.text(), HasSubstr("0 of 3"));
  EXPECT_THAT(shown.speech().ssml(), HasSubstr("<speak>"));
  Stream speaker = Watch(coach::v1::DEVICE_KIND_VOICE);
  EXPECT_EQ(speaker.Next().reminder_id(), "2026-01-05");

  // Done on the phone: both devices drop it.
  ASSERT_TRUE(Ack("2026-01-05", coach::v1::ACK_ACTION_DONE).ok());
  for (Stream* s : {&display, &speaker}) {
    const Reminder done = s->Next();
    EXPECT_EQ(done.reminder_id(), "2026-01-05");
    EXPECT_EQ(done.state(), coach::v1::REMINDER_STATE_DONE);
    EXPECT_GT(done.version(), shown.version());
  }
  EXPECT_EQ(display.Close(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(speaker.Close(), grpc::StatusCode::CANCELLED);

  // A display connecting now has nothing open to show: the next message is
  // tomorrow's reminder when it fires.
  Stream later = Watch(coach::v1::DEVICE_KIND_DISPLAY);
  clock_.Set(Utc(2026, 1, 6, 12, 30));
  EXPECT_EQ(server_->scheduler().RunDueForTest(), 1);
  const Reminder tomorrow = later.Next();
  EXPECT_EQ(tomorrow.reminder_id(), "2026-01-06");
  EXPECT_EQ(tomorrow.state(), coach::v1::REMINDER_STATE_DUE);
  EXPECT_EQ(later.Close(), grpc::StatusCode::CANCELLED);
}

TEST_F(SchedulerGrpcTest, ASnoozedReminderComesBackOnTheDisplay) {
  ASSERT_TRUE(SetGoal(EveryDayAtHalfPastSeven("Europe/London")).ok());
  Stream display = Watch(coach::v1::DEVICE_KIND_DISPLAY);
  clock_.Set(Utc(2026, 1, 5, 7, 30));
  EXPECT_EQ(server_->scheduler().RunDueForTest(), 1);
  EXPECT_EQ(display.Next().state(), coach::v1::REMINDER_STATE_DUE);
  Reminder snoozed;
  ASSERT_TRUE(
      Ack("2026-01-05", coach::v1::ACK_ACTION_SNOOZE, 10, &snoozed).ok());
  EXPECT_EQ(snoozed.due_at().seconds(),
            absl::ToUnixSeconds(Utc(2026, 1, 5, 7, 40)));
  EXPECT_EQ(display.Next().state(), coach::v1::REMINDER_STATE_SNOOZED);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(server_->scheduler().RunDueForTest(), 1);
  const Reminder back = display.Next();
  EXPECT_EQ(back.state(), coach::v1::REMINDER_STATE_DUE);
  EXPECT_EQ(back.due_at().seconds(),
            absl::ToUnixSeconds(Utc(2026, 1, 5, 7, 40)));
  EXPECT_EQ(display.Close(), grpc::StatusCode::CANCELLED);
}

TEST_F(SchedulerGrpcTest, ACompletedSessionCountsByItselfAndAnEndedOneDoesNot) {
  ASSERT_TRUE(SetGoal(EveryDayAtHalfPastSeven("Europe/London")).ok());
  auto start = [&] {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    auto context = Context("alice");
    EXPECT_TRUE(sessions_->StartSession(context.get(), request, &view).ok());
    return view;
  };
  // Ended at once: far below the threshold.
  const coach::v1::SessionView quit = start();
  coach::v1::SendCommandRequest end;
  end.set_session_id(quit.session_id());
  end.set_command_id("end-1");
  end.set_command(coach::v1::COMMAND_TYPE_END);
  coach::v1::SendCommandResponse ended;
  auto context = Context("alice");
  ASSERT_TRUE(sessions_->SendCommand(context.get(), end, &ended).ok());
  EXPECT_EQ(Progress().this_week().sessions_done(), 0);

  // Played to the end.
  const coach::v1::SessionView full = start();
  for (int i = 0; i < full.routine().estimated_seconds() + 5; ++i) {
    clock_.Advance(absl::Seconds(1));
    server_->RunDueTimersForTest();
  }
  const coach::v1::Progress p = Progress();
  EXPECT_EQ(p.this_week().sessions_done(), 1);
  EXPECT_GT(p.habit_strength(), 0);
}

TEST_F(SchedulerGrpcTest, BadGoalsGetInvalidArgumentNamingTheField) {
  struct Case {
    const char* name;
    void (*change)(coach::v1::Goal*);
    const char* field;
  } cases[] = {
      {"0 a week", [](coach::v1::Goal* g) { g->set_sessions_per_week(0); },
       "goal.sessions_per_week"},
      {"8 a week", [](coach::v1::Goal* g) { g->set_sessions_per_week(8); },
       "goal.sessions_per_week"},
      {"Mars", [](coach::v1::Goal* g) { g->set_time_zone("Mars/Olympus"); },
       "goal.time_zone"},
      {"25:00",
       [](coach::v1::Goal* g) { g->mutable_reminder_time()->set_hours(25); },
       "goal.reminder_time"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    coach::v1::Goal goal = EveryDayAtHalfPastSeven("Europe/London");
    c.change(&goal);
    grpc::Status s = SetGoal(goal);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
}

TEST_F(SchedulerGrpcTest, StrangersAndCoachesAreTurnedAway) {
  ASSERT_TRUE(SetGoal(EveryDayAtHalfPastSeven("Europe/London")).ok());
  EXPECT_EQ(SetGoal(EveryDayAtHalfPastSeven("Asia/Tokyo"), "bob", Role::kUser,
                    "alice")
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  coach::v1::Progress unused;
  auto coach = Context("carol", Role::kCoach);
  EXPECT_EQ(stub_->GetProgress(coach.get(), {}, &unused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Stream bobs =
      Watch(coach::v1::DEVICE_KIND_DISPLAY, "bob", Role::kDevice, "alice");
  Reminder r;
  EXPECT_FALSE(bobs.reader->Read(&r));
  EXPECT_EQ(bobs.reader->Finish().error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Stream coachs = Watch(coach::v1::DEVICE_KIND_DISPLAY, "carol", Role::kCoach);
  EXPECT_FALSE(coachs.reader->Read(&r));
  EXPECT_EQ(coachs.reader->Finish().error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // No token at all.
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->GetProgress(&anonymous, {}, &unused).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Alice's goal is untouched.
  EXPECT_EQ(Progress().goal().time_zone(), "Europe/London");
}

}  // namespace
}  // namespace coachd
