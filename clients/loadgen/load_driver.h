// loadgen's engine: simulates households against a running coachd (or the
// bare baseline, which serves the same method paths) and measures what they
// receive. Each household starts a session, then its speaker (VOICE) and
// display (DISPLAY) subscribe from the first event (GetSession for the
// epoch, then resume {epoch, 0}); optional coach watchers follow some
// sessions too. Every subscriber checks that it sees each event exactly once.
//
// Modes:
//   saturation  sessions back to back for `duration`; delivered events/s,
//               latency, server CPU, Redis commands per event.
//   idle        sessions paused, then 2 streams each; server memory per stream
//               after `settle`.
//   storm       every stream dropped at once, then resumed at once;
//               resumes/s and the first event's delay.
//   stalled     half the run as is, half with one extra subscriber of
//               household 0 that never reads; the others' latency in both.
//   live        saturation with every event live: each session starts
//               paused (StartSession paused), its devices subscribe from
//               the pause, and RESUME goes once both had their first
//               response (LiveStart); the latency is then a live delivery
//               delay for coachd as for the baseline, not history's age.
//
//   LoadConfig config;  config.target = "127.0.0.1:50051";  ...
//   absl::StatusOr<LoadReport> report = RunLoad(config);
#ifndef CLIENTS_LOADGEN_LOAD_DRIVER_H_
#define CLIENTS_LOADGEN_LOAD_DRIVER_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/loadgen/load_report.h"

namespace coachd {

// What loadgen measures.
enum class LoadMode { kSaturation, kIdle, kStorm, kStalled, kLive };

// "saturation", "idle", "storm", "stalled", "live"; INVALID_ARGUMENT naming
// --mode otherwise.
absl::StatusOr<LoadMode> ParseLoadMode(absl::string_view name);
const char* LoadModeName(LoadMode mode);

// One run's settings.
struct LoadConfig {
  std::string target;  // Loopback HOST:PORT (checked by RunLoad).
  std::string secret;  // coachd's HS256 secret: tokens for hh-<i>.
  std::string label = "coachd";
  LoadMode mode = LoadMode::kSaturation;
  int households = 10;
  int channels = 8;  // Connections the households share.
  std::string preset = "demo";
  absl::Duration duration = absl::Seconds(10);  // The measured window.
  absl::Duration warmup = absl::Seconds(2);     // Before the window.
  int setup_inflight = 64;  // Households being set up at once.
  absl::Duration setup_timeout = absl::Seconds(120);
  int coach_watchers = 0;  // Coach subscribers, linked after...
  absl::Duration watchers_after = absl::Seconds(1);
  absl::Duration settle = absl::Seconds(5);  // idle: before measuring.
  absl::Duration storm_gap = absl::Milliseconds(500);  // storm: offline time.
  double repeat_rate = 0;  // stalled: REPEAT commands/s into household 0.
  bool control = false;    // stalled: the extra subscriber reads (control).
  int server_pid = 0;      // /proc figures of this process, if set.
  // The channels' credentials (TLS: MakeChannelCredentials); null:
  // plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  int redis_port = 0;          // INFO commandstats of this Redis, if set...
  std::string redis_user;      // ...with AUTH as this ACL user (empty: default)
  std::string redis_password;  // ...and password (empty: no AUTH).
  int redis_pid = 0;           // Its CPU from /proc, if set.
};

// Runs one measurement; blocks until it is over (bounded by the config's
// durations and setup_timeout). INVALID_ARGUMENT for a bad config (naming the
// flag), UNAVAILABLE when the target cannot be reached.
absl::StatusOr<LoadReport> RunLoad(const LoadConfig& config);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_LOAD_DRIVER_H_
