// coachd composed: the backend's stores handed to the parts (sessions,
// coaching, the scheduler, the catalogue), each complete once constructed,
// their gRPC services (with health and reflection) on one address. main.cc
// only parses flags and calls this; tests build it in process on port 0 with
// a FakeClock.
//
//   ServerOptions options;
//   options.listen = "127.0.0.1:0";
//   options.backend = std::make_unique<MemoryBackend>();
//   absl::StatusOr<std::unique_ptr<CoachServer>> server =
//       CoachServer::Start(std::move(options));
//   int port = (*server)->port();
#ifndef SERVICES_SERVER_COACH_SERVER_H_
#define SERVICES_SERVER_COACH_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/authenticator.h"
#include "services/backend/backend.h"
#include "services/catalog/catalog.h"
#include "services/coach/coaching_component.h"
#include "services/common/clock.h"
#include "services/common/deadline_timer.h"
#include "services/common/executor.h"
#include "services/common/queue_high_water.h"
#include "services/common/stream_limiter.h"
#include "services/common/stream_registry.h"
#include "services/metrics/metrics.h"
#include "services/metrics/metrics_http_server.h"
#include "services/pairing/pairing.h"
#include "services/pairing/pairing_store.h"
#include "services/quota/quotas.h"
#include "services/scheduler/scheduler_component.h"
#include "services/server/server_metrics.h"
#include "services/server/tls.h"
#include "services/session/session_component.h"

namespace coachd {

// How to run coachd.
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks one.
  TlsFiles tls;             // No files: plaintext (loopback, the demo).
  std::string auth_secret;  // HS256 key; required.
  // Keys that sign device tokens (by kid) and verify; null: the secret
  // alone (KeySet::FromSecret). The secret verifies tokens without kid.
  std::unique_ptr<KeySet> keys;
  std::string catalog_path;  // Catalogue textproto; required.
  double time_scale = 1.0;   // > 0; 20 plays 20x faster.
  int workers = 4;           // Threads for blocking work.
  // How much lower (niceness, 0-19) the workers run than gRPC's threads: they
  // make session events (timers, commands) and gRPC's deliver them, so on a
  // saturated CPU delivery goes first and events wait in no queue (see
  // Executor). 0: the same priority.
  int worker_nice = 0;
  // The clock; null uses the real one. A FakeClock with
  // run_timer_thread=false lets tests fire timers with
  // RunDueTimersForTest().
  const Clock* clock = nullptr;
  bool run_timer_thread = true;
  // Where the state lives (null: an embedded MemoryBackend). The server
  // takes every store from it, and owns it.
  std::unique_ptr<Backend> backend;
  HubOptions hub;
  TimerDriverOptions driver;   // Lease sweeps (threads run with the timers).
  int max_stream_queue = 256;  // Events queued per stream before a snapshot.
  // Streams (Subscribe, WatchLive, WatchMySessions, WatchReminders) one
  // identity may hold open on this process at once; <= 0: no limit.
  int max_streams_per_person = 64;
  // A unary call that has not reached a worker this long after it arrived
  // (whatever deadline the client gave, or none) is answered
  // DEADLINE_EXCEEDED and never runs (ServiceDeps::unary_deadline).
  absl::Duration unary_deadline = absl::Seconds(30);
  // Tests only: record each kind of stream's longest write queue
  // (queue_high_water()).
  bool record_queue_high_water = false;
  // A request message larger than this is refused by gRPC with
  // RESOURCE_EXHAUSTED before any of our code parses it.
  int max_request_bytes = 64 * 1024;
  // A connection with no call for this long is closed (GOAWAY; clients
  // reconnect on their next call).
  absl::Duration max_connection_idle = absl::Minutes(10);
  CoachingOptions coaching;  // Cue length and per-coach cue rate.
  // Goals and reminders. Reminders fire on a thread when run_timer_thread,
  // else on scheduler().RunDueForTest().
  SchedulerOptions scheduler;
  // Pairing's lifetimes and limits (its store comes from the backend).
  PairingOptions pairing;
  // Per-person limits, counted in the backend (shared by replicas on Redis).
  QuotaOptions quotas;
  // How long a command id is remembered, and how many commands a session
  // takes in that time (RunnerOptions).
  absl::Duration command_id_window = absl::Minutes(10);
  int max_commands_per_window = 300;
  // Where the server's own metrics go (server_metrics.h); null: the
  // process-wide ProcessMetrics(), which also holds the RPC metrics that
  // LogRpc counts. Must outlive the server.
  MetricsRegistry* metrics = nullptr;
  // HOST:PORT (port 0 picks one) for GET /metrics in the Prometheus text
  // format: the RPC metrics and `metrics`. Empty: no endpoint.
  std::string metrics_listen;
};

// A running coachd. Thread-safe; Shutdown is idempotent.
class CoachServer {
 public:
  // Loads the catalogue, builds the parts and starts serving.
  // INVALID_ARGUMENT/NOT_FOUND for a bad catalogue (file:line: reason),
  // FAILED_PRECONDITION for a missing secret, UNAVAILABLE when the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<CoachServer>> Start(
      ServerOptions options);
  ~CoachServer();

  // The port it listens on.
  int port() const { return port_; }

  // The port of GET /metrics; 0 without ServerOptions::metrics_listen.
  int metrics_port() const {
    return metrics_http_ == nullptr ? 0 : metrics_http_->port();
  }

  // Reports NOT_SERVING, lets in-flight calls finish until `grace` has
  // passed (then cancels them), and stops. Blocks until done.
  void Shutdown(absl::Duration grace);

  // Blocks until Shutdown has completed.
  void Wait();

  // A channel to this server inside the process (no socket, same services,
  // interceptors and limits), for tests and fuzzers.
  std::shared_ptr<grpc::Channel> InProcessChannelForTest() {
    return server_->InProcessChannel(grpc::ChannelArguments());
  }

  // Reads the TLS certificate, key and client CA files again (SIGHUP): new
  // handshakes get them within about a second, open connections and streams
  // carry on. A file that fails ServerTls's checks changes nothing and is
  // named in the error; FAILED_PRECONDITION when serving plaintext.
  absl::Status ReloadTls();

  // Fires every timer due by the clock; returns how many sessions ticked.
  // For tests driving a FakeClock (run_timer_thread=false).
  int RunDueTimersForTest() { return sessions_->RunDueTimersForTest(); }

  SessionComponent& sessions() { return *sessions_; }
  CoachingComponent& coaching() { return *coaching_; }
  SchedulerComponent& scheduler() { return *scheduler_; }
  SessionRunner& runner() { return sessions_->runner(); }
  SessionStore& store() { return sessions_->store(); }
  CoachBoard& board() { return coaching_->board(); }
  CoachLinkStore& links() { return coaching_->links(); }
  Pairing& pairing() { return *pairing_; }
  PairingStore& pairing_store() { return *pairing_store_; }
  Authenticator& auth() { return *auth_; }
  RevokedDevices& revoked_devices() { return *revoked_; }
  StreamLifetimes& lifetimes() { return *lifetimes_; }
  StreamLimiter& stream_limits() { return *stream_limits_; }
  Executor& executor() { return *executor_; }
  // Each kind of stream's longest write queue, when the options asked for
  // it (record_queue_high_water); else null.
  const QueueHighWater* queue_high_water() const {
    return queue_high_water_.get();
  }
  const Catalog& catalog() const { return *catalog_; }

 private:
  CoachServer() = default;
  // Pings the store every second; NOT_SERVING while it fails.
  void WatchStoreHealth();

  RealClock real_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<Backend> backend_;  // First: outlives its stores.
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<RevokedDevices> revoked_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Executor> executor_;
  // Per-person limits; used by the components below, so made before them.
  std::unique_ptr<QuotaStore> quota_store_;
  std::unique_ptr<Quotas> quotas_;
  // Destroyed in reverse: sessions first (their observers and access policy
  // use coaching's board and links, and the scheduler).
  std::unique_ptr<SchedulerComponent> scheduler_;
  std::unique_ptr<CoachingComponent> coaching_;
  std::unique_ptr<SessionComponent> sessions_;
  std::unique_ptr<PairingStore> pairing_store_;
  std::unique_ptr<Pairing> pairing_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  // Ends streams at token expiry and device revocation.
  std::unique_ptr<StreamLifetimes> lifetimes_;
  std::unique_ptr<StreamRegistry> streams_;       // Open streams, for shutdown.
  std::unique_ptr<StreamLimiter> stream_limits_;  // Open streams per person.
  std::unique_ptr<DeadlineTimer> deadlines_;      // Unary calls' deadlines.
  std::unique_ptr<QueueHighWater> queue_high_water_;  // Tests only.
  std::unique_ptr<ServerTls> tls_;  // Outlives the server that uses it.
  std::unique_ptr<grpc::Server> server_;
  std::thread health_thread_;
  absl::Mutex health_mu_;
  bool health_stop_ ABSL_GUARDED_BY(health_mu_) = false;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  // Last, so destroyed first: they read the parts above.
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
};

}  // namespace coachd

#endif  // SERVICES_SERVER_COACH_SERVER_H_
