// A real mosquitto broker for tests: started on a free loopback port (no
// config file: mosquitto 2 then listens on loopback only and allows
// anonymous clients), killed when the object goes away. Kill() and
// Restart() simulate the broker dying and coming back on the same port
// (with nothing retained: it keeps no persistence).
//
//   absl::StatusOr<std::unique_ptr<MosquittoServer>> broker =
//       MosquittoServer::Start();
//   int port = (*broker)->port();
#ifndef TESTS_COMMON_MOSQUITTO_SERVER_H_
#define TESTS_COMMON_MOSQUITTO_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

// How the broker admits clients. Empty fields: anonymous, plaintext.
struct MosquittoOptions {
  // A mosquitto_passwd file: only its users may connect (no anonymous).
  std::string password_file;
  // Set together: the listener speaks TLS with this certificate and key,
  // signed by the CA in ca_file.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
};

// One mosquitto process. Not thread-safe. The process is killed if the
// thread that started it exits (PR_SET_PDEATHSIG): start it from the
// test's main thread.
class MosquittoServer {
 public:
  // Starts mosquitto on a free 127.0.0.1 port and waits until it accepts
  // connections. UNAVAILABLE with its output if it does not come up.
  static absl::StatusOr<std::unique_ptr<MosquittoServer>> Start(
      absl::Duration timeout = absl::Seconds(10));
  // The same, admitting clients as `options` say (a config file next to
  // its output, listening on 127.0.0.1 only).
  static absl::StatusOr<std::unique_ptr<MosquittoServer>> StartWith(
      const MosquittoOptions& options,
      absl::Duration timeout = absl::Seconds(10));

  ~MosquittoServer();
  MosquittoServer(const MosquittoServer&) = delete;
  MosquittoServer& operator=(const MosquittoServer&) = delete;

  // Kills it with SIGKILL and waits for it.
  void Kill();
  // Starts it again on the same port; waits until it accepts.
  absl::Status Restart();

  int port() const { return port_; }

 private:
  MosquittoServer() = default;
  absl::Status Launch();

  MosquittoOptions options_;
  std::string out_;  // Its output file.
  int port_ = 0;
  pid_t pid_ = -1;
  absl::Duration timeout_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_MOSQUITTO_SERVER_H_
