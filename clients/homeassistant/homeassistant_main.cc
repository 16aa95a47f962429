// The Home Assistant bridge of a household: one process next to the MQTT
// broker, for one or more people, each of whom pairs it once (--pair) as a
// device of theirs. See README.md, "Home Assistant".
//
//   homeassistant --target=127.0.0.1:50051 --people=alice,bob --pair
//       --credentials_dir=DIR --mqtt_host=127.0.0.1 --mqtt_port=1883  (one
//       line)
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/common/client_auth.h"
#include "clients/common/client_flags.h"
#include "clients/common/device_flags.h"
#include "clients/homeassistant/bridge.h"
#include "clients/homeassistant/person_credentials.h"
#include "services/common/flags_help.h"
#include "services/common/log.h"
#include "services/common/log_flags.h"
#include "services/metrics/metrics_http_server.h"

ABSL_FLAG(std::string, people, "",
          "Comma-separated person ids to serve (default: --sub). Each gets a "
          "device in Home Assistant; with --token only one.");
ABSL_FLAG(std::string, credentials_dir, "",
          "Each person's paired credentials, DIR/PERSON.json (mode 0600); "
          "with --pair, a person without a file is paired first (they "
          "approve the printed code). Replaces --secret_file/--token.");
ABSL_FLAG(std::string, mqtt_host, "127.0.0.1", "MQTT broker host.");
ABSL_FLAG(int, mqtt_port, 1883, "MQTT broker port.");
ABSL_FLAG(std::string, mqtt_username, "", "MQTT user name; empty: anonymous.");
ABSL_FLAG(std::string, mqtt_password_file, "",
          "File holding the MQTT password (first line).");
ABSL_FLAG(std::string, mqtt_ca_file, "",
          "CA certificate (PEM): connect to the broker with TLS.");
ABSL_FLAG(std::string, bridge_id, "home",
          "This bridge's id (its availability topic and MQTT client id).");
ABSL_FLAG(std::string, discovery_prefix, "homeassistant",
          "Home Assistant's discovery prefix.");
ABSL_FLAG(std::string, base_topic, "coachd",
          "Prefix of state and command topics.");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT for GET /metrics (Prometheus text format; no "
          "authentication: loopback or a scrape-only network). Empty: off.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the metrics port is written there once listening.");

namespace {

// The write end of a pipe that main reads until SIGINT or SIGTERM: a write is
// async-signal-safe, where an absl::Notification takes a lock the signal may
// have interrupted. main blocks in read(), a call ThreadSanitizer intercepts
// (it runs a handler only there or at the next intercepted call; in
// Notification's wait, a futex inside Abseil, the handler never ran and the
// bridge never stopped).
int stop_fd = -1;

void OnSignal(int) {
  const char byte = 0;
  [[maybe_unused]] const ssize_t written = ::write(stop_fd, &byte, 1);
}

}  // namespace

int main(int argc, char** argv) {
  coachd::InitFlagsHelp(
      "Bridges coachd to Home Assistant over MQTT (discovery, states, "
      "buttons).");
  absl::ParseCommandLine(argc, argv);
  using namespace coachd;
  if (absl::Status format = ApplyLogFlags(); !format.ok()) {
    LogError(std::string(format.message()));
    return 2;
  }

  std::vector<std::string> people =
      absl::StrSplit(absl::GetFlag(FLAGS_people), ',', absl::SkipEmpty());
  if (people.empty() && !absl::GetFlag(FLAGS_sub).empty()) {
    people.push_back(absl::GetFlag(FLAGS_sub));
  }
  if (people.empty()) {
    LogError("--people: required (or --sub): whom to serve");
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel =
      MakeChannel(absl::GetFlag(FLAGS_target));
  // Each person's tokens: their paired credentials (refreshed by
  // themselves), or a token minted from the secret (admin use).
  std::map<std::string, std::unique_ptr<DeviceCredentials>> paired;
  std::map<std::string, std::string> tokens;
  const std::string dir = absl::GetFlag(FLAGS_credentials_dir);
  if (absl::GetFlag(FLAGS_pair) && dir.empty()) {
    LogError("--pair: needs --credentials_dir to keep the credentials in");
    return 2;
  }
  for (const std::string& person : people) {
    if (!dir.empty()) {
      absl::StatusOr<std::unique_ptr<DeviceCredentials>> credentials =
          PersonCredentials(
              channel, dir, person, absl::GetFlag(FLAGS_pair),
              [](const std::string& who, const PairingPrompt& prompt) {
                LogInfo(absl::StrCat(
                    "homeassistant: to add ", who, " to Home Assistant, ", who,
                    " approves code ", prompt.user_code, " within ",
                    absl::ToInt64Minutes(prompt.expires_in),
                    " minutes: coachctl pair approve ", prompt.user_code,
                    " --kind=home_assistant --name=\"Home Assistant\" "
                    "--sub=",
                    who, " ..."));
              });
      if (!credentials.ok()) {
        LogError(absl::StrCat("--credentials_dir: ",
                              credentials.status().message()));
        return 2;
      }
      paired[person] = *std::move(credentials);
      continue;
    }
    TokenSource source;
    source.token = absl::GetFlag(FLAGS_token);
    if (!source.token.empty() && people.size() > 1) {
      LogError("--token: serves one person; use --credentials_dir for several");
      return 2;
    }
    source.secret_file = absl::GetFlag(FLAGS_secret_file);
    source.subject = person;
    source.role = "device";
    source.ttl = absl::Hours(24 * 30);
    absl::StatusOr<std::string> token = ResolveToken(source);
    if (!token.ok()) {
      LogError(std::string(token.status().message()));
      return 2;
    }
    tokens[person] = *token;
  }

  BridgeOptions options;
  options.names.discovery_prefix = absl::GetFlag(FLAGS_discovery_prefix);
  options.names.base_topic = absl::GetFlag(FLAGS_base_topic);
  options.names.bridge_id = absl::GetFlag(FLAGS_bridge_id);
  options.people = people;
  options.tokens_for = [&paired, tokens](const std::string& p) {
    auto it = paired.find(p);
    return it != paired.end() ? it->second->Provider()
                              : FixedToken(tokens.at(p));
  };
  options.channel = channel;
  options.mqtt.host = absl::GetFlag(FLAGS_mqtt_host);
  options.mqtt.port = absl::GetFlag(FLAGS_mqtt_port);
  options.mqtt.client_id =
      absl::StrCat("coachd-bridge-", options.names.bridge_id);
  options.mqtt.username = absl::GetFlag(FLAGS_mqtt_username);
  options.mqtt.ca_file = absl::GetFlag(FLAGS_mqtt_ca_file);
  const std::string password_file = absl::GetFlag(FLAGS_mqtt_password_file);
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in || !std::getline(in, options.mqtt.password)) {
      LogError(absl::StrCat("--mqtt_password_file ", password_file,
                            ": cannot be read"));
      return 2;
    }
  }

  MetricsRegistry metrics;  // Outlives the bridge.
  options.metrics = &metrics;
  int stop_pipe[2];
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) {
    LogError(absl::StrCat("pipe: ", std::strerror(errno)));
    return 2;
  }
  stop_fd = stop_pipe[1];
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  Bridge bridge(std::move(options));
  // Served once the bridge has registered its metrics; stopped before it.
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (const std::string at = absl::GetFlag(FLAGS_metrics_listen); !at.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
        MetricsHttpServer::Start(
            at, [&metrics] { return RenderPrometheusText(metrics.Collect()); });
    if (!http.ok()) {
      LogError(absl::StrCat("--metrics_listen: ", http.status().message()));
      return 2;
    }
    metrics_http = *std::move(http);
    LogInfo(absl::StrCat("homeassistant: metrics on http://", at,
                         "/metrics (port ", metrics_http->port(), ")"));
    if (const std::string file = absl::GetFlag(FLAGS_metrics_port_file);
        !file.empty()) {
      if (absl::Status w = WritePortFile(file, metrics_http->port()); !w.ok()) {
        LogError(absl::StrCat("--metrics_port_file: ", w.message()));
        return 2;
      }
    }
  }

  absl::Status started = bridge.Start();
  if (!started.ok()) {
    LogError(std::string(started.message()));
    return 2;
  }
  LogInfo(absl::StrCat("homeassistant: serving ", people.size(),
                       " people; broker ", absl::GetFlag(FLAGS_mqtt_host), ":",
                       absl::GetFlag(FLAGS_mqtt_port)));
  char byte = 0;
  while (::read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
  }
  LogInfo("homeassistant: stopping");
  if (metrics_http != nullptr) metrics_http->Stop();
  return 0;
}
