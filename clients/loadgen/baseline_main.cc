// loadgen_baseline: the bare gRPC server loadgen measures coachd against.
// Serves coach.v1.SessionService's method paths with pre-serialized events
// (see baseline_service.h) on a loopback address until SIGTERM/SIGINT.
//
//   loadgen_baseline --listen=127.0.0.1:0 --port_file=/tmp/port
//       --event_bytes=900 --session_events=218 [--interval=0]
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/loadgen/baseline_service.h"
#include "clients/loadgen/target_check.h"
#include "services/common/log.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "Loopback address to serve on (port 0 picks a free one).");
ABSL_FLAG(std::string, port_file, "",
          "If set, the listening port is written there once serving.");
ABSL_FLAG(int, event_bytes, 900, "Serialized size of each event.");
ABSL_FLAG(int, session_events, 218,
          "Events of a whole session (the 'demo' preset has 218).");
ABSL_FLAG(int, start_events, 2, "Events a session has when it starts.");
ABSL_FLAG(absl::Duration, interval, absl::ZeroDuration(),
          "Time between two events of a stream; 0: back to back.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "loadgen_baseline [--listen=127.0.0.1:0] [--port_file=PATH] "
      "[--event_bytes=N] [--session_events=N] [--interval=DURATION]");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with mutex deadlock detection on, which costs
  // every lock a graph update; a load tool (and a bare baseline) should not.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string listen = absl::GetFlag(FLAGS_listen);
  absl::Status loopback = coachd::CheckLoopbackTarget(listen, "--listen");
  if (!loopback.ok()) {
    coachd::LogError(absl::StrCat("loadgen_baseline: ", loopback.message()));
    return 2;
  }
  coachd::BaselineOptions options;
  options.event_bytes = absl::GetFlag(FLAGS_event_bytes);
  options.session_events = absl::GetFlag(FLAGS_session_events);
  options.start_events = absl::GetFlag(FLAGS_start_events);
  options.interval = absl::GetFlag(FLAGS_interval);
  if (options.event_bytes < 1 || options.session_events < 1 ||
      options.start_events < 0 ||
      options.start_events > options.session_events ||
      options.interval < absl::ZeroDuration()) {
    coachd::LogError(
        "loadgen_baseline: --event_bytes and --session_events must be "
        "positive, --start_events in 0..session_events, --interval >= 0");
    return 2;
  }
  coachd::BaselineService service(options);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    coachd::LogError(
        absl::StrCat("loadgen_baseline: cannot listen on ", listen));
    return 2;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    if (FILE* f = std::fopen(port_file.c_str(), "w")) {
      std::fprintf(f, "%d\n", port);
      std::fclose(f);
    }
  }
  coachd::LogInfo(absl::StrCat(
      "loadgen_baseline serving on port ", port, ": ", options.event_bytes,
      "-byte events, ", options.session_events, " per session, interval ",
      absl::FormatDuration(options.interval)));
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now());
  return 0;
}
