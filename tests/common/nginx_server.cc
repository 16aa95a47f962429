#include "tests/common/nginx_server.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace coachd {
namespace {

constexpr char kNginx[] = "/usr/sbin/nginx";

}  // namespace

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::Start(
    std::string dir, const std::string& conf_name, const Replacements& replace,
    int port) {
  if (::access(kNginx, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "no /usr/sbin/nginx (deploy/setup.sh installs it)");
  }
  const std::string source =
      absl::StrCat(COACHD_SOURCE_DIR, "/deploy/nginx/", conf_name);
  std::ifstream in(source);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", source));
  std::ostringstream text;
  text << in.rdbuf();
  std::ofstream(dir + "/nginx.conf")
      << absl::StrReplaceAll(text.str(), replace);
  std::unique_ptr<NginxServer> nginx(new NginxServer(std::move(dir), port));
  absl::Status started = nginx->Launch();
  if (!started.ok()) return started;
  return nginx;
}

absl::StatusOr<std::unique_ptr<NginxServer>> NginxServer::StartTls(
    std::string dir, const std::string& cert_file, const std::string& key_file,
    const std::string& upstream, int port) {
  return Start(
      std::move(dir), "coachd-tls.conf",
      {{"/etc/coachd/tls/server.pem", cert_file},
       {"/etc/coachd/tls/server.key", key_file},
       {"127.0.0.1:50051", upstream},
       {"127.0.0.1:50052", upstream},
       {"127.0.0.1:50053", upstream},
       {"127.0.0.1:8443", absl::StrCat("127.0.0.1:", port)},
       {"127.0.0.1:8444", absl::StrCat("127.0.0.1:", PickFreeLoopbackPort())},
       {"worker_processes auto;", "worker_processes 1;"},
       {"worker_connections 16384;", "worker_connections 256;"}},
      port);
}

NginxServer::~NginxServer() {
  if (process_ != nullptr) process_->Terminate();
}

absl::Status NginxServer::Launch() {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start({kNginx, "-p", dir_ + "/", "-e", "stderr", "-c",
                           dir_ + "/nginx.conf", "-g", "daemon off;"},
                          dir_ + "/nginx.out");
  if (!child.ok()) return child.status();
  process_ = *std::move(child);
  // nginx says nothing when it is ready: the port is the signal.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (!LoopbackPortAccepts(port_)) {
    if (absl::Now() > give_up || process_->Wait(absl::ZeroDuration()) != -1) {
      return absl::UnavailableError(
          absl::StrCat("nginx does not accept on 127.0.0.1:", port_, ": ",
                       process_->Output()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

void NginxServer::Stop() {
  if (process_ != nullptr) process_->Terminate();
  process_.reset();
}

absl::Status NginxServer::StartAgain() {
  if (process_ != nullptr) {
    return absl::FailedPreconditionError("nginx is running: Stop it first");
  }
  return Launch();
}

absl::Status NginxServer::Restart() {
  Stop();
  return StartAgain();
}

std::string NginxServer::Output() const {
  std::ifstream in(dir_ + "/nginx.out");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace coachd
