// What clients print for people: failed calls with the gRPC code's name,
// token errors naming the client's own flags, coachctl's one-line answers,
// and which flags --help lists.
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/time/time.h"
#include "clients/coachctl/ctl_text.h"
#include "clients/common/client_auth.h"
#include "clients/common/status_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/flags_help.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusTextTest, NamesTheCodeNeverItsNumber) {
  struct Case {
    grpc::Status status;
    std::string text;
  };
  for (const Case& c : {
           Case{grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                             "pause: not allowed while the session is paused"),
                "pause: not allowed while the session is paused "
                "(FAILED_PRECONDITION)"},
           Case{grpc::Status(grpc::StatusCode::NOT_FOUND, "no such session"),
                "no such session (NOT_FOUND)"},
           Case{grpc::Status(grpc::StatusCode::UNAVAILABLE, ""), "UNAVAILABLE"},
       }) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(StatusText(c.status), c.text);
  }
  EXPECT_EQ(StatusText(absl::PermissionDeniedError("not yours")),
            "not yours (PERMISSION_DENIED)");
}

TEST(ClientAuthTest, TokenErrorsNameTheClientsFlags) {
  const std::string empty = ::testing::TempDir() + "client_text_empty_secret";
  { std::ofstream(empty, std::ios::trunc) << ""; }
  struct Case {
    TokenSource source;
    std::string message;
  };
  TokenSource none;
  TokenSource no_sub;
  no_sub.secret_file = empty;
  TokenSource missing;
  missing.secret_file = "/nonexistent/secret";
  missing.subject = "alice";
  TokenSource empty_file;
  empty_file.secret_file = empty;
  empty_file.subject = "alice";
  TokenSource bad_role = empty_file;
  bad_role.role = "admin";
  for (const Case& c : {
           Case{none, "--token or --secret_file (with --sub) is required"},
           Case{no_sub, "--sub: required to mint a token"},
           Case{missing, "--secret_file /nonexistent/secret: cannot be read"},
           Case{empty_file, "--secret_file " + empty + ": is empty"},
           Case{bad_role, "--role: "},
       }) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<std::string> token = ResolveToken(c.source);
    ASSERT_FALSE(token.ok());
    EXPECT_THAT(token.status().message(), HasSubstr(c.message));
    EXPECT_THAT(token.status().message(), Not(HasSubstr("auth_secret_file")));
  }
  std::remove(empty.c_str());
}

TEST(FlagsHelpTest, ListsCoachdsOwnFlagsWhereverTheyAreDefined) {
  for (const char* file : {"/src/coachd/services/server/main.cc",
                           "../../../clients/common/client_flags.cc",
                           "clients/coachctl/coachctl_main.cc"}) {
    SCOPED_TRACE(file);
    EXPECT_TRUE(IsCoachdFlagFile(file));
  }
  for (const char* file :
       {"./absl/flags/parse.cc", "absl/flags/internal/usage.cc",
        "/usr/include/absl/log/flags.cc"}) {
    SCOPED_TRACE(file);
    EXPECT_FALSE(IsCoachdFlagFile(file));
  }
}

coach::v1::SendCommandResponse Response(coach::v1::RunState state) {
  coach::v1::SendCommandResponse r;
  r.set_last_sequence(14);
  coach::v1::SessionStatus* s = r.mutable_status();
  s->set_run_state(state);
  s->set_exercise_name("Superman");
  s->set_set(1);
  s->set_sets(2);
  return r;
}

TEST(CtlTextTest, ACommandsAnswerIsOneReadableLine) {
  const absl::Time now = absl::FromUnixSeconds(1000);
  coach::v1::SendCommandResponse paused = Response(coach::v1::RUN_STATE_PAUSED);
  paused.mutable_status()->set_remaining_ms(11200);
  coach::v1::SendCommandResponse running =
      Response(coach::v1::RUN_STATE_RUNNING);
  running.mutable_status()->set_rep(3);
  running.mutable_status()->set_reps(8);
  running.mutable_status()->mutable_deadline()->set_seconds(1004);
  coach::v1::SendCommandResponse again = running;
  again.set_duplicate(true);
  coach::v1::SendCommandResponse finished =
      Response(coach::v1::RUN_STATE_FINISHED);
  struct Case {
    std::string what;
    coach::v1::SendCommandResponse response;
    std::string line;
  };
  for (const Case& c : {
           Case{"pause", paused,
                "pause: done; the session is paused at Superman, set 1 of 2, "
                "12 s left (event 14)"},
           Case{"resume", running,
                "resume: done; the session is running at Superman, set 1 of 2, "
                "rep 3 of 8, 4 s left (event 14)"},
           Case{"resume", again,
                "resume: already applied (sent before); the session is running "
                "at Superman, set 1 of 2, rep 3 of 8, 4 s left (event 14)"},
           Case{"end", finished,
                "end: done; the session is finished (event 14)"},
       }) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(CommandResultLine(c.what, c.response, now), c.line);
  }
}

TEST(CtlTextTest, AnAcknowledgedReminderIsOneReadableLine) {
  coach::v1::Reminder r;
  r.set_reminder_id("2026-11-25");
  r.set_sessions_done(0);
  r.set_sessions_target(3);
  r.mutable_due_at()->set_seconds(absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilMinute(2026, 11, 25, 13, 24), absl::UTCTimeZone())));
  r.set_state(coach::v1::REMINDER_STATE_SNOOZED);
  EXPECT_EQ(ReminderLine(r, absl::UTCTimeZone()),
            "reminder 2026-11-25: snoozed until Wed 13:24 UTC; 0 of 3 sessions "
            "done this week");
  r.set_state(coach::v1::REMINDER_STATE_DONE);
  r.set_sessions_target(1);
  EXPECT_EQ(ReminderLine(r, absl::UTCTimeZone()),
            "reminder 2026-11-25: done; 0 of 1 session done this week");
}

}  // namespace
}  // namespace coachd
