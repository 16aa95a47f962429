// A real nginx for tests: one of deploy/nginx/'s files as shipped, with only
// its addresses, certificate paths and sizes replaced, run in a directory
// the test owns (config, pid file, temp files, output). It can be restarted
// on the same port as an operator would (SIGTERM, start again).
//
//   absl::StatusOr<std::unique_ptr<NginxServer>> nginx = NginxServer::Start(
//       dir, "coachd-tls.conf",
//       {{"127.0.0.1:8443", absl::StrCat("127.0.0.1:", port)}, ...}, port);
//   // or, for coachd-tls.conf before one coachd:
//   nginx = NginxServer::StartTls(dir, cert, key, "127.0.0.1:50051", port);
//   (*nginx)->Stop();  ...  ASSERT_TRUE((*nginx)->StartAgain().ok());
#ifndef TESTS_COMMON_NGINX_SERVER_H_
#define TESTS_COMMON_NGINX_SERVER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/common/child_process.h"

namespace coachd {

// Not thread-safe. Stops nginx (SIGTERM, so that its workers go too) when
// destroyed.
class NginxServer {
 public:
  // Text replaced in the shipped file: {from, to}, each everywhere.
  using Replacements = std::vector<std::pair<std::string, std::string>>;

  // Writes deploy/nginx/`conf_name` with `replace` applied to
  // `dir`/nginx.conf (`dir` exists), starts /usr/sbin/nginx on it and waits
  // until 127.0.0.1:`port` (the port the file listens on after the
  // replacements) accepts connections. FAILED_PRECONDITION when nginx is
  // not installed, NOT_FOUND when the file is not, UNAVAILABLE with
  // nginx's output when it does not accept within 30 s.
  static absl::StatusOr<std::unique_ptr<NginxServer>> Start(
      std::string dir, const std::string& conf_name,
      const Replacements& replace, int port);
  // deploy/nginx/coachd-tls.conf as shipped, with only these replaced:
  // every upstream replica is `upstream` (HOST:PORT), the gRPC TLS port is
  // 127.0.0.1:`port`, the web port some free loopback port, the
  // certificate and key are `cert_file` and `key_file` (PEM), and one
  // worker with 256 connections. Errors as Start.
  static absl::StatusOr<std::unique_ptr<NginxServer>> StartTls(
      std::string dir, const std::string& cert_file,
      const std::string& key_file, const std::string& upstream, int port);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  // SIGTERM (nginx's fast shutdown: every client connection is closed) and
  // waits for it to exit. Idempotent.
  void Stop();
  // After Stop: starts it again on the same file and waits until it accepts
  // connections. UNAVAILABLE as Start.
  absl::Status StartAgain();
  // Stop, then StartAgain at once.
  absl::Status Restart();

  // What nginx has written (both runs).
  std::string Output() const;

 private:
  NginxServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  absl::Status Launch();

  const std::string dir_;
  const int port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_NGINX_SERVER_H_
