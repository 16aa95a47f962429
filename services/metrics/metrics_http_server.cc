#include "services/metrics/metrics_http_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/metrics/exposition.h"

namespace coachd {

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) {
      return absl::InternalError(absl::StrCat(path, ": cannot be written"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(path, ": cannot be written"));
  }
  return absl::OkStatus();
}

absl::Status ParseListenAddress(absl::string_view flag,
                                absl::string_view address, std::string* host,
                                int* port) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", address, "\" is not HOST:PORT (e.g. 127.0.0.1:9464)"));
  }
  absl::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  int p = 0;
  if (h.empty() || !absl::SimpleAtoi(address.substr(colon + 1), &p) || p < 0 ||
      p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", address, "\" needs a host and a port from 0 to 65535"));
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    absl::string_view listen, Render render) {
  std::string host;
  int port = 0;
  absl::Status parsed =
      ParseListenAddress("--metrics_listen", listen, &host, &port);
  if (!parsed.ok()) return parsed;
  // Stop() wakes the loop from another thread.
  static std::once_flag threads_once;
  std::call_once(threads_once, [] { evthread_use_pthreads(); });

  std::unique_ptr<MetricsHttpServer> server(
      new MetricsHttpServer(std::move(render)));
  server->base_ = event_base_new();
  if (server->base_ == nullptr) {
    return absl::InternalError("metrics: event_base_new failed");
  }
  server->http_ = evhttp_new(server->base_);
  evhttp_set_allowed_methods(
      server->http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
  evhttp_set_gencb(server->http_, &MetricsHttpServer::Handle, server.get());
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(
      server->http_, host.c_str(), static_cast<uint16_t>(port));
  if (bound == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("--metrics_listen: cannot bind ", listen));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(evhttp_bound_socket_get_fd(bound),
              reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.ss_family == AF_INET6
                            ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  event_base* base = server->base_;
  server->thread_ = std::thread([base] { event_base_dispatch(base); });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  Stop();
  if (http_ != nullptr) evhttp_free(http_);
  if (base_ != nullptr) event_base_free(base_);
}

void MetricsHttpServer::Stop() {
  if (!thread_.joinable()) return;
  // loopexit, not loopbreak: it is an event, so it also ends a loop that
  // has not started running yet (loopbreak's flag would be cleared then).
  event_base_loopexit(base_, nullptr);
  thread_.join();
  // Closes the listener and open connections: the port is free again.
  evhttp_free(http_);
  http_ = nullptr;
}

void MetricsHttpServer::Handle(evhttp_request* request, void* arg) {
  auto* self = static_cast<MetricsHttpServer*>(arg);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* path = uri == nullptr ? nullptr : evhttp_uri_get_path(uri);
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evbuffer* body = evbuffer_new();
  if (path == nullptr || absl::string_view(path) != "/metrics") {
    evhttp_add_header(headers, "Content-Type", "text/plain; charset=utf-8");
    evbuffer_add_printf(body, "not found: only /metrics is served\n");
    evhttp_send_reply(request, HTTP_NOTFOUND, "Not Found", body);
  } else if (evhttp_request_get_command(request) != EVHTTP_REQ_GET &&
             evhttp_request_get_command(request) != EVHTTP_REQ_HEAD) {
    evhttp_add_header(headers, "Allow", "GET, HEAD");
    evhttp_send_reply(request, 405, "Method Not Allowed", body);
  } else {
    const std::string text = self->render_();
    const std::string type(kPrometheusContentType);
    evhttp_add_header(headers, "Content-Type", type.c_str());
    evbuffer_add(body, text.data(), text.size());
    evhttp_send_reply(request, HTTP_OK, "OK", body);
  }
  evbuffer_free(body);
}

}  // namespace coachd
