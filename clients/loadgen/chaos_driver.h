// loadgen --mode=chaos: households that keep going through faults (replicas
// killed or restarted, Redis failing over or paused, the proxy restarted)
// and, at the end, check the service's promises. The faults come from
// outside (deploy/chaos.sh, the tests); this driver only behaves like a
// household's devices and counts.
//
// Each household is one person (a user token) with a speaker and a display
// (device tokens), and a housemate who does not train during the run (a
// workout would clear the day's reminder): the housemate sets a weekly goal
// whose reminder falls on the first minute boundary at least
// `reminder_lead` ahead, and the speaker and display watch it. The person
// plays sessions
// one after another until `duration`: each is driven by commands every
// `command_interval` (pause, resume, repeat, next, again and again), every
// command id sent until answered and the same id on every try; an unfinished
// session is ended at `duration`. Both devices follow each session from its
// first event, resuming from their last {epoch, sequence} after any failure
// with backoff, as real devices do.
// The run ends when every session and reminder is settled, or at
// duration + grace, and reports (chaos_report.h):
//   - sessions started, finished and unfinished;
//   - per device: duplicates, silent gaps, changed events (one {epoch,
//     sequence} with two contents), not-recovered snapshots;
//   - commands: applied twice (REPEAT, PAUSE and RESUME effects in the final
//     history beyond one per id), acknowledged but lost;
//   - reminders fired once, twice, or never;
//   - errors by status code, retries, the longest stall of a household;
//   - latency p99 of commands and events, over the run and, given a fault
//     windows file, per fault window and in the quiet remainder.
//
//   ChaosConfig config;  config.target = "127.0.0.1:50051";  ...
//   absl::StatusOr<ChaosReport> report = RunChaos(config);
#ifndef CLIENTS_LOADGEN_CHAOS_DRIVER_H_
#define CLIENTS_LOADGEN_CHAOS_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/loadgen/chaos_report.h"

namespace coachd {

// One chaos run's settings.
struct ChaosConfig {
  std::string target;  // Loopback HOST:PORT (checked by RunChaos).
  std::string secret;  // coachd's HS256 secret, for the tokens.
  std::string label = "coachd";
  // Prefix of the person ids ("<run_id>-<i>"): fresh ids keep runs on one
  // Redis apart (quotas, a day's reminder). Empty: made from the clock.
  std::string run_id;
  int households = 10;
  int channels = 8;  // Connections the households share.
  std::string preset = "demo";
  absl::Duration duration = absl::Seconds(60);  // Sessions start until then.
  // After `duration`: for sessions to end, devices to catch up and the
  // reminder to come. The run never lasts longer than duration + grace.
  absl::Duration grace = absl::Seconds(60);
  absl::Duration command_interval = absl::Milliseconds(700);
  absl::Duration rpc_timeout = absl::Seconds(5);  // Each try of a call.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(1);
  int max_sessions_per_household = 20;  // Under coachd's 30 starts an hour.
  bool reminders = true;
  absl::Duration reminder_lead = absl::Seconds(5);
  // The channels' credentials (TLS); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // If set, called with what failed ("SendCommand PAUSE", "Subscribe
  // DEVICE_KIND_VOICE", ...) on every failed try or broken stream, from the
  // household's threads; must be thread-safe and quick (a test waits on it
  // to end an outage once households have felt it).
  std::function<void(absl::string_view what, const grpc::Status& status)>
      on_error;
  // If set, a fault windows file (fault_windows.h) read at the end of the
  // run, waiting up to `grace` for its "done" line: the report then splits
  // command and event latency by fault window (ChaosReport::windows).
  std::string fault_windows_file;
};

// Runs the households until they are done (at most duration + grace plus
// one rpc_timeout) and checks what they saw. INVALID_ARGUMENT for a bad
// config (naming the flag), UNAVAILABLE when the target cannot be reached
// at the start.
absl::StatusOr<ChaosReport> RunChaos(const ChaosConfig& config);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_CHAOS_DRIVER_H_
