// display: a home display in the terminal. Subscribes to a session as
// DISPLAY and redraws the card (exercise, step list with the current step
// marked, set and rep, a countdown from the deadline, progress). With
// --plain it prints one line per card instead. Reconnects and resumes.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "clients/common/client_auth.h"
#include "clients/common/client_flags.h"
#include "clients/common/console.h"
#include "clients/common/device_flags.h"
#include "clients/common/reminder_watcher.h"
#include "clients/common/session_follower.h"
#include "clients/common/status_text.h"
#include "clients/display/card_view.h"
#include "services/common/flags_help.h"

ABSL_FLAG(std::string, session, "", "Session id to show (required).");
ABSL_FLAG(bool, plain, false,
          "One line per card instead of redrawing (always so when the output "
          "is not a terminal).");
ABSL_FLAG(bool, from_start, false, "Replay the session from its first event.");
ABSL_FLAG(int, width, 0,
          "Card width in columns; 0: the terminal's width ($COLUMNS when the "
          "output is not a terminal, else 80).");
ABSL_FLAG(std::string, prefix, "[display] ", "Printed before plain lines.");
ABSL_FLAG(bool, reminders, false,
          "Show the person's workout reminders instead of a session.");

namespace {

// The week's progress and the next reminder, shown while none is due.
void ShowWaiting(const std::shared_ptr<grpc::Channel>& channel,
                 const coachd::TokenProvider& tokens,
                 const std::string& prefix) {
  absl::StatusOr<std::string> token = tokens(/*refresh=*/false);
  if (!token.ok()) return;  // The watcher reports it.
  auto stub = coach::v1::SchedulerService::NewStub(channel);
  grpc::ClientContext context;
  coachd::AddToken(&context, *token);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  coach::v1::Progress progress;
  grpc::Status s = stub->GetProgress(&context, {}, &progress);
  std::printf("%s%s; waiting for reminders\n", prefix.c_str(),
              s.ok() ? coachd::WaitingLine(progress).c_str()
                     : s.error_message().c_str());
  std::fflush(stdout);
}

// Shows the week's progress, then reminders as they come (pending ones
// first, on connect).
int ShowReminders(std::shared_ptr<grpc::Channel> channel,
                  coachd::TokenProvider tokens, const std::string& prefix) {
  ShowWaiting(channel, tokens, prefix);
  coachd::ReminderWatcher watcher(channel, std::move(tokens),
                                  coach::v1::DEVICE_KIND_DISPLAY);
  absl::Status status = watcher.Run([&](const coach::v1::Reminder& r) {
    const char* state =
        r.state() == coach::v1::REMINDER_STATE_DUE       ? "due"
        : r.state() == coach::v1::REMINDER_STATE_SNOOZED ? "snoozed"
        : r.state() == coach::v1::REMINDER_STATE_DONE    ? "done"
                                                         : "cleared";
    std::printf("%s[%s] %s: %s (%d of %d this week) id=%s\n", prefix.c_str(),
                state, r.title().c_str(), r.text().c_str(), r.sessions_done(),
                r.sessions_target(), r.reminder_id().c_str());
    std::fflush(stdout);
  });
  if (!status.ok() && !absl::IsCancelled(status)) {
    std::fprintf(stderr, "display: %s\n", coachd::StatusText(status).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(
      "display (--session=ID [--plain] | --reminders) [--target=HOST:PORT] "
      "(--token=JWT | --secret_file=PATH --sub=ID --role=device | "
      "[--pair] --credentials_file=PATH)");
  absl::ParseCommandLine(argc, argv);
  const std::string session = absl::GetFlag(FLAGS_session);
  const bool pair_only = absl::GetFlag(FLAGS_pair) && session.empty() &&
                         !absl::GetFlag(FLAGS_reminders);
  if (session.empty() && !absl::GetFlag(FLAGS_reminders) && !pair_only) {
    std::cerr << "display: --session (or --reminders) is required\n";
    return 2;
  }
  auto channel = coachd::MakeChannel(absl::GetFlag(FLAGS_target));
  absl::StatusOr<std::unique_ptr<coachd::DeviceTokens>> tokens =
      coachd::DeviceTokensFromFlags(
          channel, "display", [](const coachd::PairingPrompt& prompt) {
            std::printf("To pair this display, approve code %s within %s\n",
                        prompt.user_code.c_str(),
                        absl::FormatDuration(prompt.expires_in).c_str());
            std::fflush(stdout);
          });
  if (!tokens.ok()) {
    std::cerr << "display: " << tokens.status().message() << "\n";
    return 2;
  }
  if (pair_only) return 0;
  if (absl::GetFlag(FLAGS_reminders)) {
    return ShowReminders(channel, (*tokens)->Provider(),
                         absl::GetFlag(FLAGS_prefix));
  }
  coachd::FollowerOptions options;
  options.from_start = absl::GetFlag(FLAGS_from_start);
  coachd::SessionFollower follower(channel, (*tokens)->Provider(), session,
                                   coach::v1::DEVICE_KIND_DISPLAY, options);
  // Redrawing needs a terminal; a pipe or a file gets plain lines.
  const bool plain =
      absl::GetFlag(FLAGS_plain) || !coachd::IsTerminal(STDOUT_FILENO);
  const int width =
      absl::GetFlag(FLAGS_width) > 0
          ? absl::GetFlag(FLAGS_width)
          : coachd::TerminalColumns(STDOUT_FILENO, std::getenv("COLUMNS"));
  const std::string prefix = absl::GetFlag(FLAGS_prefix);

  absl::Mutex mu;
  coach::v1::Card card;
  bool have_card = false, done = false;
  std::thread redraw;
  if (!plain) {
    // Counts the timer down locally from the deadline.
    redraw = std::thread([&] {
      absl::MutexLock lock(&mu);
      while (!done) {
        if (have_card) {
          std::printf("\033[H\033[2J%s",
                      coachd::RenderCard(card, absl::Now(), width).c_str());
          std::fflush(stdout);
        }
        mu.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(250));
      }
    });
  }
  std::string last_line;
  absl::Status status = follower.Run([&](const coach::v1::SessionEvent& e) {
    if (plain) {
      std::string line = coachd::CardLine(e.card(), absl::Now());
      if (line != last_line) {
        std::printf("%s%s\n", prefix.c_str(), line.c_str());
        std::fflush(stdout);
        last_line = std::move(line);
      }
      return;
    }
    absl::MutexLock lock(&mu);
    card = e.card();
    have_card = true;
  });
  {
    absl::MutexLock lock(&mu);
    done = true;
  }
  if (redraw.joinable()) redraw.join();
  if (!plain && have_card) {
    std::printf("\033[H\033[2J%s",
                coachd::RenderCard(card, absl::Now(), width).c_str());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "display: %s\n", coachd::StatusText(status).c_str());
    return 1;
  }
  return 0;
}
