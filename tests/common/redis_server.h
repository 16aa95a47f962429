// A real redis-server for tests: started on a free loopback port in a
// temporary directory, stopped and removed when the object goes away.
// Stop() and Start() simulate Redis going down and coming back on the same
// port (and, with AOF, the same data).
//
//   absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   std::string url = (*redis)->url();  // "redis://127.0.0.1:PORT"
#ifndef TESTS_COMMON_REDIS_SERVER_H_
#define TESTS_COMMON_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

// How to run the test redis-server.
struct RedisServerOptions {
  // A redis.conf to start from (e.g. deploy/redis/redis.conf); empty: none,
  // and then `appendonly` decides persistence (no RDB snapshots either way).
  // The harness always overrides port, bind, dir, daemonize and logfile.
  std::string config_file;
  bool appendonly = false;
  bool unix_socket = false;  // Also listen on a socket in the temp dir.
  std::vector<std::string> extra_args;  // e.g. {"--cluster-enabled", "yes"}
  // requirepass: clients must AUTH with it (the harness does, to PING).
  std::string password;
  // How long Start() waits for PING to answer.
  absl::Duration start_timeout = absl::Seconds(20);
  // The binary; empty: $COACHD_REDIS_SERVER, else redis-server on PATH.
  std::string binary;
};

// One redis-server process. Not thread-safe. The process is also killed if
// the thread that started it exits (PR_SET_PDEATHSIG), so a crashed test
// leaves nothing behind: start it from the test's main thread.
class RedisServer {
 public:
  // Starts redis-server on a free 127.0.0.1 port (retrying on a port
  // collision) and waits until it answers PING. UNAVAILABLE with the tail of
  // its log if it does not come up.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      RedisServerOptions options = {});

  // Kills the server (if running) and removes the temporary directory.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Stops the server gracefully (SIGTERM: with AOF on, the log is flushed)
  // and waits for it to exit. The port and directory stay.
  absl::Status Stop();

  // Kills the server with SIGKILL (a crash) and waits for it.
  absl::Status Kill();

  // Starts it again on the same port and directory; waits for PING.
  absl::Status Restart();

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  // "redis://127.0.0.1:PORT".
  std::string url() const;
  // "unix://DIR/redis.sock" (when started with unix_socket).
  std::string unix_url() const;
  // The temporary directory (data, AOF, log).
  const std::string& dir() const { return dir_; }

 private:
  explicit RedisServer(RedisServerOptions options) : options_(options) {}
  // Launches the process on port_ and waits for PING.
  absl::Status Launch();
  absl::Status WaitForPing();
  absl::Status Signal(int signal);
  std::string LogTail() const;

  const RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace coachd

#endif  // TESTS_COMMON_REDIS_SERVER_H_
