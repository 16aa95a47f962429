// Two coachd replicas (CoachServers in process, one FakeClock, timers run
// by hand) sharing one real redis-server through RedisSchedulerStore: each
// reminder fires once however the replicas race, a display on one replica
// gets what the other fires, and with Redis down the API says UNAVAILABLE.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/redis/redis_url.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using coach::v1::Reminder;
using ::testing::HasSubstr;
using testing_days::Day;
using testing_days::Utc;

// One replica: a CoachServer whose scheduler keeps its data in Redis, and
// a client of it.
struct Replica {
  std::unique_ptr<CoachServer> server;
  std::unique_ptr<coach::v1::SchedulerService::Stub> stub;
};

class SchedulerReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    for (Replica* r : {&a_, &b_}) {
      absl::StatusOr<Replica> replica = StartReplica(redis_->url());
      ASSERT_TRUE(replica.ok()) << replica.status();
      *r = *std::move(replica);
    }
  }

  void TearDown() override {
    for (Replica* r : {&a_, &b_}) {
      if (r->server != nullptr) r->server->Shutdown(absl::ZeroDuration());
    }
  }

  absl::StatusOr<Replica> StartReplica(const std::string& redis_url) {
    absl::StatusOr<RedisAddress> address = ParseRedisUrl(redis_url);
    if (!address.ok()) return address.status();
    MixedBackendOptions backend;
    backend.redis.client.address = *address;
    backend.scheduler = true;
    ServerOptions options = LoopbackServerOptions(&clock_);
    // Small claims: racing replicas take turns many times per RunDue.
    options.scheduler.claim_batch = 4;
    options.backend = std::make_unique<MixedBackend>(backend);
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    if (!server.ok()) return server.status();
    Replica replica;
    replica.server = *std::move(server);
    replica.stub = coach::v1::SchedulerService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", replica.server->port()),
                            grpc::InsecureChannelCredentials()));
    return replica;
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) {
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

  static coach::v1::Goal EveryDayAtHalfPastSeven() {
    coach::v1::Goal goal;
    goal.set_time_zone("Europe/London");
    goal.mutable_reminder_time()->set_hours(7);
    goal.mutable_reminder_time()->set_minutes(30);
    return goal;
  }

  grpc::Status SetGoal(Replica& replica, const std::string& person) {
    coach::v1::SetGoalRequest request;
    *request.mutable_goal() = EveryDayAtHalfPastSeven();
    coach::v1::SetGoalResponse response;
    auto context = Context(person, Role::kUser);
    return replica.stub->SetGoal(context.get(), request, &response);
  }

  grpc::Status Ack(Replica& replica, const std::string& id,
                   coach::v1::AckAction action, int minutes = 0) {
    coach::v1::AckReminderRequest request;
    request.set_reminder_id(id);
    request.set_action(action);
    request.set_snooze_minutes(minutes);
    Reminder unused;
    auto context = Context("alice", Role::kUser);
    return replica.stub->AckReminder(context.get(), request, &unused);
  }

  // A display's WatchReminders stream and its context.
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<Reminder>> reader;

    Reminder Next() {
      Reminder r;
      EXPECT_TRUE(reader->Read(&r)) << "stream ended";
      return r;
    }
    grpc::Status Close() {
      context->TryCancel();
      Reminder r;
      while (reader->Read(&r)) {
      }
      return reader->Finish();
    }
  };

  Stream Watch(Replica& replica, const std::string& person) {
    coach::v1::WatchRemindersRequest request;
    request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
    Stream stream;
    stream.context = Context(person, Role::kDevice);
    stream.reader = replica.stub->WatchReminders(stream.context.get(), request);
    return stream;
  }

  FakeClock clock_{Utc(2026, 1, 5, 7, 0)};  // Monday 07:00 in London.
  std::unique_ptr<RedisServer> redis_;
  Replica a_;
  Replica b_;
};

TEST_F(SchedulerReplicasTest, ADisplayOnOneReplicaGetsWhatTheOtherFires) {
  ASSERT_TRUE(SetGoal(a_, "alice").ok());
  Stream display = Watch(b_, "alice");
  clock_.Set(Utc(2026, 1, 5, 7, 30));
  EXPECT_EQ(a_.server->scheduler().RunDueForTest(), 1);
  const Reminder fired = display.Next();
  EXPECT_EQ(fired.reminder_id(), "2026-01-05");
  EXPECT_EQ(fired.state(), coach::v1::REMINDER_STATE_DUE);

  // From here on the display's watch is surely set up: what follows reaches
  // it only through Redis, from replica a.
  ASSERT_TRUE(
      Ack(a_, "2026-01-05", coach::v1::ACK_ACTION_SNOOZE, /*minutes=*/10).ok());
  const Reminder snoozed = display.Next();
  EXPECT_EQ(snoozed.state(), coach::v1::REMINDER_STATE_SNOOZED);
  EXPECT_GT(snoozed.version(), fired.version());
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(a_.server->scheduler().RunDueForTest(), 1);
  EXPECT_EQ(b_.server->scheduler().RunDueForTest(), 0);  // a has fired it.
  const Reminder back = display.Next();
  EXPECT_EQ(back.state(), coach::v1::REMINDER_STATE_DUE);
  EXPECT_GT(back.version(), snoozed.version());
  EXPECT_EQ(display.Close().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(SchedulerReplicasTest, RacingReplicasFireEachReminderOnce) {
  constexpr int kPeople = 60;
  for (int i = 0; i < kPeople; ++i) {
    ASSERT_TRUE(SetGoal(i % 2 == 0 ? a_ : b_, absl::StrCat("p", i)).ok());
  }
  Stream on_a = Watch(a_, "p0");
  Stream on_b = Watch(b_, "p0");
  clock_.Set(Utc(2026, 1, 5, 7, 30));
  int fired_by_a = 0;
  int fired_by_b = 0;
  // Both start together, as dispatchers whose polls line up would.
  absl::Mutex mu;
  int ready = 0;
  auto run = [&](Replica& replica, int* fired) {
    {
      absl::MutexLock lock(&mu);
      ++ready;
      mu.Await(absl::Condition(
          +[](int* n) { return *n == 2; }, &ready));
    }
    *fired = replica.server->scheduler().RunDueForTest();
  };
  std::thread race_a(run, std::ref(a_), &fired_by_a);
  std::thread race_b(run, std::ref(b_), &fired_by_b);
  race_a.join();
  race_b.join();
  EXPECT_EQ(fired_by_a + fired_by_b, kPeople);
  RecordProperty("fired_by_a", fired_by_a);
  RecordProperty("fired_by_b", fired_by_b);
  // A reminder fired twice would have gone on to CLEARED.
  for (int i = 0; i < kPeople; ++i) {
    SCOPED_TRACE(i);
    absl::StatusOr<std::vector<ReminderRecord>> reminders =
        a_.server->scheduler().store().ListReminders(absl::StrCat("p", i));
    ASSERT_TRUE(reminders.ok());
    int due = 0;
    for (const ReminderRecord& r : *reminders) {
      if (r.id == "2026-01-05") {
        EXPECT_EQ(r.state, ReminderState::kDue);
        ++due;
      }
    }
    EXPECT_EQ(due, 1);
  }
  // p0's displays on both replicas show it, once.
  for (Stream* display : {&on_a, &on_b}) {
    const Reminder shown = display->Next();
    EXPECT_EQ(shown.reminder_id(), "2026-01-05");
    EXPECT_EQ(shown.state(), coach::v1::REMINDER_STATE_DUE);
    EXPECT_EQ(display->Close().error_code(), grpc::StatusCode::CANCELLED);
  }
}

TEST_F(SchedulerReplicasTest, RedisDownIsUnavailableWithTheReason) {
  ASSERT_TRUE(SetGoal(a_, "alice").ok());
  ASSERT_TRUE(redis_->Stop().ok());
  const grpc::Status set = SetGoal(a_, "alice");
  EXPECT_EQ(set.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(set.error_message(),
              HasSubstr(absl::StrCat("redis at 127.0.0.1:", redis_->port(),
                                     " unreachable")));
  Stream display = Watch(b_, "alice");
  const grpc::Status watched = display.reader->Finish();
  EXPECT_EQ(watched.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(watched.error_message(), HasSubstr("unreachable"));
}

}  // namespace
}  // namespace coachd
