// A program run by a test: its output (stdout and stderr together) goes to
// a file the test reads; it is killed when the object goes away.
//
//   absl::StatusOr<std::unique_ptr<ChildProcess>> child =
//       ChildProcess::Start({binary, "--flag"}, dir + "/out.txt");
//   ASSERT_TRUE((*child)->WaitForOutput("ready", absl::Seconds(30)));
//   (*child)->Terminate();
#ifndef TESTS_COMMON_CHILD_PROCESS_H_
#define TESTS_COMMON_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

class ChildProcess {
 public:
  // Runs argv[0] (a path, or a name looked up on PATH) with its output
  // appended to `output_path` and stdin from /dev/null. UNAVAILABLE when it
  // cannot be started.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      std::vector<std::string> argv, std::string output_path);
  ~ChildProcess();  // SIGKILLs it if still running.
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // What it has written so far.
  std::string Output() const;
  // Waits up to `timeout` for `text` to appear in its output; false if it
  // did not (or the process ended first without writing it). Polls in
  // short waits: the output is a file, with no event to wait on.
  bool WaitForOutput(const std::string& text, absl::Duration timeout) const;
  // Sends SIGTERM and waits up to `timeout` for it to end (then SIGKILL).
  // Returns its wait status.
  int Terminate(absl::Duration timeout = absl::Seconds(10));
  // Waits up to `timeout` for it to end by itself; its wait status, or -1
  // when it is still running.
  int Wait(absl::Duration timeout);

 private:
  ChildProcess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}
  pid_t pid_;  // -1 once reaped.
  std::string output_path_;
  int status_ = -1;
};

// Waits up to `timeout` for `child` (a server started with --port_file) to
// write its port, a number and a newline, to `port_file`. The port;
// UNAVAILABLE with the child's output if it ends first, DEADLINE_EXCEEDED
// if the time runs out.
absl::StatusOr<int> WaitForPortFile(ChildProcess& child,
                                    const std::string& port_file,
                                    absl::Duration timeout);

// Starts argv[0] (a path, or a name looked up on PATH) in a child that
// dies with the thread that started it (PR_SET_PDEATHSIG: a crashed test
// leaves no server behind; start it from the test's main thread), its
// output (stdout and stderr) appended to `output_path`. Returns its pid,
// which the caller reaps (waitpid). INTERNAL when fork fails; a program
// that cannot be run exits 127 with the reason in its output.
// RedisServer and MosquittoServer run their servers with it.
absl::StatusOr<pid_t> SpawnTiedToTest(std::vector<std::string> argv,
                                      const std::string& output_path);

// A loopback TCP port that was free a moment ago (0 if none could be
// found). Another process may take it before the caller binds it: servers
// started on it retry with another port when they fail to bind.
int PickFreeLoopbackPort();

// Whether something accepts a TCP connection on 127.0.0.1:`port` now (a
// server that says nothing when it is ready: the port is the signal).
bool LoopbackPortAccepts(int port);

// Runs argv to completion (at most `timeout`), output to `output_path`.
// OK when it exits 0; INTERNAL with its output otherwise.
absl::Status RunToCompletion(std::vector<std::string> argv,
                             const std::string& output_path,
                             absl::Duration timeout = absl::Seconds(60));

}  // namespace coachd

#endif  // TESTS_COMMON_CHILD_PROCESS_H_
