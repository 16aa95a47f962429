// coach: a coach's terminal console. By default it shows the live table of
// the coach's clients (who is training now, exercise, set, paused; this
// week's progress; the last discomfort), with discomfort flagged at the top,
// redrawn as WatchLive updates arrive; with --plain it prints one line per
// update instead, for scripts. It also follows one session cue by cue
// (--follow), speaks into one (--cue with --session), prints a session's
// summary (--summary) or the client list (--list), and, run with a person's
// user token, links or unlinks a coach (--link, --unlink).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/coach/board_view.h"
#include "clients/coach/live_watcher.h"
#include "clients/common/client_auth.h"
#include "clients/common/client_flags.h"
#include "clients/common/console.h"
#include "clients/common/session_follower.h"
#include "clients/common/status_text.h"
#include "coach/v1/coach.grpc.pb.h"
#include "services/common/flags_help.h"

ABSL_FLAG(std::string, follow, "",
          "Follow this session cue by cue (as the coach) until it ends.");
ABSL_FLAG(bool, from_start, false,
          "With --follow: replay from the first event.");
ABSL_FLAG(std::string, cue, "",
          "Speak this into --session (at most 200 characters).");
ABSL_FLAG(std::string, session, "", "The session --cue goes into.");
ABSL_FLAG(std::string, summary, "",
          "Print what was done in this session against what was prescribed.");
ABSL_FLAG(bool, list, false, "Print the client list once and exit.");
ABSL_FLAG(std::string, link, "",
          "As a person (user token): link this coach id to yourself.");
ABSL_FLAG(std::string, unlink, "",
          "As a person (user token): unlink this coach id.");
ABSL_FLAG(bool, plain, false,
          "One line per board update (or event) instead of a redrawn table.");
ABSL_FLAG(int, updates, 0,
          "Exit after this many board updates (0: run until interrupted).");
ABSL_FLAG(absl::Duration, refresh, absl::Seconds(5),
          "How often the table re-reads the client list (progress, idle).");
ABSL_FLAG(int, width, 0,
          "Table width in columns; 0: the terminal's width ($COLUMNS when the "
          "output is not a terminal, else 80).");

namespace {

int Fail(absl::string_view what, const grpc::Status& status) {
  std::fprintf(stderr, "coach: %s: %s\n", std::string(what).c_str(),
               coachd::StatusText(status).c_str());
  return 1;
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "coach: %s: %s\n", std::string(what).c_str(),
               coachd::StatusText(status).c_str());
  return 1;
}

// Whether `name` was given on the command line at all, even empty
// (--cue=""), which the flag's value alone cannot tell.
bool FlagGiven(int argc, char** argv, absl::string_view name) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (arg == name || absl::StartsWith(arg, absl::StrCat(name, "="))) {
      return true;
    }
  }
  return false;
}

int Width() {
  return absl::GetFlag(FLAGS_width) > 0
             ? absl::GetFlag(FLAGS_width)
             : coachd::TerminalColumns(STDOUT_FILENO, std::getenv("COLUMNS"));
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  coachd::AddToken(context.get(), token);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  return context;
}

int LinkOrUnlink(coach::v1::CoachService::Stub& stub, const std::string& token,
                 const std::string& coach, bool unlink) {
  coach::v1::LinkCoachRequest request;
  request.set_coach_id(coach);
  request.set_unlink(unlink);
  coach::v1::LinkCoachResponse response;
  grpc::Status s = stub.LinkCoach(Context(token).get(), request, &response);
  if (!s.ok()) return Fail(unlink ? "unlink" : "link", s);
  std::printf("%s %s%s; your coaches:", unlink ? "unlinked" : "linked",
              coach.c_str(), response.changed() ? "" : " (no change)");
  for (const auto& link : response.coaches()) {
    std::printf(" %s", link.coach_id().c_str());
  }
  std::printf("\n");
  return 0;
}

int ShowBoard(coach::v1::CoachService::Stub& stub,
              std::shared_ptr<grpc::Channel> channel,
              const std::string& token) {
  const bool plain = absl::GetFlag(FLAGS_plain);
  const int max_updates = absl::GetFlag(FLAGS_updates);
  coachd::LiveWatcher watcher(channel, token);
  if (plain) {
    int seen = 0;
    absl::Status s = watcher.Run([&](const coach::v1::LiveUpdate& u) {
      std::printf("%s\n", coachd::PlainLine(u).c_str());
      std::fflush(stdout);
      return max_updates <= 0 || ++seen < max_updates;
    });
    return s.ok() ? 0 : Fail("watch", s);
  }
  absl::Mutex mu;
  coachd::BoardModel model;
  bool done = false;
  absl::Status ended;
  int seen = 0;
  std::thread watch([&] {
    absl::Status s = watcher.Run([&](const coach::v1::LiveUpdate& u) {
      absl::MutexLock lock(&mu);
      model.Apply(u);
      return max_updates <= 0 || ++seen < max_updates;
    });
    absl::MutexLock lock(&mu);
    ended = s;
    done = true;
  });
  const int width = Width();
  // A terminal gets the table redrawn in place; a pipe or a file gets it
  // printed again only when it changed, with no escape codes.
  const bool terminal = coachd::IsTerminal(STDOUT_FILENO);
  std::string last_body;
  absl::Time next_list = absl::InfinitePast();
  for (;;) {
    if (absl::Now() >= next_list) {
      coach::v1::ListClientsResponse clients;
      grpc::Status s = stub.ListClients(Context(token).get(), {}, &clients);
      if (s.ok()) {
        absl::MutexLock lock(&mu);
        model.SetClients(clients);
      } else if (s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                 s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
        watcher.Stop();
        watch.join();
        return Fail("clients", s);
      }
      next_list = absl::Now() + absl::GetFlag(FLAGS_refresh);
    }
    absl::MutexLock lock(&mu);
    const std::string table = model.Render(absl::Now(), width);
    if (terminal) {
      std::printf("\033[H\033[2J%s", table.c_str());
    } else {
      // The first line holds the clock: compare what follows it.
      std::string body = table.substr(table.find('\n') + 1);
      if (body != last_body) {
        std::printf("%s\n", table.c_str());
        last_body = std::move(body);
      }
    }
    std::fflush(stdout);
    if (done) break;
    // Redraw once a second, or at once when the stream ends.
    mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(1));
  }
  watch.join();
  return ended.ok() ? 0 : Fail("watch", ended);
}

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(
      "coach [--plain] | --follow=SESSION | --cue=TEXT --session=SESSION | "
      "--summary=SESSION | --list | --link=COACH | --unlink=COACH\n"
      "  [--target=HOST:PORT] (--token=JWT | --secret_file=PATH --sub=ID "
      "[--role=coach])");
  // The console is a coach's: coach tokens unless --role says otherwise.
  absl::SetFlag(&FLAGS_role, "coach");
  absl::ParseCommandLine(argc, argv);

  const std::string follow = absl::GetFlag(FLAGS_follow);
  const std::string cue = absl::GetFlag(FLAGS_cue);
  const std::string summary = absl::GetFlag(FLAGS_summary);
  const std::string link = absl::GetFlag(FLAGS_link);
  const std::string unlink = absl::GetFlag(FLAGS_unlink);
  const bool list = absl::GetFlag(FLAGS_list);
  const int modes = !follow.empty() + !cue.empty() + !summary.empty() +
                    !link.empty() + !unlink.empty() + list;
  if (modes > 1) {
    std::fprintf(stderr,
                 "coach: choose one of --follow, --cue, --summary, --list, "
                 "--link, --unlink\n");
    return 2;
  }
  if (cue.empty() && FlagGiven(argc, argv, "cue")) {
    std::fprintf(stderr,
                 "coach: --cue: is empty; give the words to say, e.g. "
                 "--cue=\"Slow down\" (at most 200 characters)\n");
    return 2;
  }
  if (!FlagGiven(argc, argv, "cue") && !absl::GetFlag(FLAGS_session).empty()) {
    std::fprintf(stderr,
                 "coach: --session goes with --cue (what to say into it); "
                 "to watch a session, use --follow=SESSION\n");
    return 2;
  }
  if (!cue.empty() && absl::GetFlag(FLAGS_session).empty()) {
    std::fprintf(stderr, "coach: --cue needs --session\n");
    return 2;
  }
  // Linking is a person's act: a minted token is a user token then.
  if ((!link.empty() || !unlink.empty()) &&
      absl::GetFlag(FLAGS_role) == "coach") {
    absl::SetFlag(&FLAGS_role, "user");
  }
  absl::StatusOr<std::string> token = coachd::TokenFromFlags();
  if (!token.ok()) {
    std::fprintf(stderr, "coach: %s\n",
                 std::string(token.status().message()).c_str());
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel =
      coachd::MakeChannel(absl::GetFlag(FLAGS_target));
  auto stub = coach::v1::CoachService::NewStub(channel);

  if (!link.empty()) return LinkOrUnlink(*stub, *token, link, false);
  if (!unlink.empty()) return LinkOrUnlink(*stub, *token, unlink, true);
  if (!cue.empty()) {
    coach::v1::SendCueRequest request;
    request.set_session_id(absl::GetFlag(FLAGS_session));
    request.set_text(cue);
    coach::v1::SendCueResponse response;
    grpc::Status s = stub->SendCue(Context(*token).get(), request, &response);
    if (!s.ok()) return Fail("cue", s);
    std::printf("cue sent into session %s as event #%lld\n",
                request.session_id().c_str(),
                static_cast<long long>(response.sequence()));
    return 0;
  }
  if (!summary.empty()) {
    coach::v1::GetSessionSummaryRequest request;
    request.set_session_id(summary);
    coach::v1::SessionSummaryView view;
    grpc::Status s =
        stub->GetSessionSummary(Context(*token).get(), request, &view);
    if (!s.ok()) return Fail("summary", s);
    std::printf("%s", coachd::RenderSummary(view).c_str());
    return 0;
  }
  if (list) {
    coach::v1::ListClientsResponse clients;
    grpc::Status s = stub->ListClients(Context(*token).get(), {}, &clients);
    if (!s.ok()) return Fail("clients", s);
    coachd::BoardModel model;
    model.SetClients(clients);
    std::printf("%s", model.Render(absl::Now(), Width()).c_str());
    return 0;
  }
  if (!follow.empty()) {
    coachd::FollowerOptions options;
    options.from_start = absl::GetFlag(FLAGS_from_start);
    coachd::SessionFollower follower(channel, *token, follow,
                                     coach::v1::DEVICE_KIND_COACH, options);
    absl::Status s = follower.Run([](const coach::v1::SessionEvent& e) {
      std::printf("%s\n", coachd::FollowLine(e).c_str());
      std::fflush(stdout);
    });
    return s.ok() ? 0 : Fail("follow", s);
  }
  return ShowBoard(*stub, channel, *token);
}
