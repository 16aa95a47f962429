// End to end: the README's walkthroughs, run as written with the built
// binaries against a real coachd (embedded store, on a free loopback port):
// --help of every program, the catalogue, a routine, the demo session and
// commands into it, a weekly goal and the reminders display, the coach
// console; and what a new user reads when something is refused.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Upper bound on any one wait for a child. Only a broken binary gets near.
constexpr absl::Duration kBound = absl::Seconds(60);

std::string Binary(const std::string& path) {
  return std::string(COACHD_BINARY_DIR) + "/" + path;
}
const std::string kCoachd = "services/server/coachd";
const std::string kCoachctl = "clients/coachctl/coachctl";
const std::string kDisplay = "clients/display/display";
const std::string kVoice = "clients/voice/voice";
const std::string kCoach = "clients/coach/coach";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A child process with its stdout and stderr in files.
struct Child {
  pid_t pid = -1;
  int pidfd = -1;
  std::string out_path, err_path;

  std::string Out() const { return ReadFile(out_path); }
  std::string Err() const { return ReadFile(err_path); }
  // Waits up to `timeout` for it to end; its exit code, or -1.
  int Wait(absl::Duration timeout) {
    pollfd fd = {pidfd, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) !=
        1) {
      return -1;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    close(pidfd);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void Stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    if (Wait(kBound) < 0) {
      kill(pid, SIGKILL);
      Wait(kBound);
    }
  }
};

// What a finished command left.
struct Ran {
  int code = -1;
  std::string out, err;
};

class WalkthroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "coachd_walk_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << dir_template;
    dir_ = dir_template;
    // As the README says: a secret in a file, then coachd.
    secret_ = dir_ + "/secret";
    std::ofstream(secret_) << "my-long-random-secret\n";
  }

  void TearDown() override {
    for (Child& child : children_) child.Stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Starts `binary` with `args` (and `env` added to the environment).
  Child& Spawn(const std::string& binary, const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}) {
    const int n = static_cast<int>(children_.size());
    Child child;
    child.out_path = absl::StrCat(dir_, "/", n, ".out");
    child.err_path = absl::StrCat(dir_, "/", n, ".err");
    std::vector<std::string> argv_s = {Binary(binary)};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s = env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      bool overridden = false;
      for (const std::string& mine : env) {
        overridden |= entry.substr(0, entry.find('=') + 1) ==
                      mine.substr(0, mine.find('=') + 1);
      }
      if (!overridden) env_s.push_back(entry);
    }
    std::vector<char*> envp;
    for (std::string& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
                                     child.out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO,
                                     child.err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int spawned = posix_spawn(&child.pid, argv_s[0].c_str(), &actions,
                                    nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(spawned, 0) << argv_s[0] << ": " << std::strerror(spawned);
    child.pidfd = static_cast<int>(syscall(SYS_pidfd_open, child.pid, 0));
    EXPECT_GE(child.pidfd, 0) << std::strerror(errno);
    children_.push_back(child);
    return children_.back();
  }

  // Runs `binary` to its end.
  Ran Run(const std::string& binary, const std::vector<std::string>& args,
          const std::vector<std::string>& env = {}) {
    Child& child = Spawn(binary, args, env);
    Ran ran;
    ran.code = child.Wait(kBound);
    EXPECT_GE(ran.code, 0) << binary << " did not end";
    ran.out = child.Out();
    ran.err = child.Err();
    return ran;
  }

  // Starts coachd as the README does (at the demo's 10x), on a free port.
  void StartCoachd() {
    const std::string port_file = dir_ + "/port";
    Child& coachd =
        Spawn(kCoachd, {"--auth_secret_file=" + secret_, "--listen=127.0.0.1:0",
                        "--port_file=" + port_file, "--time_scale=10"});
    // Start-up has no event to wait on: poll the port file in short waits.
    const absl::Time give_up = absl::Now() + kBound;
    int port = 0;
    while (absl::Now() < give_up) {
      const std::string text = ReadFile(port_file);
      if (absl::EndsWith(text, "\n") &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
        break;
      }
      ASSERT_LT(coachd.Wait(absl::Milliseconds(20)), 0) << "coachd exited:\n"
                                                        << coachd.Err();
    }
    ASSERT_GT(port, 0) << coachd.Err();
    target_ = absl::StrCat("--target=127.0.0.1:", port);
  }

  // The README's C="--target=... --secret_file=secret --sub=alice" and more.
  std::vector<std::string> C(std::vector<std::string> more,
                             const std::string& sub = "alice") {
    std::vector<std::string> args = {target_, "--secret_file=" + secret_,
                                     "--sub=" + sub};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // Waits until `child`'s stdout holds `text` (or it ends); its stdout.
  std::string AwaitOut(Child& child, const std::string& text) {
    const absl::Time give_up = absl::Now() + kBound;
    std::string out = child.Out();
    while (!absl::StrContains(out, text) && absl::Now() < give_up) {
      if (child.Wait(absl::Milliseconds(20)) >= 0) return child.Out();
      out = child.Out();
    }
    return out;
  }

  std::string dir_, secret_, target_;
  std::deque<Child> children_;  // Stable references as it grows.
};

TEST_F(WalkthroughTest, HelpListsEveryProgramsFlags) {
  struct Case {
    std::string binary;
    std::vector<std::string> shown;
  };
  const std::vector<std::string> client = {"--target", "--token",
                                           "--secret_file", "--sub", "--role"};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.end(), client.begin(), client.end());
    return more;
  };
  for (const Case& c : std::vector<Case>{
           {kCoachd,
            {"--auth_secret_file", "--listen", "--redis", "--time_scale",
             "deploy/demo.sh uses"}},
           {kCoachctl,
            with({"exercises", "routine", "command SESSION WHAT",
                  "pause, resume, next, previous, repeat, set_done, end",
                  "--focus=balanced|upper|mid|lower|mobility", "--json"})},
           {kDisplay, with({"--session", "--reminders", "--width"})},
           {kVoice, with({"--session", "--speak", "--reminders"})},
           {kCoach, with({"--follow", "--cue", "--summary", "--link",
                          "--link_code", "--unlink_client"})},
       }) {
    SCOPED_TRACE(c.binary);
    const Ran ran = Run(c.binary, {"--help"});
    const std::string help = ran.out + ran.err;
    EXPECT_THAT(help, Not(HasSubstr("No flags matched")));
    for (const std::string& text : c.shown) {
      EXPECT_THAT(help, HasSubstr(text));
    }
    // Abseil's own flags stay in --helpfull.
    EXPECT_THAT(help, Not(HasSubstr("--flagfile")));
  }
}

TEST_F(WalkthroughTest, TheReadmeWalkthroughRunsAsWritten) {
  ASSERT_NO_FATAL_FAILURE(StartCoachd());

  // The catalogue and routines.
  Ran ran = Run(kCoachctl, C({"exercises"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("Superman"));
  ran = Run(kCoachctl, C({"routine", "--focus=balanced",
                          "--equipment=dumbbells,band", "--minutes=25"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("Light Cardio Warm-Up"));
  ran = Run(kCoachctl, C({"routine", "--prescription=3-3-3",
                          "--equipment=dumbbells,bench"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("3 x 3, hold 3 s"));
  ran = Run(kCoachctl, C({"exercises", "--json"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, StartsWith("{\"exercises\":[{"));

  // S=$(coachctl start $C --preset=demo), then commands into it.
  ran = Run(kCoachctl, C({"start", "--preset=demo"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  const std::string session(absl::StripAsciiWhitespace(ran.out));
  ASSERT_FALSE(session.empty());
  EXPECT_THAT(session, Not(HasSubstr("\n")));

  ran = Run(kCoachctl, C({"command", session, "pause"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, StartsWith("pause: done; the session is paused"));
  EXPECT_THAT(ran.out, HasSubstr("s left (event "));
  EXPECT_EQ(std::count(ran.out.begin(), ran.out.end(), '\n'), 1) << ran.out;

  // Refused: the code's name and the reason in words, never a number or an
  // enum name.
  ran = Run(kCoachctl, C({"command", session, "pause"}));
  EXPECT_EQ(ran.code, 1);
  EXPECT_THAT(ran.err, HasSubstr("coachctl command pause: pause: not allowed "
                                 "while the session is paused"));
  EXPECT_THAT(ran.err, HasSubstr("(FAILED_PRECONDITION)"));
  EXPECT_THAT(ran.err, Not(HasSubstr(" 9 ")));

  ran = Run(kCoachctl, C({"command", session, "resume", "--json"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, StartsWith("{"));
  EXPECT_THAT(ran.out, HasSubstr("\"run_state\":\"RUN_STATE_RUNNING\""));

  // "done" while a timer runs the part: said in words.
  ran = Run(kCoachctl, C({"command", session, "set_done"}));
  EXPECT_EQ(ran.code, 1);
  EXPECT_THAT(ran.err, HasSubstr("runs on its own timer; say next to skip it"));
  EXPECT_THAT(ran.err, Not(HasSubstr("_KIND_")));

  // The coach console pairs (the coach approves its code with their own
  // coach sign-in), makes a link code, alice links her coach with it (once:
  // the code is used up), an empty cue is refused, and the live table
  // written to a file has no screen codes.
  const std::string console = "--credentials_file=" + dir_ + "/console.json";
  Child& pairing = Spawn(kCoach, {target_, "--pair", console, "--list"});
  const std::string shown = AwaitOut(pairing, "coachctl pair approve ");
  const size_t at = shown.find("approve code ");
  ASSERT_NE(at, std::string::npos) << shown << pairing.Err();
  const std::string console_code = shown.substr(at + 13, 8);
  ran = Run(kCoachctl, C({"pair", "approve", console_code, "--role=coach",
                          "--kind=coach_console", "--name=console"},
                         "coach-bob"));
  ASSERT_EQ(ran.code, 0) << ran.err;
  ASSERT_EQ(pairing.Wait(kBound), 0) << pairing.Err();
  const std::vector<std::string> K = {target_, console};  // No secret.
  auto with = [&K](std::vector<std::string> more) {
    std::vector<std::string> args = K;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  ran = Run(kCoach, with({"--link_code"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  ASSERT_THAT(ran.out, StartsWith("link code "));
  const std::string code = ran.out.substr(10, 8);
  EXPECT_THAT(ran.out, HasSubstr("coach --link=" + code));
  ran = Run(kCoach, C({"--link=" + code}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("linked; your coaches: coach-bob"));
  ran = Run(kCoach, C({"--link=" + code}, "carol"));
  EXPECT_EQ(ran.code, 1);
  EXPECT_THAT(ran.err, HasSubstr("(NOT_FOUND)"));
  ran = Run(kCoach, with({"--session=" + session, "--cue="}));
  EXPECT_EQ(ran.code, 2);
  EXPECT_THAT(ran.err, HasSubstr("--cue: is empty"));
  ran = Run(kCoach, with({"--session=" + session, "--cue=Chin tucked"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("cue sent into session " + session));
  ran = Run(kCoach, with({"--updates=1"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("1 client, 1 training now"));
  EXPECT_THAT(ran.out, Not(HasSubstr("\033")));

  // The speaker: without espeak-ng on the PATH, --speak says so once and
  // prints the lines; the session, ended, sums up what was skipped.
  ran = Run(kCoachctl, C({"command", session, "end"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, StartsWith("end: done; the session is finished"));
  ran = Run(kVoice,
            C({"--role=device", "--session=" + session, "--from_start",
               "--commands=false", "--speak"}),
            {"PATH=" + dir_});
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.err, HasSubstr("espeak-ng is not installed"));
  const std::string missing = "espeak-ng is not installed";
  EXPECT_EQ(ran.err.find(missing), ran.err.rfind(missing)) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("[speaker] Session ended."));
}

TEST_F(WalkthroughTest, TheGoalAndRemindersWalkthroughRunsAsWritten) {
  ASSERT_NO_FATAL_FAILURE(StartCoachd());

  // Before a goal: what to do, in the client's words.
  Ran ran = Run(kCoachctl, C({"progress"}));
  EXPECT_EQ(ran.code, 1);
  EXPECT_THAT(ran.err, HasSubstr("set one with `coachctl goal` (NOT_FOUND)"));

  // The README's goal: 3 a week, a reminder in a minute (late in the week
  // is fine: the display shows the week and the next reminder).
  const absl::TimeZone london = [] {
    absl::TimeZone tz;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &tz));
    return tz;
  }();
  const absl::Time soon = absl::Now() + absl::Minutes(1);
  ran = Run(kCoachctl,
            C({"goal", "--per_week=3", "--tz=Europe/London",
               "--remind_at=" + absl::FormatTime("%H:%M", soon, london),
               "--days=mon,wed,fri," + absl::FormatTime("%a", soon, london)}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("this week: 0 of 3 sessions"));
  ran = Run(kCoachctl, C({"progress"}));
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("this week: 0 of 3 sessions (open)"));
  EXPECT_THAT(ran.out, HasSubstr("next reminder: "));

  // The reminders display shows the week while it waits.
  Child& display = Spawn(kDisplay, C({"--role=device", "--reminders"}));
  const std::string out = AwaitOut(display, "waiting for reminders");
  EXPECT_THAT(out, StartsWith("[display] this week: 0 of 3 sessions done; "
                              "next reminder "));
  EXPECT_THAT(out, HasSubstr("waiting for reminders"));
  display.Stop();

  // An unknown reminder: the code's name, not its number.
  ran = Run(kCoachctl, C({"ack", "--reminder=2001-01-01"}));
  EXPECT_EQ(ran.code, 1);
  EXPECT_THAT(ran.err, HasSubstr("(NOT_FOUND)"));
  EXPECT_THAT(ran.err, StartsWith("coachctl ack: "));
}

TEST_F(WalkthroughTest, AClientsFlagErrorsNameItsOwnFlags) {
  const Ran ran =
      Run(kDisplay, {"--target=127.0.0.1:1", "--secret_file=" + dir_ + "/none",
                     "--sub=alice", "--session=s"});
  EXPECT_EQ(ran.code, 2);
  EXPECT_THAT(ran.err,
              HasSubstr("--secret_file " + dir_ + "/none: cannot be read"));
  EXPECT_THAT(ran.err, Not(HasSubstr("auth_secret_file")));
}

}  // namespace
}  // namespace coachd
