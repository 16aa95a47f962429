// voice: a smart-speaker agent. Subscribes to a session as VOICE, prints
// every spoken line (and speaks it with espeak-ng when --speak), and turns
// what the person types ("pause", "next", "done", "stop it hurts") into
// commands. Reconnects and resumes by itself.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/common/client_auth.h"
#include "clients/common/client_flags.h"
#include "clients/common/console.h"
#include "clients/common/device_flags.h"
#include "clients/common/reminder_watcher.h"
#include "clients/common/session_follower.h"
#include "clients/common/status_text.h"
#include "clients/voice/command_sender.h"
#include "clients/voice/listen.h"
#include "clients/voice/timed_speaker.h"
#include "clients/voice/utterance.h"
#include "services/common/flags_help.h"

extern char** environ;

ABSL_FLAG(std::string, session, "", "Session id to follow (required).");
ABSL_FLAG(bool, speak, false, "Speak each line through espeak-ng.");
ABSL_FLAG(bool, from_start, false, "Replay the session from its first event.");
ABSL_FLAG(bool, commands, true, "Read spoken commands (typed) from stdin.");
ABSL_FLAG(std::string, prefix, "[speaker] ", "Printed before each line.");
ABSL_FLAG(std::string, listen, "",
          "Hear spoken commands offline: mic (the default ALSA capture "
          "device, through sox's rec), - (16 kHz mono WAV or raw on stdin) "
          "or a file.");
ABSL_FLAG(bool, listen_real_time, false,
          "Read a --listen file at the speed it was recorded.");
ABSL_FLAG(std::string, audio_out, "",
          "With --speak: write each line to a WAV file in this folder, named "
          "by its start time (unix ms) and event sequence, instead of "
          "playing it.");
ABSL_FLAG(double, speech_time_scale, 1,
          "With --speak: the session runs this many times faster (coachd's "
          "--time_scale); line lengths are planned scaled by it (tests).");
ABSL_FLAG(bool, reminders, false,
          "Say the person's workout reminders instead of following a session.");

namespace {

// Speaks lines one after another on its own thread, so the stream never
// waits for the voice.
class Speaker {
 public:
  Speaker() : thread_([this] { Loop(); }) {}
  ~Speaker() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    thread_.join();
  }
  void Say(std::string text) {
    absl::MutexLock lock(&mu_);
    if (lines_.size() > 8) lines_.pop_front();  // Stay current.
    lines_.push_back(std::move(text));
  }

 private:
  void Loop() {
    for (;;) {
      std::string line;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Speaker* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return s->done_ || !s->lines_.empty();
            },
            this));
        if (lines_.empty()) return;
        line = std::move(lines_.front());
        lines_.pop_front();
      }
      const char* argv[] = {"espeak-ng", "-s", "165", line.c_str(), nullptr};
      pid_t pid;
      if (posix_spawnp(&pid, "espeak-ng", nullptr, nullptr,
                       const_cast<char**>(argv), environ) == 0) {
        int status;
        waitpid(pid, &status, 0);
      }
    }
  }
  absl::Mutex mu_;
  std::deque<std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(
      "voice (--session=ID | --reminders) [--speak] [--target=HOST:PORT] "
      "(--token=JWT | --secret_file=PATH --sub=ID --role=device | "
      "[--pair] --credentials_file=PATH)");
  absl::ParseCommandLine(argc, argv);
  const std::string session = absl::GetFlag(FLAGS_session);
  const bool pair_only = absl::GetFlag(FLAGS_pair) && session.empty() &&
                         !absl::GetFlag(FLAGS_reminders);
  if (session.empty() && !absl::GetFlag(FLAGS_reminders) && !pair_only) {
    std::cerr << "voice: --session (or --reminders) is required\n";
    return 2;
  }
  auto channel = coachd::MakeChannel(absl::GetFlag(FLAGS_target));
  absl::StatusOr<std::unique_ptr<coachd::DeviceTokens>> tokens =
      coachd::DeviceTokensFromFlags(
          channel, "speaker", [](const coachd::PairingPrompt& prompt) {
            const std::string text =
                absl::StrCat("To pair this speaker, approve code ",
                             coachd::SpokenUserCode(prompt.user_code));
            std::printf("%s (%s)\n", text.c_str(), prompt.user_code.c_str());
            std::fflush(stdout);
            if (absl::GetFlag(FLAGS_speak)) Speaker().Say(text);
          });
  if (!tokens.ok()) {
    std::cerr << "voice: " << tokens.status().message() << "\n";
    return 2;
  }
  if (pair_only) return 0;
  // Said once, up front: without espeak-ng, --speak would be silent.
  if (absl::GetFlag(FLAGS_speak) &&
      !coachd::ProgramInPath("espeak-ng", std::getenv("PATH"))) {
    std::cerr << "voice: --speak: espeak-ng is not installed (Debian: "
                 "apt-get install espeak-ng, or run deploy/setup.sh); "
                 "printing the lines without speaking them\n";
    absl::SetFlag(&FLAGS_speak, false);
  }
  if (absl::GetFlag(FLAGS_reminders)) {
    std::unique_ptr<Speaker> speaker;
    if (absl::GetFlag(FLAGS_speak)) speaker = std::make_unique<Speaker>();
    coachd::ReminderWatcher watcher(channel, (*tokens)->Provider(),
                                    coach::v1::DEVICE_KIND_VOICE);
    const std::string prefix = absl::GetFlag(FLAGS_prefix);
    absl::Status status = watcher.Run([&](const coach::v1::Reminder& r) {
      if (r.state() != coach::v1::REMINDER_STATE_DUE) return;
      const std::string& text =
          r.speech().text().empty() ? r.text() : r.speech().text();
      std::printf("%s%s\n", prefix.c_str(), text.c_str());
      std::fflush(stdout);
      if (speaker != nullptr) speaker->Say(text);
    });
    if (status.ok() || absl::IsCancelled(status)) return 0;
    std::cerr << "voice: " << coachd::StatusText(status) << "\n";
    return 1;
  }
  coachd::FollowerOptions options;
  options.from_start = absl::GetFlag(FLAGS_from_start);
  coachd::SessionFollower follower(channel, (*tokens)->Provider(), session,
                                   coach::v1::DEVICE_KIND_VOICE, options);
  // Both live as long as the process: the listening thread uses them.
  static coachd::RealClock* const clock = new coachd::RealClock();
  static coachd::SpeakingTimes* const speaking = new coachd::SpeakingTimes();
  std::unique_ptr<coachd::TimedSpeaker> speaker;
  if (absl::GetFlag(FLAGS_speak)) {
    coachd::SpeakerOptions speak;
    speak.audio_out_dir = absl::GetFlag(FLAGS_audio_out);
    speak.time_scale = absl::GetFlag(FLAGS_speech_time_scale);
    if (!(speak.time_scale >= 1)) {
      std::cerr << "voice: --speech_time_scale must be at least 1\n";
      return 2;
    }
    speaker = std::make_unique<coachd::TimedSpeaker>(clock, speaking, speak);
  }
  const std::string prefix = absl::GetFlag(FLAGS_prefix);

  // Typed and spoken commands take the token current when sent, and refresh
  // it after UNAUTHENTICATED, as the streams above do.
  auto sender = std::make_shared<coachd::CommandSender>(
      channel, (*tokens)->Provider(), session);
  std::unique_ptr<coachd::SpokenCommands> spoken;
  if (!absl::GetFlag(FLAGS_listen).empty()) {
    absl::StatusOr<std::unique_ptr<coachd::SpokenCommands>> started =
        coachd::SpokenCommands::Start(absl::GetFlag(FLAGS_listen),
                                      absl::GetFlag(FLAGS_listen_real_time),
                                      sender, prefix, speaking);
    if (!started.ok()) {
      std::cerr << "voice: " << started.status().message() << "\n";
      return 2;
    }
    spoken = *std::move(started);
  }

  if (absl::GetFlag(FLAGS_commands) && absl::GetFlag(FLAGS_listen) != "-") {
    // Commands typed on stdin; detached so a closed stdin never blocks exit.
    std::thread([sender, prefix] {
      std::string line;
      while (std::getline(std::cin, line)) {
        coach::v1::CommandType type = coachd::ParseUtterance(line);
        if (type == coach::v1::COMMAND_TYPE_UNSPECIFIED) {
          std::printf(
              "%s(didn't catch that: try pause, resume, next, back, "
              "repeat, done, skip exercise, mobility, end, it hurts)\n",
              prefix.c_str());
          std::fflush(stdout);
          continue;
        }
        grpc::Status s = sender->Send(type, line);
        if (!s.ok()) {
          std::printf("%s(%s)\n", prefix.c_str(), s.error_message().c_str());
          std::fflush(stdout);
        }
      }
    }).detach();
  }

  absl::Status done = follower.Run([&](const coach::v1::SessionEvent& event) {
    const std::string& text = event.speech().text();
    if (text.empty()) return;
    std::printf("%s%s%s\n", prefix.c_str(),
                event.has_snapshot() && !event.snapshot().recovered()
                    ? "(catching up) "
                    : "",
                text.c_str());
    std::fflush(stdout);
    if (speaker != nullptr) speaker->Say(event);
    if (spoken != nullptr && event.has_discomfort_reported()) {
      spoken->ExpectAnswer();  // "Skip it, switch to a stretch, or end?"
    }
  });
  if (!done.ok()) {
    std::fprintf(stderr, "voice: %s\n", coachd::StatusText(done).c_str());
    return 1;
  }
  return 0;
}
