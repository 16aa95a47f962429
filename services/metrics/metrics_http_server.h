// Serves GET /metrics (the Prometheus text format) over HTTP with libevent's
// evhttp on a thread of its own; every other path is 404 and every other
// method on /metrics 405. For --metrics_listen; bind it to loopback or to a
// network only the scraper reaches (it has no authentication).
//
//   absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http =
//       MetricsHttpServer::Start("127.0.0.1:0", [&] {
//         return RenderPrometheusText(registry.Collect());
//       });
//   int port = (*http)->port();
//   ...
//   http->reset();  // stops the thread
#ifndef SERVICES_METRICS_METRICS_HTTP_SERVER_H_
#define SERVICES_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct event_base;
struct evhttp_request;
struct evhttp;

namespace coachd {

// Splits "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464", "localhost:0").
// INVALID_ARGUMENT naming `flag` and what is wrong.
absl::Status ParseListenAddress(absl::string_view flag,
                                absl::string_view address, std::string* host,
                                int* port);

// Writes "PORT\n" to `path` (a temporary file renamed over it, so a reader
// never sees half of it): --metrics_port_file, for tests and scripts that
// bind port 0. INTERNAL naming the path when it cannot be written.
absl::Status WritePortFile(const std::string& path, int port);

// Owns its event loop and thread; Stop (or the destructor) ends them.
class MetricsHttpServer {
 public:
  // Renders the page at each scrape, on the server's thread: must not block
  // for long (the registry's callbacks are quick).
  using Render = std::function<std::string()>;

  // Binds `listen` (HOST:PORT, port 0 picks one) and starts the thread.
  // INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      absl::string_view listen, Render render);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The port bound.
  int port() const { return port_; }

  // Stops serving, joins the thread and closes the listening socket (the
  // port is free after); a scrape in progress finishes first. Idempotent;
  // not concurrently with itself.
  void Stop();

 private:
  explicit MetricsHttpServer(Render render) : render_(std::move(render)) {}
  static void Handle(struct evhttp_request* request, void* self);

  Render render_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace coachd

#endif  // SERVICES_METRICS_METRICS_HTTP_SERVER_H_
