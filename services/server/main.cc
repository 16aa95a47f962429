// coachd: the back-workout coaching service. Parses flags, loads the secret,
// starts CoachServer, reloads the TLS files on SIGHUP, and on SIGTERM/SIGINT
// shuts down gracefully (exit 0).
// A call still running 2 s past --shutdown_grace (a handler blocked on a
// store that does not answer) does not hold the process: it exits then with
// code 1, saying so.
#include <grpc/support/log.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/auth/authenticator.h"
#include "services/backend/memory_backend.h"
#include "services/backend/redis_backend.h"
#include "services/common/flags_help.h"
#include "services/common/log.h"
#include "services/common/log_flags.h"
#include "services/redis/redis_sentinel.h"
#include "services/redis/redis_url.h"
#include "services/server/coach_server.h"

#ifndef COACHD_DEFAULT_CATALOG
#define COACHD_DEFAULT_CATALOG "services/catalog/back_catalog.textproto"
#endif

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, metrics_listen, "",
          "If set (HOST:PORT), serve GET /metrics (Prometheus text) there; "
          "no authentication: keep it on loopback or a private network.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the metrics port is written there once listening (with "
          "--metrics_listen; port 0 picks one).");
ABSL_FLAG(std::string, auth_secret_file, "",
          "File holding the HS256 token secret (required).");
ABSL_FLAG(std::string, signing_keys_file, "",
          "File of lines \"KID SECRET\": the first key signs device tokens, "
          "all verify (rotation: put the new key first, keep the old one "
          "until its tokens expired, 15 minutes). Empty: the secret file's "
          "key signs them (kid \"secret\").");
ABSL_FLAG(std::string, catalog, COACHD_DEFAULT_CATALOG,
          "Exercise catalogue (textproto).");
ABSL_FLAG(double, time_scale, 1.0,
          "Plays sessions this many times faster (deploy/demo.sh uses 10).");
ABSL_FLAG(int, workers, 4, "Worker threads for store and blocking work.");
ABSL_FLAG(int, worker_nice, 0,
          "How much lower the workers' scheduling priority is (niceness, "
          "0-19) than that of gRPC's threads. The workers make session "
          "events (timers, commands, session starts) and gRPC's threads "
          "deliver them: on a saturated CPU, delivering what was made then "
          "comes before making more, and events wait less in gRPC's buffers "
          "(7 with the embedded store: live p99 at saturation 1.4x a bare "
          "gRPC server's instead of 2.5x), but reconnect storms resume "
          "about 13% fewer streams a second, and with --redis each commit "
          "waits longer for the CPU after its round trip "
          "(docs/PERFORMANCE.md, live saturation). No effect on an idle "
          "CPU.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "How long in-flight calls may take to finish on SIGTERM.");
ABSL_FLAG(std::string, redis, "",
          "Keep sessions, goals and reminders in Redis: "
          "redis://HOST:PORT[/DB], unix://PATH or, to follow failovers, "
          "sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME. "
          "Empty: the embedded in-memory store.");
ABSL_FLAG(std::string, redis_password_file, "",
          "With --redis: a file holding PASSWORD (requirepass) or USER "
          "PASSWORD (an ACL user), sent with AUTH on every connection; never "
          "put a password on the command line.");
ABSL_FLAG(absl::Duration, lease_ttl, absl::Seconds(3),
          "With --redis: how long a replica's lease on a session's timers "
          "lives unrenewed (renewed every third of it); a dead replica's "
          "sessions are taken over after about this long.");
ABSL_FLAG(absl::Duration, device_token_lifetime, absl::Minutes(15),
          "How long a paired device's access token lives (devices refresh "
          "it); at least 5s.");
ABSL_FLAG(std::string, replica_id, "",
          "With --redis: this replica's id in its timer leases; empty: "
          "HOSTNAME-PID-RANDOM. Never give two live processes the same id.");
ABSL_FLAG(int, max_sessions_started_per_hour, 30,
          "Sessions a person may start per hour (0: no limit).");
ABSL_FLAG(int, max_commands_per_minute, 120,
          "Commands a person may send per minute, all sessions together "
          "(0: no limit).");
ABSL_FLAG(int, max_workouts_logged_per_week, 14,
          "LogWorkout calls a person may make per 7 days (0: no limit).");
ABSL_FLAG(int, max_coach_link_changes_per_hour, 20,
          "LinkCoach calls (links and unlinks) a person may make per hour "
          "(0: no limit).");
ABSL_FLAG(int, max_live_sessions_per_person, 5,
          "Sessions a person may have running or paused at once, counted "
          "across replicas (0: no limit); a session frees its place when it "
          "finishes.");
ABSL_FLAG(int, max_streams_per_person, 64,
          "Streams (Subscribe, WatchLive, WatchMySessions, WatchReminders) "
          "one person, with all their devices, may hold open on this replica "
          "(0: no limit).");
ABSL_FLAG(absl::Duration, unary_deadline, absl::Seconds(30),
          "A call (not a stream) still waiting for a worker this long after "
          "it arrived is answered DEADLINE_EXCEEDED and never runs, whatever "
          "deadline its client gave, or none.");
ABSL_FLAG(absl::Duration, command_id_window, absl::Minutes(10),
          "A command id sent again within this time of being applied is a "
          "duplicate, on every replica.");
ABSL_FLAG(int, max_commands_per_window, 300,
          "Commands one session takes per --command_id_window (its ids are "
          "all kept in the session's record).");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Serve TLS with this PEM certificate chain (with --tls_key_file); "
          "SIGHUP reads it, the key and the client CA again. Empty: "
          "plaintext, for loopback and the demo.");
ABSL_FLAG(std::string, tls_key_file, "",
          "The PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "Mutual TLS: refuse clients without a certificate signed by these "
          "PEM CAs.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the listening port is written there once serving.");

// How long past --shutdown_grace coachd waits for blocked handlers.
constexpr absl::Duration kShutdownMargin = absl::Seconds(2);

namespace {

// A line gRPC logs (gpr_log), as one of ours.
void GrpcLog(gpr_log_func_args* args) {
  const coachd::LogLevel level =
      args->severity == GPR_LOG_SEVERITY_ERROR   ? coachd::LogLevel::kError
      : args->severity == GPR_LOG_SEVERITY_DEBUG ? coachd::LogLevel::kDebug
                                                 : coachd::LogLevel::kInfo;
  coachd::Log(level, absl::StrCat("grpc: ", args->message, " (", args->file,
                                  ":", args->line, ")"));
}

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(
      "coachd --auth_secret_file=PATH [--listen=HOST:PORT] [--catalog=PATH] "
      "[--redis=redis://HOST:PORT[/DB]]");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status format = coachd::ApplyLogFlags(); !format.ok()) {
    coachd::LogError(std::string(format.message()));
    return 2;
  }
  // gRPC's own lines go through our log too, so every line has its format.
  gpr_set_log_function(&GrpcLog);

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // Reloads TLS: see below.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A Redis that goes away mid-write is an error to handle, not a reason to
  // die (hiredis writes with write(), without MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  // Debian's Abseil checks every lock order at run time (a debug aid that
  // cost 1-2% of CPU under load); the thread-safety annotations and the
  // tests (which keep it on) are the check instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<std::string> secret =
      coachd::LoadSecretFile(absl::GetFlag(FLAGS_auth_secret_file));
  if (!secret.ok()) {
    coachd::LogError(absl::StrCat("coachd: ", secret.status().message()));
    return 2;
  }
  coachd::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.auth_secret = *secret;
  const std::string keys_file = absl::GetFlag(FLAGS_signing_keys_file);
  if (!keys_file.empty()) {
    absl::StatusOr<coachd::KeySet> keys =
        coachd::KeySet::FromFile(keys_file, *secret);
    if (!keys.ok()) {
      coachd::LogError(absl::StrCat("coachd: ", keys.status().message()));
      return 2;
    }
    coachd::LogInfo(
        absl::StrCat("device tokens signed with key ", keys->signing_key_id()));
    options.keys = std::make_unique<coachd::KeySet>(*std::move(keys));
  }
  options.pairing.access_lifetime = absl::GetFlag(FLAGS_device_token_lifetime);
  if (options.pairing.access_lifetime < absl::Seconds(5)) {
    coachd::LogError("coachd: --device_token_lifetime: at least 5s");
    return 2;
  }
  options.catalog_path = absl::GetFlag(FLAGS_catalog);
  options.time_scale = absl::GetFlag(FLAGS_time_scale);
  options.workers = absl::GetFlag(FLAGS_workers);
  if (options.workers < 1) {
    coachd::LogError(
        absl::StrCat("coachd: --workers: at least 1, got ", options.workers));
    return 2;
  }
  options.worker_nice = absl::GetFlag(FLAGS_worker_nice);
  if (options.worker_nice < 0 || options.worker_nice > 19) {
    coachd::LogError(absl::StrCat("coachd: --worker_nice: must be 0-19, got ",
                                  options.worker_nice));
    return 2;
  }
  options.quotas.sessions.max =
      absl::GetFlag(FLAGS_max_sessions_started_per_hour);
  options.quotas.commands.max = absl::GetFlag(FLAGS_max_commands_per_minute);
  options.quotas.workouts_logged.max =
      absl::GetFlag(FLAGS_max_workouts_logged_per_week);
  options.quotas.coach_links.max =
      absl::GetFlag(FLAGS_max_coach_link_changes_per_hour);
  options.quotas.live_sessions.max =
      absl::GetFlag(FLAGS_max_live_sessions_per_person);
  options.max_streams_per_person = absl::GetFlag(FLAGS_max_streams_per_person);
  options.unary_deadline = absl::GetFlag(FLAGS_unary_deadline);
  options.command_id_window = absl::GetFlag(FLAGS_command_id_window);
  options.max_commands_per_window =
      absl::GetFlag(FLAGS_max_commands_per_window);
  if (options.command_id_window <= absl::ZeroDuration() ||
      options.max_commands_per_window < 1) {
    coachd::LogError(
        "coachd: --command_id_window must be positive and "
        "--max_commands_per_window at least 1");
    return 2;
  }
  const std::string redis_url = absl::GetFlag(FLAGS_redis);
  if (redis_url.empty()) {
    if (!absl::GetFlag(FLAGS_redis_password_file).empty()) {
      coachd::LogError("coachd: --redis_password_file: needs --redis");
      return 2;
    }
    options.backend = std::make_unique<coachd::MemoryBackend>();
  } else {
    absl::StatusOr<coachd::RedisAddress> address =
        coachd::ParseRedisUrl(redis_url);
    if (!address.ok()) {
      coachd::LogError(
          absl::StrCat("coachd: --redis: ", address.status().message()));
      return 2;
    }
    const std::string password_file = absl::GetFlag(FLAGS_redis_password_file);
    if (!password_file.empty()) {
      const absl::Status loaded = coachd::LoadRedisPasswordFile(
          password_file, "redis_password_file", &*address);
      if (!loaded.ok()) {
        coachd::LogError(absl::StrCat("coachd: ", loaded.message()));
        return 2;
      }
    }
    const absl::Duration lease_ttl = absl::GetFlag(FLAGS_lease_ttl);
    if (lease_ttl < absl::Milliseconds(300)) {
      coachd::LogError(
          absl::StrCat("coachd: --lease_ttl: must be at least 300ms, got ",
                       absl::FormatDuration(lease_ttl)));
      return 2;
    }
    // Sessions, timer leases, coach links and boards, goals and reminders:
    // all in one Redis, over one connection pool.
    coachd::RedisBackendOptions redis;
    redis.client.address = *address;
    redis.leases.ttl = lease_ttl;
    redis.leases.holder_id = absl::GetFlag(FLAGS_replica_id);
    if (address->via_sentinel()) {
      // A master name the Sentinels do not know is a configuration error.
      // Sentinels that cannot be reached now are not: as for a Redis that is
      // down, health says NOT_SERVING until they answer.
      const absl::StatusOr<coachd::HostPort> primary = coachd::ResolvePrimary(
          *address, redis.client.connect_timeout, redis.client.command_timeout);
      if (absl::IsNotFound(primary.status())) {
        coachd::LogError(
            absl::StrCat("coachd: --redis: ", primary.status().message()));
        return 2;
      }
    }
    auto backend = std::make_unique<coachd::RedisBackend>(redis);
    const absl::Status ping = backend->Ping();
    if (ping.ok()) {
      coachd::LogInfo(
          absl::StrCat("sessions in redis at ", address->ToString()));
    } else if (absl::IsPermissionDenied(ping)) {
      // Wrong or missing credentials do not fix themselves: stop now.
      coachd::LogError(absl::StrCat(
          "coachd: ", ping.message(),
          password_file.empty()
              ? " (this Redis wants a password: --redis_password_file)"
              : absl::StrCat(" (check --redis_password_file ", password_file,
                             ")")));
      return 2;
    } else {  // Not fatal: health says NOT_SERVING until Redis answers.
      coachd::LogWarning(absl::StrCat("coachd: ", ping.message()));
    }
    options.backend = std::move(backend);
  }
  absl::StatusOr<std::unique_ptr<coachd::CoachServer>> server =
      coachd::CoachServer::Start(std::move(options));
  if (!server.ok()) {
    coachd::LogError(absl::StrCat("coachd: ", server.status().message()));
    return 2;
  }
  if (const std::string file = absl::GetFlag(FLAGS_metrics_port_file);
      !file.empty() && (*server)->metrics_port() > 0) {
    if (absl::Status w = coachd::WritePortFile(file, (*server)->metrics_port());
        !w.ok()) {
      coachd::LogError(absl::StrCat("--metrics_port_file: ", w.message()));
      return 2;
    }
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    if (FILE* f = std::fopen(port_file.c_str(), "w")) {
      std::fprintf(f, "%d\n", (*server)->port());
      std::fclose(f);
    }
  }

  int signal_number = 0;
  for (;;) {
    sigwait(&stop_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // Renewed TLS files: checked, then served to new handshakes; open
    // connections carry on. A bad file keeps the certificate in use.
    const absl::Status reloaded = (*server)->ReloadTls();
    if (reloaded.ok()) {
      coachd::LogInfo(
          "SIGHUP: TLS files read again; new connections get them within a "
          "second, open ones carry on");
    } else if (absl::IsFailedPrecondition(reloaded)) {
      coachd::LogInfo(absl::StrCat("SIGHUP: ", reloaded.message()));
    } else {
      coachd::LogError(
          absl::StrCat("SIGHUP: TLS files not reloaded, the ones "
                       "in use stay: ",
                       reloaded.message()));
    }
  }
  coachd::LogInfo(absl::StrCat("received signal ", signal_number));
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  // Shutdown waits for every call's handler, and the workers finish theirs:
  // a handler that never returns would hold coachd forever. The watchdog
  // ends the process instead, once the grace and a margin have passed.
  std::thread([grace] {
    absl::SleepFor(grace + kShutdownMargin);
    coachd::LogError(absl::StrCat(
        "shutdown: calls still running ", absl::FormatDuration(grace), " + ",
        absl::FormatDuration(kShutdownMargin),
        " after the signal (--shutdown_grace); exiting without them"));
    _exit(1);
  }).detach();
  (*server)->Shutdown(grace);
  server->reset();  // Joins the workers, which may still be busy.
  return 0;
}
