// Who may call what: every RPC of coach.v1, over real gRPC, against ten
// callers (the owner, the owner's paired device, another person and their
// device, a linked and an unlinked coach, a revoked device, an expired, a
// forged and no token), each cell with the status code it must get. The
// same table is in docs/SECURITY.md. Each call targets the owner's (alice's)
// data: her session, her goal, her reminders, her devices.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/pairing/pairing_testing.h"

namespace coachd {
namespace {

using grpc::StatusCode;
using testing_pairing::PairOver;
using testing_pairing::RevokeOver;

// The callers, in the table's column order.
enum Caller {
  kOwner,
  kOwnerDevice,
  kOther,
  kOtherDevice,
  kLinkedCoach,
  kUnlinkedCoach,
  kRevokedDevice,
  kExpired,
  kForged,
  kNoToken,
  kCallers
};

const char* const kCallerNames[kCallers] = {
    "owner user",   "owner device",   "other person",   "other's device",
    "linked coach", "unlinked coach", "revoked device", "expired",
    "forged",       "no token"};

constexpr StatusCode OK = StatusCode::OK;
constexpr StatusCode PD = StatusCode::PERMISSION_DENIED;
constexpr StatusCode UA = StatusCode::UNAUTHENTICATED;
constexpr StatusCode NF = StatusCode::NOT_FOUND;
constexpr StatusCode IA = StatusCode::INVALID_ARGUMENT;

// One row: an RPC, how to call it with a token (and the caller's role, for
// requests that depend on it), and the expected code per caller.
struct Row {
  std::string rpc;
  std::function<StatusCode(const std::string& token, Caller caller)> call;
  std::vector<StatusCode> expected;  // kCallers entries.
};

class AuthorizationMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = CoachServer::Start(LoopbackServerOptions(&clock_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    catalog_ = coach::v1::CatalogService::NewStub(channel_);
    sessions_ = coach::v1::SessionService::NewStub(channel_);
    coach_ = coach::v1::CoachService::NewStub(channel_);
    scheduler_ = coach::v1::SchedulerService::NewStub(channel_);
    auth_ = coach::v1::AuthService::NewStub(channel_);

    const absl::Time now = clock_.Now();
    tokens_[kOwner] = Mint("alice", Role::kUser);
    tokens_[kOwnerDevice] = PairOver(channel_, "alice", now).access_token();
    tokens_[kOther] = Mint("bob", Role::kUser);
    tokens_[kOtherDevice] = PairOver(channel_, "bob", now).access_token();
    tokens_[kLinkedCoach] = Mint("coach-c", Role::kCoach);
    tokens_[kUnlinkedCoach] = Mint("coach-d", Role::kCoach);
    coach::v1::Credentials revoked = PairOver(channel_, "alice", now);
    ASSERT_TRUE(RevokeOver(channel_, "alice", revoked.device_id(), now).ok());
    tokens_[kRevokedDevice] = revoked.access_token();
    tokens_[kExpired] = MintToken(kTestSecret, Identity{"alice", Role::kUser},
                                  now - absl::Hours(2), now - absl::Hours(1));
    tokens_[kForged] =
        MintToken("not-the-secret", Identity{"alice", Role::kUser}, now,
                  now + absl::Hours(1));
    tokens_[kNoToken] = "";

    // alice links coach-c with coach-c's code, sets a goal and starts a
    // session.
    ASSERT_EQ(LinkWithCode(tokens_[kOwner], "coach-c"), OK);
    coach::v1::SetGoalRequest goal;
    goal.mutable_goal()->set_sessions_per_week(2);
    goal.mutable_goal()->set_time_zone("UTC");
    coach::v1::SetGoalResponse set;
    grpc::Status g =
        scheduler_->SetGoal(Ctx(tokens_[kOwner]).get(), goal, &set);
    ASSERT_TRUE(g.ok()) << g.error_message();
    coach::v1::StartSessionRequest start;
    start.set_routine_id("demo");
    coach::v1::SessionView view;
    ASSERT_TRUE(
        sessions_->StartSession(Ctx(tokens_[kOwner]).get(), start, &view).ok());
    session_id_ = view.session_id();
    coach::v1::ListExercisesResponse exercises;
    ASSERT_TRUE(
        catalog_->ListExercises(Ctx(tokens_[kOwner]).get(), {}, &exercises)
            .ok());
    ASSERT_GT(exercises.exercises_size(), 0);
    exercise_id_ = exercises.exercises(0).id();
  }

  // As `person_token`, links with a fresh link code of `coach`.
  StatusCode LinkWithCode(const std::string& person_token,
                          const std::string& coach) {
    coach::v1::CreateLinkCodeResponse code;
    grpc::Status made =
        coach_->CreateLinkCode(Ctx(Mint(coach, Role::kCoach)).get(), {}, &code);
    EXPECT_TRUE(made.ok()) << made.error_message();
    coach::v1::LinkCoachRequest link;
    link.set_code(code.code());
    coach::v1::LinkCoachResponse linked;
    return coach_->LinkCoach(Ctx(person_token).get(), link, &linked)
        .error_code();
  }

  std::string Mint(const std::string& sub, Role role) {
    return MintToken(kTestSecret, Identity{sub, role}, clock_.Now(),
                     clock_.Now() + absl::Hours(24));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(
      const std::string& token,
      std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    auto context = testing_pairing::With(token);
    context->set_deadline(std::chrono::system_clock::now() + deadline);
    return context;
  }

  // A stream's verdict: OK once a first message arrives (or, with
  // `quiet_ok`, when it is still open at its short deadline: allowed, with
  // nothing to say yet), else the code it ended with.
  template <typename T>
  static StatusCode FirstMessage(grpc::ClientContext* context,
                                 grpc::ClientReader<T>* reader,
                                 bool quiet_ok = false) {
    T item;
    if (reader->Read(&item)) {
      context->TryCancel();
      reader->Finish();
      return OK;
    }
    const StatusCode code = reader->Finish().error_code();
    return quiet_ok && code == StatusCode::DEADLINE_EXCEEDED ? OK : code;
  }

  std::vector<Row> Rows();

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::CatalogService::Stub> catalog_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<coach::v1::CoachService::Stub> coach_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_;
  std::unique_ptr<coach::v1::AuthService::Stub> auth_;
  std::string tokens_[kCallers];
  std::string session_id_;
  std::string exercise_id_;
  int counter_ = 0;
};

std::vector<Row> AuthorizationMatrixTest::Rows() {
  auto coach_kind = [](Caller c) {
    return c == kLinkedCoach || c == kUnlinkedCoach
               ? coach::v1::DEVICE_KIND_COACH
               : coach::v1::DEVICE_KIND_VOICE;
  };
  // A fresh pairing to decide: its user code.
  auto fresh_code = [this] {
    coach::v1::StartPairingResponse start;
    EXPECT_TRUE(auth_->StartPairing(Ctx("").get(), {}, &start).ok());
    return start.user_code();
  };
  std::vector<Row> rows;
  // CatalogService: any signed-in caller.
  rows.push_back(
      {"CatalogService.ListExercises",
       [this](const std::string& t, Caller) {
         coach::v1::ListExercisesResponse r;
         return catalog_->ListExercises(Ctx(t).get(), {}, &r).error_code();
       },
       {OK, OK, OK, OK, OK, OK, UA, UA, UA, UA}});
  rows.push_back(
      {"CatalogService.GetExercise",
       [this](const std::string& t, Caller) {
         coach::v1::GetExerciseRequest q;
         q.set_id(exercise_id_);
         coach::v1::Exercise r;
         return catalog_->GetExercise(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, OK, OK, OK, OK, UA, UA, UA, UA}});
  rows.push_back(
      {"CatalogService.BuildRoutine",
       [this](const std::string& t, Caller) {
         coach::v1::BuildRoutineRequest q;
         q.set_focus(coach::v1::FOCUS_BALANCED);
         q.set_level(coach::v1::LEVEL_BEGINNER);
         q.set_minutes(20);
         coach::v1::BuildRoutineResponse r;
         return catalog_->BuildRoutine(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, OK, OK, OK, OK, UA, UA, UA, UA}});
  // SessionService, on alice's session (StartSession: the caller's own).
  rows.push_back(
      {"SessionService.StartSession",
       [this](const std::string& t, Caller) {
         coach::v1::StartSessionRequest q;
         q.set_routine_id("demo");
         coach::v1::SessionView r;
         return sessions_->StartSession(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, OK, OK, PD, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"SessionService.GetSession",
       [this](const std::string& t, Caller) {
         coach::v1::GetSessionRequest q;
         q.set_session_id(session_id_);
         coach::v1::SessionView r;
         return sessions_->GetSession(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, OK, PD, UA, UA, UA, UA}});
  rows.push_back({"SessionService.Subscribe",
                  [this, coach_kind](const std::string& t, Caller c) {
                    coach::v1::SubscribeRequest q;
                    q.set_session_id(session_id_);
                    q.set_kind(coach_kind(c));
                    auto context = Ctx(t);
                    auto reader = sessions_->Subscribe(context.get(), q);
                    return FirstMessage(context.get(), reader.get());
                  },
                  {OK, OK, PD, PD, OK, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"SessionService.SendCommand",
       [this](const std::string& t, Caller) {
         coach::v1::SendCommandRequest q;
         q.set_session_id(session_id_);
         q.set_command_id(absl::StrCat("matrix-", ++counter_));
         q.set_command(coach::v1::COMMAND_TYPE_REPEAT);
         coach::v1::SendCommandResponse r;
         return sessions_->SendCommand(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, PD, PD, UA, UA, UA, UA}});
  // CoachService.
  rows.push_back({"CoachService.LinkCoach (with coach-z's code)",
                  [this](const std::string& t, Caller) {
                    return LinkWithCode(t, "coach-z");
                  },
                  {OK, PD, OK, PD, PD, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"CoachService.CreateLinkCode",
       [this](const std::string& t, Caller) {
         coach::v1::CreateLinkCodeResponse r;
         return coach_->CreateLinkCode(Ctx(t).get(), {}, &r).error_code();
       },
       {PD, PD, PD, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back({"CoachService.UnlinkClient (alice)",
                  [this](const std::string& t, Caller c) {
                    coach::v1::UnlinkClientRequest q;
                    q.set_person_id("alice");
                    coach::v1::UnlinkClientResponse r;
                    const StatusCode got =
                        coach_->UnlinkClient(Ctx(t).get(), q, &r).error_code();
                    // The linked coach is linked again for the rows after this
                    // one.
                    if (c == kLinkedCoach && got == OK) {
                      EXPECT_TRUE(r.changed());
                      EXPECT_EQ(LinkWithCode(tokens_[kOwner], "coach-c"), OK);
                    }
                    return got;
                  },
                  {PD, PD, PD, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back(
      {"CoachService.ListClients",
       [this](const std::string& t, Caller) {
         coach::v1::ListClientsResponse r;
         return coach_->ListClients(Ctx(t).get(), {}, &r).error_code();
       },
       {PD, PD, PD, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back({"CoachService.WatchLive",
                  [this](const std::string& t, Caller) {
                    auto context = Ctx(t);
                    auto reader = coach_->WatchLive(context.get(), {});
                    return FirstMessage(context.get(), reader.get());
                  },
                  {PD, PD, PD, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back({"CoachService.WatchMySessions",
                  [this](const std::string& t, Caller) {
                    auto context = Ctx(t);
                    auto reader = coach_->WatchMySessions(context.get(), {});
                    return FirstMessage(context.get(), reader.get());
                  },
                  {OK, OK, OK, OK, PD, PD, UA, UA, UA, UA}});
  rows.push_back({"CoachService.SendCue",
                  [this](const std::string& t, Caller) {
                    coach::v1::SendCueRequest q;
                    q.set_session_id(session_id_);
                    q.set_text("Keep your back straight");
                    coach::v1::SendCueResponse r;
                    return coach_->SendCue(Ctx(t).get(), q, &r).error_code();
                  },
                  {PD, PD, PD, PD, OK, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"CoachService.GetSessionSummary",
       [this](const std::string& t, Caller) {
         coach::v1::GetSessionSummaryRequest q;
         q.set_session_id(session_id_);
         coach::v1::SessionSummaryView r;
         return coach_->GetSessionSummary(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, OK, PD, UA, UA, UA, UA}});
  // SchedulerService, on alice's goal and reminders.
  rows.push_back(
      {"SchedulerService.SetGoal",
       [this](const std::string& t, Caller) {
         coach::v1::SetGoalRequest q;
         q.set_person_id("alice");
         q.mutable_goal()->set_sessions_per_week(2);
         q.mutable_goal()->set_time_zone("UTC");
         coach::v1::SetGoalResponse r;
         return scheduler_->SetGoal(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, PD, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"SchedulerService.GetProgress",
       [this](const std::string& t, Caller) {
         coach::v1::GetProgressRequest q;
         q.set_person_id("alice");
         coach::v1::Progress r;
         return scheduler_->GetProgress(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, PD, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"SchedulerService.LogWorkout",
       [this](const std::string& t, Caller) {
         coach::v1::LogWorkoutRequest q;
         q.set_person_id("alice");
         q.set_log_id(absl::StrCat("matrix-", ++counter_));
         coach::v1::LogWorkoutResponse r;
         return scheduler_->LogWorkout(Ctx(t).get(), q, &r).error_code();
       },
       {OK, OK, PD, PD, PD, PD, UA, UA, UA, UA}});
  rows.push_back({"SchedulerService.WatchReminders",
                  [this](const std::string& t, Caller) {
                    coach::v1::WatchRemindersRequest q;
                    q.set_person_id("alice");
                    auto context = Ctx(t, std::chrono::milliseconds(500));
                    auto reader = scheduler_->WatchReminders(context.get(), q);
                    return FirstMessage(context.get(), reader.get(),
                                        /*quiet_ok=*/true);
                  },
                  {OK, OK, PD, PD, PD, PD, UA, UA, UA, UA}});
  rows.push_back(
      {"SchedulerService.AckReminder",
       [this](const std::string& t, Caller) {
         coach::v1::AckReminderRequest q;
         q.set_person_id("alice");
         q.set_reminder_id("2026-01-05");
         q.set_action(coach::v1::ACK_ACTION_DONE);
         coach::v1::Reminder r;
         return scheduler_->AckReminder(Ctx(t).get(), q, &r).error_code();
       },
       {NF, NF, PD, PD, PD, PD, UA, UA, UA, UA}});
  // AuthService: the device's calls take no token; the person's do.
  rows.push_back(
      {"AuthService.StartPairing",
       [this](const std::string& t, Caller) {
         coach::v1::StartPairingResponse r;
         return auth_->StartPairing(Ctx(t).get(), {}, &r).error_code();
       },
       {OK, OK, OK, OK, OK, OK, OK, OK, OK, OK}});
  rows.push_back({"AuthService.PollPairing",
                  [this](const std::string& t, Caller) {
                    coach::v1::StartPairingResponse start;
                    EXPECT_TRUE(
                        auth_->StartPairing(Ctx("").get(), {}, &start).ok());
                    coach::v1::PollPairingRequest q;
                    q.set_device_code(start.device_code());
                    coach::v1::PollPairingResponse r;
                    return auth_->PollPairing(Ctx(t).get(), q, &r).error_code();
                  },
                  {OK, OK, OK, OK, OK, OK, OK, OK, OK, OK}});
  rows.push_back(
      {"AuthService.RefreshToken (a bad one)",
       [this](const std::string& t, Caller) {
         coach::v1::RefreshTokenRequest q;
         q.set_refresh_token("not-a-refresh-token");
         coach::v1::Credentials r;
         return auth_->RefreshToken(Ctx(t).get(), q, &r).error_code();
       },
       {IA, IA, IA, IA, IA, IA, IA, IA, IA, IA}});
  rows.push_back(
      {"AuthService.ApprovePairing (kind speaker)",
       [this, fresh_code](const std::string& t, Caller) {
         coach::v1::ApprovePairingRequest q;
         q.set_user_code(fresh_code());
         q.set_name("speaker");
         q.set_kind(coach::v1::PAIRED_KIND_SPEAKER);
         coach::v1::ApprovePairingResponse r;
         return auth_->ApprovePairing(Ctx(t).get(), q, &r).error_code();
       },
       {OK, PD, OK, PD, IA, IA, UA, UA, UA, UA}});
  rows.push_back({"AuthService.DenyPairing",
                  [this, fresh_code](const std::string& t, Caller) {
                    coach::v1::DenyPairingRequest q;
                    q.set_user_code(fresh_code());
                    coach::v1::DenyPairingResponse r;
                    return auth_->DenyPairing(Ctx(t).get(), q, &r).error_code();
                  },
                  {OK, PD, OK, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back(
      {"AuthService.ListDevices",
       [this](const std::string& t, Caller) {
         coach::v1::ListDevicesResponse r;
         return auth_->ListDevices(Ctx(t).get(), {}, &r).error_code();
       },
       {OK, PD, OK, PD, OK, OK, UA, UA, UA, UA}});
  rows.push_back(
      {"AuthService.RevokeDevice (one of alice's)",
       [this](const std::string& t, Caller) {
         const std::string device =
             PairOver(channel_, "alice", clock_.Now()).device_id();
         coach::v1::RevokeDeviceRequest q;
         q.set_device_id(device);
         coach::v1::RevokeDeviceResponse r;
         return auth_->RevokeDevice(Ctx(t).get(), q, &r).error_code();
       },
       {OK, PD, NF, PD, NF, NF, UA, UA, UA, UA}});
  return rows;
}

TEST_F(AuthorizationMatrixTest, EveryRpcAnswersEveryCallerAsTheTableSays) {
  std::vector<Row> rows = Rows();
  std::string table;  // What was seen, printed on failure.
  bool all = true;
  for (const Row& row : rows) {
    ASSERT_EQ(row.expected.size(), static_cast<size_t>(kCallers)) << row.rpc;
    absl::StrAppend(&table, row.rpc, ":");
    for (int c = 0; c < kCallers; ++c) {
      SCOPED_TRACE(absl::StrCat(row.rpc, " as ", kCallerNames[c]));
      const StatusCode got = row.call(tokens_[c], static_cast<Caller>(c));
      absl::StrAppend(&table, " ", got);
      EXPECT_EQ(got, row.expected[c]);
      all = all && got == row.expected[c];
    }
    absl::StrAppend(&table, "\n");
  }
  if (!all) ADD_FAILURE() << "seen:\n" << table;
}

}  // namespace
}  // namespace coachd
