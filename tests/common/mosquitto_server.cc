#include "tests/common/mosquitto_server.h"

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/common/child_process.h"

namespace coachd {

absl::StatusOr<std::unique_ptr<MosquittoServer>> MosquittoServer::Start(
    absl::Duration timeout) {
  return StartWith(MosquittoOptions(), timeout);
}

absl::StatusOr<std::unique_ptr<MosquittoServer>> MosquittoServer::StartWith(
    const MosquittoOptions& options, absl::Duration timeout) {
  std::unique_ptr<MosquittoServer> server(new MosquittoServer);
  server->options_ = options;
  server->timeout_ = timeout;
  char pattern[] = "/tmp/coachd-mosquitto-XXXXXX";
  const int fd = ::mkstemp(pattern);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("mkstemp: ", std::strerror(errno)));
  }
  ::close(fd);
  server->out_ = pattern;
  absl::Status launched;
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = PickFreeLoopbackPort();
    launched = server->Launch();
    if (launched.ok()) return server;
  }
  return launched;
}

MosquittoServer::~MosquittoServer() {
  Kill();
  if (!out_.empty()) {
    std::remove(out_.c_str());
    std::remove((out_ + ".conf").c_str());
  }
}

void MosquittoServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

absl::Status MosquittoServer::Restart() {
  Kill();
  return Launch();
}

absl::Status MosquittoServer::Launch() {
  const std::string port = absl::StrCat(port_);
  std::vector<std::string> argv = {"mosquitto", "-p", port};
  if (!options_.password_file.empty() || !options_.cert_file.empty()) {
    const std::string conf = out_ + ".conf";
    std::ofstream file(conf, std::ios::trunc);
    file << "listener " << port_ << " 127.0.0.1\n";
    // Started as root, mosquitto would drop to the "mosquitto" user, who
    // cannot read the test's files: it stays who the test is.
    if (const passwd* me = ::getpwuid(::geteuid()); me != nullptr) {
      file << "user " << me->pw_name << "\n";
    }
    if (!options_.password_file.empty()) {
      file << "allow_anonymous false\npassword_file " << options_.password_file
           << "\n";
    } else {
      file << "allow_anonymous true\n";
    }
    if (!options_.cert_file.empty()) {
      file << "certfile " << options_.cert_file << "\nkeyfile "
           << options_.key_file << "\ncafile " << options_.ca_file << "\n";
    }
    file.close();
    if (!file) return absl::InternalError(absl::StrCat("cannot write ", conf));
    argv = {"mosquitto", "-c", conf};
  }
  absl::StatusOr<pid_t> pid = SpawnTiedToTest(argv, out_);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  const absl::Time deadline = absl::Now() + timeout_;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(out_);
      std::stringstream text;
      text << in.rdbuf();
      return absl::UnavailableError(
          absl::StrCat("mosquitto on port ", port_, " exited:\n", text.str()));
    }
    if (LoopbackPortAccepts(port_)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(10));  // Polling a starting process.
  }
  Kill();
  return absl::UnavailableError(
      absl::StrCat("mosquitto on port ", port_, " did not start"));
}

}  // namespace coachd
