// coach: a coach's terminal console. By default it shows the live table of
// the coach's clients (who is training now, exercise, set, paused; this
// week's progress; the last discomfort), with discomfort flagged at the top,
// redrawn as WatchLive updates arrive; with --plain it prints one line per
// update instead, for scripts. It also follows one session cue by cue
// (--follow), speaks into one (--cue with --session), prints a session's
// summary (--summary) or the client list (--list). Links need both sides:
// the coach makes a link code (--link_code) and gives it to the person, who
// links with it using their user token (--link=CODE); either side ends the
// link (--unlink=COACH as the person, --unlink_client=PERSON as the coach).
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
#include "clients/common/device_flags.h"
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
ABSL_FLAG(bool, link_code, false,
          "As a coach: make a link code to give to a client (it works once, "
          "for 24 hours).");
ABSL_FLAG(std::string, link, "",
          "As a person (user token): link the coach who gave you this link "
          "code.");
ABSL_FLAG(std::string, unlink, "",
          "As a person (user token): unlink this coach id.");
ABSL_FLAG(std::string, unlink_client, "",
          "As a coach: end the link with this client (person id).");
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

// As a person: links the coach of link code `code`, or unlinks coach
// `coach` (`unlink`).
int LinkOrUnlink(coach::v1::CoachService::Stub& stub, const std::string& token,
                 const std::string& code_or_coach, bool unlink) {
  coach::v1::LinkCoachRequest request;
  if (unlink) {
    request.set_coach_id(code_or_coach);
    request.set_unlink(true);
  } else {
    request.set_code(code_or_coach);
  }
  coach::v1::LinkCoachResponse response;
  grpc::Status s = stub.LinkCoach(Context(token).get(), request, &response);
  if (!s.ok()) return Fail(unlink ? "unlink" : "link", s);
  const std::string done =
      unlink ? absl::StrCat("unlinked ", code_or_coach) : "linked";
  std::printf("%s%s; your coaches:", done.c_str(),
              response.changed() ? "" : " (no change)");
  for (const auto& link : response.coaches()) {
    std::printf(" %s", link.coach_id().c_str());
  }
  std::printf("\n");
  return 0;
}

// As a coach: makes a link code and says how the client uses it.
int MakeLinkCode(coach::v1::CoachService::Stub& stub,
                 const std::string& token) {
  coach::v1::CreateLinkCodeResponse response;
  grpc::Status s = stub.CreateLinkCode(Context(token).get(), {}, &response);
  if (!s.ok()) return Fail("link code", s);
  std::printf(
      "link code %s: give it to your client; it works once, for %d hours.\n"
      "They link you with: coach --link=%s (with their own user token)\n",
      response.code().c_str(), response.expires_in_seconds() / 3600,
      response.code().c_str());
  return 0;
}

// As a coach: ends the link with `person`.
int UnlinkClient(coach::v1::CoachService::Stub& stub, const std::string& token,
                 const std::string& person) {
  coach::v1::UnlinkClientRequest request;
  request.set_person_id(person);
  coach::v1::UnlinkClientResponse response;
  grpc::Status s = stub.UnlinkClient(Context(token).get(), request, &response);
  if (!s.ok()) return Fail("unlink client", s);
  std::printf("%s %s\n",
              response.changed() ? "no longer coaching" : "not linked to",
              person.c_str());
  return 0;
}

int ShowBoard(coach::v1::CoachService::Stub& stub,
              std::shared_ptr<grpc::Channel> channel,
              coachd::DeviceTokens& tokens) {
  const bool plain = absl::GetFlag(FLAGS_plain);
  const int max_updates = absl::GetFlag(FLAGS_updates);
  coachd::LiveWatcher watcher(channel, tokens.Provider());
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
      // The token current now: a paired console's refreshes by itself.
      absl::StatusOr<std::string> token = tokens.Current();
      grpc::Status s =
          token.ok() ? stub.ListClients(Context(*token).get(), {}, &clients)
                     : grpc::Status(
                           static_cast<grpc::StatusCode>(token.status().code()),
                           std::string(token.status().message()));
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
      "--summary=SESSION | --list | --link_code | --unlink_client=PERSON |\n"
      "  (as a person) --link=CODE | --unlink=COACH\n"
      "  [--target=HOST:PORT] (--pair --credentials_file=PATH | "
      "--credentials_file=PATH | --token=JWT |\n"
      "  --secret_file=PATH --sub=ID [--role=coach])");
  // The console is a coach's: coach tokens unless --role says otherwise.
  absl::SetFlag(&FLAGS_role, "coach");
  absl::ParseCommandLine(argc, argv);

  const std::string follow = absl::GetFlag(FLAGS_follow);
  const std::string cue = absl::GetFlag(FLAGS_cue);
  const std::string summary = absl::GetFlag(FLAGS_summary);
  const std::string link = absl::GetFlag(FLAGS_link);
  const std::string unlink = absl::GetFlag(FLAGS_unlink);
  const std::string unlink_client = absl::GetFlag(FLAGS_unlink_client);
  const bool link_code = absl::GetFlag(FLAGS_link_code);
  const bool list = absl::GetFlag(FLAGS_list);
  const int modes = !follow.empty() + !cue.empty() + !summary.empty() +
                    !link.empty() + !unlink.empty() + !unlink_client.empty() +
                    link_code + list;
  if (modes > 1) {
    std::fprintf(stderr,
                 "coach: choose one of --follow, --cue, --summary, --list, "
                 "--link_code, --unlink_client, --link, --unlink\n");
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
  std::shared_ptr<grpc::Channel> channel =
      coachd::MakeChannel(absl::GetFlag(FLAGS_target));
  // A person links with their own user token; the coach's console is a
  // paired device of the coach's (--pair, --credentials_file) or takes a
  // coach token.
  absl::StatusOr<std::unique_ptr<coachd::DeviceTokens>> tokens;
  if (!link.empty() || !unlink.empty()) {
    absl::StatusOr<std::string> user = coachd::TokenFromFlags();
    if (user.ok()) {
      tokens = std::make_unique<coachd::DeviceTokens>(*std::move(user));
    } else {
      tokens = user.status();
    }
  } else {
    tokens = coachd::DeviceTokensFromFlags(
        channel, "coach console", [](const coachd::PairingPrompt& prompt) {
          std::printf(
              "To pair this coach console, approve code %s with your coach "
              "token within %d minutes:\n  coachctl pair approve %s "
              "--kind=coach_console --name=\"coach console\" --role=coach "
              "...\n",
              prompt.user_code.c_str(),
              static_cast<int>(absl::ToInt64Minutes(prompt.expires_in)),
              prompt.user_code.c_str());
          std::fflush(stdout);
        });
  }
  if (!tokens.ok()) {
    std::fprintf(stderr, "coach: %s\n",
                 std::string(tokens.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::string> token = (*tokens)->Current();
  if (!token.ok()) return Fail("token", token.status());
  auto stub = coach::v1::CoachService::NewStub(channel);

  if (!link.empty()) return LinkOrUnlink(*stub, *token, link, false);
  if (!unlink.empty()) return LinkOrUnlink(*stub, *token, unlink, true);
  if (link_code) return MakeLinkCode(*stub, *token);
  if (!unlink_client.empty()) return UnlinkClient(*stub, *token, unlink_client);
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
    coachd::SessionFollower follower(channel, (*tokens)->Provider(), follow,
                                     coach::v1::DEVICE_KIND_COACH, options);
    absl::Status s = follower.Run([](const coach::v1::SessionEvent& e) {
      std::printf("%s\n", coachd::FollowLine(e).c_str());
      std::fflush(stdout);
    });
    return s.ok() ? 0 : Fail("follow", s);
  }
  return ShowBoard(*stub, channel, **tokens);
}
