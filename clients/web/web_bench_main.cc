// web_bench: holds many open display streams on a web gateway (loopback
// only) and measures what that costs: displays held, the gateway's memory
// per open display (its RSS before and after), its threads, and the latency
// of each session event from coachd (the event's server_time) to its
// arrival on a display's connection. One libevent loop, one socket per
// display; bounded by --displays and --duration.
//
//   web_bench --gateway=127.0.0.1:8080 --coachd=127.0.0.1:50051
//     --secret_file=secret --gateway_pid=$PID --displays=2000
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/common/client_auth.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/proc_stats.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/authenticator.h"
#include "services/auth/jwt.h"

ABSL_FLAG(std::string, gateway, "127.0.0.1:8080", "Gateway (loopback).");
ABSL_FLAG(std::string, coachd, "127.0.0.1:50051", "coachd (loopback).");
ABSL_FLAG(std::string, secret_file, "", "coachd's secret (mints the token).");
ABSL_FLAG(int, gateway_pid, 0, "The gateway's pid, for its memory.");
ABSL_FLAG(int, displays, 200, "Open displays to hold (1..20000).");
ABSL_FLAG(int, sessions, 4, "Sessions played meanwhile (1..100).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(20),
          "How long to hold the displays once all are open (<= 2m).");

namespace {

struct Display {
  bufferevent* bev = nullptr;
  bool open = false;  // Got the stream's first line.
  bool closed = false;
};

struct Bench {
  std::string host;
  int port = 0;
  std::string cookie;
  std::vector<std::string> sessions;
  std::vector<Display> displays;
  coachd::LatencyHistogram latency;
  int64_t events = 0;
  int open = 0;
  int closed = 0;
};

bool Loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

// A blocking HTTP/1.1 exchange (for the link); the whole answer.
std::string Exchange(const std::string& host, int port,
                     const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(),
            &a.sin_addr);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    (void)!write(fd, request.data(), request.size());
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) answer.append(buffer, n);
  }
  close(fd);
  return answer;
}

std::string Between(const std::string& text, const std::string& from,
                    const std::string& to) {
  const size_t a = text.find(from);
  if (a == std::string::npos) return "";
  const size_t b = text.find(to, a + from.size());
  return text.substr(a + from.size(), b - a - from.size());
}

void OnRead(bufferevent* bev, void* arg) {
  auto* bench = static_cast<Bench*>(static_cast<void**>(arg)[0]);
  auto* display = static_cast<Display*>(static_cast<void**>(arg)[1]);
  evbuffer* in = bufferevent_get_input(bev);
  size_t length = 0;
  while (char* line = evbuffer_readln(in, &length, EVBUFFER_EOL_CRLF)) {
    const absl::string_view text(line, length);
    if (!display->open && absl::StartsWith(text, "retry:")) {
      display->open = true;
      ++bench->open;
    }
    if (absl::StartsWith(text, "data: ") &&
        absl::StrContains(text, "\"serverTime\":") &&
        !absl::StrContains(text, "\"kind\":\"snapshot\"")) {
      const size_t at = text.find("\"serverTime\":") + 13;
      int64_t server_ms = 0;
      const size_t end = text.find(',', at);
      if (absl::SimpleAtoi(text.substr(at, end - at), &server_ms)) {
        const int64_t now_us = absl::ToUnixMicros(absl::Now());
        bench->latency.Record(now_us - server_ms * 1000);
        ++bench->events;
      }
    }
    free(line);
  }
}

void OnEvent(bufferevent* bev, short what, void* arg) {
  auto* bench = static_cast<Bench*>(static_cast<void**>(arg)[0]);
  auto* display = static_cast<Display*>(static_cast<void**>(arg)[1]);
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    if (!display->closed) {
      display->closed = true;
      ++bench->closed;
    }
  }
}

int Fail(const std::string& why) {
  std::fprintf(stderr, "web_bench: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "web_bench --gateway=127.0.0.1:PORT --coachd=127.0.0.1:PORT "
      "--secret_file=PATH --gateway_pid=PID [--displays=N]");
  absl::ParseCommandLine(argc, argv);
  Bench bench;
  const std::string gateway = absl::GetFlag(FLAGS_gateway);
  const size_t colon = gateway.rfind(':');
  bench.host = gateway.substr(0, colon);
  const int displays = absl::GetFlag(FLAGS_displays);
  const int sessions = absl::GetFlag(FLAGS_sessions);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(gateway.substr(colon + 1), &bench.port)) {
    return Fail("--gateway: want HOST:PORT");
  }
  const std::string coachd = absl::GetFlag(FLAGS_coachd);
  if (!Loopback(bench.host) || !Loopback(coachd.substr(0, coachd.rfind(':')))) {
    return Fail("--gateway, --coachd: loopback only");
  }
  if (displays < 1 || displays > 20000) return Fail("--displays: 1..20000");
  if (sessions < 1 || sessions > 100) return Fail("--sessions: 1..100");
  if (duration > absl::Minutes(2)) return Fail("--duration: at most 2m");
  absl::StatusOr<std::string> secret =
      coachd::LoadSecretFile(absl::GetFlag(FLAGS_secret_file), "--secret_file");
  if (!secret.ok()) return Fail(std::string(secret.status().message()));
  const std::string token =
      coachd::MintToken(*secret, {"web-bench", coachd::Role::kUser},
                        absl::Now(), absl::Now() + absl::Hours(1));

  // A browser session for the displays, the way a person links a display.
  const std::string made = Exchange(
      bench.host, bench.port,
      absl::StrCat("POST /api/links HTTP/1.1\r\nHost: ", gateway,
                   "\r\nAuthorization: Bearer ", token,
                   "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  const std::string code = Between(made, "\"code\":\"", "\"");
  const std::string linked = Exchange(
      bench.host, bench.port,
      absl::StrCat("GET /link?code=", code, " HTTP/1.1\r\nHost: ", gateway,
                   "\r\nConnection: close\r\n\r\n"));
  bench.cookie = Between(linked, "Set-Cookie: ", ";");
  if (code.empty() || bench.cookie.empty()) {
    return Fail("cannot link: " + made.substr(0, 300));
  }

  auto stub = coach::v1::SessionService::NewStub(grpc::CreateChannel(
      coachd, coachd::MakeChannelCredentials(coachd::ClientTlsFromFlags())));
  for (int i = 0; i < sessions; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    grpc::Status s = stub->StartSession(&context, request, &view);
    if (!s.ok()) return Fail("StartSession: " + s.error_message());
    bench.sessions.push_back(view.session_id());
  }

  const int pid = absl::GetFlag(FLAGS_gateway_pid);
  absl::StatusOr<coachd::ProcessStats> before = coachd::ReadProcessStats(pid);
  event_base* base = event_base_new();
  bench.displays.resize(static_cast<size_t>(displays));
  std::vector<std::unique_ptr<void*[]>> args;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(bench.port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  const absl::Time opening = absl::Now();
  for (int i = 0; i < displays; ++i) {
    Display& d = bench.displays[static_cast<size_t>(i)];
    d.bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    args.emplace_back(new void* [2] { &bench, &d });
    bufferevent_setcb(d.bev, &OnRead, nullptr, &OnEvent, args.back().get());
    bufferevent_enable(d.bev, EV_READ);
    bufferevent_socket_connect(d.bev, reinterpret_cast<sockaddr*>(&address),
                               sizeof(address));
    const std::string request = absl::StrCat(
        "GET /events/display?session=",
        bench.sessions[static_cast<size_t>(i % sessions)],
        " HTTP/1.1\r\nHost: ", gateway, "\r\nCookie: ", bench.cookie,
        "\r\nAccept: text/event-stream\r\n\r\n");
    bufferevent_write(d.bev, request.data(), request.size());
    // Open in batches so the gateway's listen backlog keeps up.
    if (i % 100 == 99) event_base_loop(base, EVLOOP_NONBLOCK);
  }
  const absl::Time all_asked = absl::Now();
  while (bench.open + bench.closed < displays &&
         absl::Now() - all_asked < absl::Seconds(60)) {
    timeval slice = {0, 50000};
    event_base_loopexit(base, &slice);
    event_base_dispatch(base);
  }
  const absl::Duration open_time = absl::Now() - opening;
  const int64_t events_at_open = bench.events;
  absl::StatusOr<coachd::ProcessStats> held = coachd::ReadProcessStats(pid);
  const absl::Time hold_until = absl::Now() + duration;
  while (absl::Now() < hold_until) {
    timeval slice = {0, 100000};
    event_base_loopexit(base, &slice);
    event_base_dispatch(base);
  }
  absl::StatusOr<coachd::ProcessStats> after = coachd::ReadProcessStats(pid);
  const int still_open = bench.open - bench.closed;

  std::printf("displays asked           %d\n", displays);
  std::printf("displays held (open at end) %d (closed early: %d)\n", still_open,
              bench.closed);
  std::printf("time to open all         %.1f s\n",
              absl::ToDoubleSeconds(open_time));
  std::printf("session events received  %lld (%lld while holding)\n",
              static_cast<long long>(bench.events),
              static_cast<long long>(bench.events - events_at_open));
  std::printf(
      "latency coachd->display  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
      bench.latency.Percentile(0.5) / 1000.0,
      bench.latency.Percentile(0.99) / 1000.0, bench.latency.Max() / 1000.0);
  if (before.ok() && held.ok() && after.ok()) {
    std::printf(
        "gateway RSS              %lld KB before, %lld KB held, %lld "
        "KB at end\n",
        static_cast<long long>(before->rss_kb),
        static_cast<long long>(held->rss_kb),
        static_cast<long long>(after->rss_kb));
    std::printf("memory per open display  %.1f KB\n",
                static_cast<double>(held->rss_kb - before->rss_kb) /
                    std::max(1, bench.open));
    std::printf("gateway threads          %d; CPU %.2f s while holding\n",
                after->threads, after->cpu_seconds - held->cpu_seconds);
  }
  for (Display& d : bench.displays) bufferevent_free(d.bev);
  event_base_free(base);
  return still_open == displays ? 0 : 2;
}
