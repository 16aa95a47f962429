#include "tests/common/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

extern char** environ;

namespace coachd {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(20);

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::vector<std::string> argv, std::string output_path) {
  if (argv.empty()) return absl::InvalidArgumentError("argv: empty");
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int spawned =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawned)));
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(pid, std::move(output_path)));
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ChildProcess::Output() const {
  std::ifstream in(output_path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool ChildProcess::WaitForOutput(const std::string& text,
                                 absl::Duration timeout) const {
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    if (Output().find(text) != std::string::npos) return true;
    if (absl::Now() >= give_up) return false;
    if (pid_ <= 0 || waitpid(pid_, nullptr, WNOHANG) != 0) {
      // Ended (or reaped): what it wrote is all there is.
      return Output().find(text) != std::string::npos;
    }
    absl::SleepFor(kPoll);
  }
}

int ChildProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return status_;
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      status_ = status;
      return status;
    }
    if (absl::Now() >= give_up) return -1;
    absl::SleepFor(kPoll);
  }
}

int ChildProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  const int status = Wait(timeout);
  if (status != -1) return status;
  kill(pid_, SIGKILL);
  return Wait(absl::Seconds(10));
}

absl::StatusOr<pid_t> SpawnTiedToTest(std::vector<std::string> argv,
                                      const std::string& output_path) {
  if (argv.empty()) return absl::InvalidArgumentError("argv: empty");
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child: die with the test, write output to `output_path`.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd =
        open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

absl::StatusOr<int> WaitForPortFile(ChildProcess& child,
                                    const std::string& port_file,
                                    absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  for (;;) {
    std::ifstream in(port_file);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    int port = 0;
    if (absl::EndsWith(text, "\n") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port) && port > 0) {
      return port;
    }
    if (child.Wait(kPoll) != -1) {
      return absl::UnavailableError(
          absl::StrCat("ended before writing its port: ", child.Output()));
    }
    if (absl::Now() >= give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no port in ", port_file, " after ", absl::FormatDuration(timeout)));
    }
  }
}

absl::Status RunToCompletion(std::vector<std::string> argv,
                             const std::string& output_path,
                             absl::Duration timeout) {
  const std::string command = absl::StrJoin(argv, " ");
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(std::move(argv), output_path);
  if (!child.ok()) return child.status();
  const int status = (*child)->Wait(timeout);
  if (status == -1) {
    (*child)->Terminate();
    return absl::DeadlineExceededError(absl::StrCat(
        command, ": still running after ", absl::FormatDuration(timeout)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat(command, " failed (status ", status,
                                            "): ", (*child)->Output()));
  }
  return absl::OkStatus();
}

int PickFreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool LoopbackPortAccepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace coachd
