// The web gateway: an HTTP server on libevent's evhttp that serves the
// display and coach pages, their live updates as Server-Sent Events and
// their buttons as POSTs, all through one gRPC channel to coachd.
//
// Threads: the libevent loop (one thread: every HTTP request and write) and
// gRPC's callback threads (the upstream streams and calls; they hand their
// results to the loop through a LoopPoster). No thread per browser.
//
//   Gateway gateway(base, channel, &sessions, options);
//   absl::Status pages = gateway.LoadPages();
//   absl::StatusOr<int> port = gateway.Listen("127.0.0.1", 0);
//   event_base_dispatch(base);
//
// Routes (see README "The web gateway"):
//   GET  /display, /coach, /static/<file>    the pages, served as they are
//   GET  /events/display[?session=S]  reminders, progress and session S
//                                     (default: the person's newest live one)
//   GET  /events/coach                the coach's live board and clients
//   GET  /events/follow?session=S     one session cue by cue (coach)
//   POST /api/command, /api/reminder, /api/cue   the buttons
//   POST /api/links  (Authorization: Bearer <coachd token>)  a one-time link
//   GET  /link?code=C                 trades the code for the cookie
//   GET  /pair                        the pairing page (pair_routes.cc):
//   POST /api/pair/start, /api/pair/poll   the browser pairs as a device
//   POST /api/logout                  drops the cookie, revokes the device
#ifndef CLIENTS_WEB_GATEWAY_H_
#define CLIENTS_WEB_GATEWAY_H_

#include <event2/event.h>
#include <event2/http.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/web/http_reply.h"
#include "clients/web/loop_poster.h"
#include "clients/web/sse_stream.h"
#include "clients/web/web_metrics.h"
#include "clients/web/web_sessions.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"

namespace coachd {

// Settings of the gateway.
struct GatewayOptions {
  std::string pages_dir;        // Where display.html etc. are.
  int retry_ms = 2000;          // SSE "retry:" (browser reconnect delay).
  bool secure_cookies = false;  // Add "Secure" (behind HTTPS).
  absl::Duration heartbeat = absl::Seconds(15);      // SSE comment interval.
  absl::Duration call_deadline = absl::Seconds(10);  // Unary calls.
  int max_streams = 10000;  // Open event streams at most (503 beyond).
  // Output a browser's socket has not taken, at most, per stream; a browser
  // further behind is cut off and resumes when it reconnects (sse_stream.h).
  size_t max_unsent_bytes = SseStream::kMaxUnsentBytes;
  // Paired browsers' access tokens are refreshed this long before they
  // expire, checked this often.
  absl::Duration refresh_before = absl::Minutes(2);
  absl::Duration refresh_every = absl::Seconds(30);
  // Where requests, streams and upstream ends are counted (web_metrics.h);
  // null: nowhere. Must outlive the gateway and its event loop.
  WebMetrics* metrics = nullptr;
};

// The cookies: a browser's session (its identity), and a pairing waiting
// for approval (pair_routes.cc). Both HttpOnly and SameSite=Strict.
inline constexpr char kCookie[] = "coachd_web";
inline constexpr char kPairCookie[] = "coachd_pair";
// How long a browser session's cookie lives (the token's expiry ends a
// linked one sooner on the gateway's side).
inline constexpr int64_t kCookieMaxAge = 90 * 24 * 3600;

// Everything but the constructor's arguments lives on the loop thread.
// `base`, `sessions` must outlive the gateway.
class Gateway {
 public:
  Gateway(event_base* base, std::shared_ptr<grpc::Channel> channel,
          WebSessions* sessions, GatewayOptions options);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Reads the pages into memory (no file I/O on the loop afterwards).
  // NOT_FOUND naming a page that is missing.
  absl::Status LoadPages();

  // Listens on host:port (0: a free port); the port bound.
  absl::StatusOr<int> Listen(const std::string& host, int port);

  // Open event streams now.
  int open_streams() const { return static_cast<int>(streams_.size()); }

  // Closes every stream (before the loop stops).
  void CloseAll();

 private:
  struct Page {
    std::string content_type;
    std::string body;
  };

  static void OnRequest(evhttp_request* request, void* self);
  static void OnHeartbeat(evutil_socket_t, short, void* self);
  void Handle(evhttp_request* request);
  void ServePage(evhttp_request* request, const std::string& name);
  void HandleLink(evhttp_request* request);
  void HandleMakeLink(evhttp_request* request);
  // Pairing a browser and signing out (pair_routes.cc).
  void HandlePairStart(evhttp_request* request);
  void HandlePairPoll(evhttp_request* request);
  void HandleLogout(evhttp_request* request);
  // Starts the timer that refreshes paired browsers' tokens.
  void StartRefreshing();
  static void OnRefreshTimer(evutil_socket_t, short, void* self);
  // Refreshes every paired session due (one call each at a time).
  void RefreshDue();
  void HandleEvents(evhttp_request* request, const std::string& which);
  void HandlePost(evhttp_request* request, const std::string& which);

  // A 200 event stream on `request` for `route` ("events_display"...).
  std::shared_ptr<SseStream> OpenStream(evhttp_request* request,
                                        const std::string& route);
  // The answer to come for `request`, counted as abandoned (499) when the
  // browser goes away first.
  std::unique_ptr<PendingReply> Pending(evhttp_request* request);
  // Any thread: streams session `session_id` into `stream`, from `resume`
  // when given. The call, to cancel.
  std::shared_ptr<UpstreamCall> FollowSession(
      const std::shared_ptr<SseStream>& stream, const WebIdentity& who,
      const std::string& session_id, coach::v1::DeviceKind kind,
      std::optional<coach::v1::ResumePosition> resume);
  // Watches the person's own sessions (WatchMySessions) and follows the
  // newest live one into `stream`: the display switches to its card when
  // any session of the person starts. `resume` (the browser's
  // Last-Event-ID) applies to the first session followed.
  void FollowMySessions(const std::shared_ptr<SseStream>& stream,
                        const WebIdentity& who,
                        std::optional<coach::v1::ResumePosition> resume);
  void WatchReminders(const std::shared_ptr<SseStream>& stream,
                      const WebIdentity& who);
  void SendProgress(const std::shared_ptr<SseStream>& stream,
                    const WebIdentity& who);
  void WatchLive(const std::shared_ptr<SseStream>& stream,
                 const WebIdentity& who, evhttp_request* request);
  void SendClients(const std::shared_ptr<SseStream>& stream,
                   const WebIdentity& who);

  event_base* const base_;
  WebSessions* const sessions_;
  const GatewayOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> session_stub_;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler_stub_;
  std::unique_ptr<coach::v1::CoachService::Stub> coach_stub_;
  std::unique_ptr<coach::v1::AuthService::Stub> auth_stub_;
  LoopPoster poster_;
  event* refresh_timer_ = nullptr;
  // Browser sessions whose refresh is in flight (loop thread).
  absl::flat_hash_set<std::string> refreshing_;
  // Pairings waiting for approval, by the id in kPairCookie (loop thread).
  struct PendingPairing {
    std::string device_code;
    absl::Time expires;
  };
  absl::flat_hash_map<std::string, PendingPairing> pairings_;
  evhttp* http_ = nullptr;
  event* heartbeat_ = nullptr;
  absl::flat_hash_map<std::string, Page> pages_;
  uint64_t next_stream_id_ = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<SseStream>> streams_;
};

}  // namespace coachd

#endif  // CLIENTS_WEB_GATEWAY_H_
