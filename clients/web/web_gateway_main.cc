// web_gateway: the display and coach pages in a browser, and their live
// updates (Server-Sent Events), through one gRPC channel to coachd. Wiring
// only; the gateway is in gateway.h.
//
//   web_gateway --coachd=127.0.0.1:50051 --listen=127.0.0.1:8080
//       --sessions_file=/var/lib/coachd-web/sessions
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/common/channel_watch.h"
#include "clients/common/client_auth.h"
#include "clients/web/gateway.h"
#include "clients/web/web_metrics.h"
#include "clients/web/web_sessions.h"
#include "services/common/clock.h"
#include "services/common/log.h"
#include "services/common/log_flags.h"
#include "services/metrics/metrics_http_server.h"

#ifndef COACHD_WEB_PAGES
#define COACHD_WEB_PAGES "clients/web/pages"
#endif

ABSL_FLAG(std::string, listen, "127.0.0.1:8080",
          "HTTP address (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, coachd, "127.0.0.1:50051", "coachd address.");
ABSL_FLAG(std::string, pages, COACHD_WEB_PAGES, "Folder of the pages.");
ABSL_FLAG(std::string, sessions_file, "",
          "Where browser sessions are kept (0600); empty: in memory only "
          "(browsers must be linked again after a restart).");
ABSL_FLAG(std::string, port_file, "",
          "If set, the HTTP port is written there once listening.");
ABSL_FLAG(int, retry_ms, 2000, "SSE retry: how soon browsers reconnect.");
ABSL_FLAG(bool, secure_cookies, false,
          "Mark the cookie Secure (when served over HTTPS).");
ABSL_FLAG(int64_t, max_unsent_bytes, 1 << 20,
          "Output a browser has not taken, at most, per open event stream; "
          "a browser further behind is disconnected and resumes from its "
          "last event when it reconnects.");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(15),
          "How often an idle event stream gets a comment line.");
ABSL_FLAG(absl::Duration, refresh_before, absl::Minutes(2),
          "Paired browsers' access tokens are refreshed this long before "
          "they expire.");
ABSL_FLAG(absl::Duration, refresh_every, absl::Seconds(30),
          "How often the gateway looks for tokens to refresh.");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT for GET /metrics (Prometheus text format; no "
          "authentication: loopback or a scrape-only network). Empty: off.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the metrics port is written there once listening.");

namespace {

void OnStop(evutil_socket_t, short, void* base) {
  event_base_loopexit(static_cast<event_base*>(base), nullptr);
}

int Fail(const std::string& message) {
  coachd::LogError(absl::StrCat("web_gateway: ", message));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "web_gateway [--listen=HOST:PORT] [--coachd=HOST:PORT] "
      "[--sessions_file=PATH] [--pages=DIR]");
  absl::ParseCommandLine(argc, argv);
  if (absl::Status format = coachd::ApplyLogFlags(); !format.ok()) {
    return Fail(std::string(format.message()));
  }
  signal(SIGPIPE, SIG_IGN);
  // One descriptor per open display: allow as many as the hard limit.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Fail(absl::StrCat("--listen: want HOST:PORT, got \"", listen, "\""));
  }
  absl::string_view host_view = absl::string_view(listen).substr(0, colon);
  absl::ConsumePrefix(&host_view, "[");
  absl::ConsumeSuffix(&host_view, "]");
  const std::string host(host_view);
  if (absl::GetFlag(FLAGS_retry_ms) < 100) {
    return Fail("--retry_ms: at least 100");
  }
  if (absl::GetFlag(FLAGS_max_unsent_bytes) < 4096) {
    return Fail("--max_unsent_bytes: at least 4096");
  }

  evthread_use_pthreads();  // gRPC threads wake the loop (event_active).
  event_base* base = event_base_new();
  coachd::RealClock clock;
  coachd::WebSessions sessions(&clock, absl::GetFlag(FLAGS_sessions_file));
  if (absl::Status loaded = sessions.Load(); !loaded.ok()) {
    return Fail(std::string(loaded.message()));
  }
  coachd::GatewayOptions options;
  options.pages_dir = absl::GetFlag(FLAGS_pages);
  options.retry_ms = absl::GetFlag(FLAGS_retry_ms);
  options.secure_cookies = absl::GetFlag(FLAGS_secure_cookies);
  options.heartbeat = absl::GetFlag(FLAGS_heartbeat);
  options.max_unsent_bytes =
      static_cast<size_t>(absl::GetFlag(FLAGS_max_unsent_bytes));
  options.refresh_before = absl::GetFlag(FLAGS_refresh_before);
  options.refresh_every = absl::GetFlag(FLAGS_refresh_every);
  if (options.refresh_every <= absl::ZeroDuration()) {
    return Fail("--refresh_every: must be positive");
  }
  // Metrics: counted whether or not they are served.
  static coachd::MetricsRegistry* const registry = new coachd::MetricsRegistry;
  static coachd::WebMetrics* const metrics = new coachd::WebMetrics(registry);
  options.metrics = metrics;
  std::unique_ptr<coachd::MetricsHttpServer> metrics_http;
  if (const std::string at = absl::GetFlag(FLAGS_metrics_listen); !at.empty()) {
    absl::StatusOr<std::unique_ptr<coachd::MetricsHttpServer>> http =
        coachd::MetricsHttpServer::Start(at, [] {
          return coachd::RenderPrometheusText(registry->Collect());
        });
    if (!http.ok()) return Fail(std::string(http.status().message()));
    metrics_http = *std::move(http);
    if (const std::string file = absl::GetFlag(FLAGS_metrics_port_file);
        !file.empty()) {
      if (absl::Status w = coachd::WritePortFile(file, metrics_http->port());
          !w.ok()) {
        return Fail(std::string(w.message()));
      }
    }
    coachd::LogInfo(absl::StrCat("web_gateway: metrics on http://", at,
                                 "/metrics (port ", metrics_http->port(), ")"));
  }
  // One channel for every browser; its connects counted until the end.
  std::shared_ptr<grpc::Channel> channel =
      coachd::MakeChannel(absl::GetFlag(FLAGS_coachd));
  coachd::ChannelWatch channel_watch(channel, metrics->upstream_connects(),
                                     metrics->upstream_failures());
  auto* gateway = new coachd::Gateway(base, channel, &sessions, options);
  if (absl::Status pages = gateway->LoadPages(); !pages.ok()) {
    return Fail(absl::StrCat("--pages: ", pages.message()));
  }
  absl::StatusOr<int> bound = gateway->Listen(host, port);
  if (!bound.ok()) return Fail(std::string(bound.status().message()));
  coachd::LogInfo(absl::StrCat("web_gateway: listening on ", host, ":", *bound,
                               ", coachd at ", absl::GetFlag(FLAGS_coachd)));
  if (const std::string file = absl::GetFlag(FLAGS_port_file); !file.empty()) {
    const std::string tmp = file + ".tmp";
    std::ofstream(tmp) << *bound << "\n";
    std::rename(tmp.c_str(), file.c_str());
  }
  event* stop_int = evsignal_new(base, SIGINT, &OnStop, base);
  event* stop_term = evsignal_new(base, SIGTERM, &OnStop, base);
  event_add(stop_int, nullptr);
  event_add(stop_term, nullptr);
  event_base_dispatch(base);
  if (metrics_http != nullptr) metrics_http->Stop();
  gateway->CloseAll();
  // gRPC threads may still be finishing calls that post to the gateway:
  // it is left to the process's exit rather than destroyed under them.
  coachd::LogInfo("web_gateway: stopped");
  return 0;
}
