#include "clients/web/gateway.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "clients/web/http_parse.h"
#include "clients/web/http_reply.h"
#include "clients/web/json_writer.h"
#include "clients/web/page_messages.h"
#include "clients/web/upstream_reader.h"
#include "google/protobuf/struct.pb.h"

namespace coachd {
namespace {

// The pages: URL path, file, content type.
struct PageFile {
  const char* path;
  const char* file;
  const char* content_type;
};
constexpr PageFile kPages[] = {
    {"/display", "display.html", "text/html; charset=utf-8"},
    {"/coach", "coach.html", "text/html; charset=utf-8"},
    {"/pair", "pair.html", "text/html; charset=utf-8"},
    {"/static/app.css", "app.css", "text/css; charset=utf-8"},
    {"/static/display.js", "display.js", "text/javascript; charset=utf-8"},
    {"/static/coach.js", "coach.js", "text/javascript; charset=utf-8"},
    {"/static/pair.js", "pair.js", "text/javascript; charset=utf-8"},
};

// What the page should hear when an upstream stream ends with `status`:
// "down" when trying again may help (the page shows "reconnecting" and the
// browser comes back), else "denied" or "gone" (no point in coming back).
// A paired browser's token that expired (`refreshable`) is renewed by the
// gateway: it comes back (a revoked one is "denied").
std::string EndState(const grpc::Status& status, bool refreshable) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return refreshable ? "down" : "denied";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "denied";
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNIMPLEMENTED:
      return "gone";
    default:
      return "down";
  }
}

// What ends an upstream stream that feeds `stream` (the request `keep`
// lives until then): the page hears why ("ended" when the session is over,
// else EndState), and when coming back may help the stream closes, so the
// browser reconnects and resumes from its Last-Event-ID.
// Counted in `metrics` (null: not counted) by `what` and code.
template <typename Request>
std::function<void(const grpc::Status&)> OnUpstreamEnd(
    std::shared_ptr<SseStream> stream, std::shared_ptr<Request> keep,
    std::string what, const WebIdentity& who, WebMetrics* metrics) {
  const bool paired = !who.refresh_token.empty();
  const absl::Time expires = who.expires;
  return [stream = std::move(stream), keep = std::move(keep),
          what = std::move(what), paired, expires,
          metrics](const grpc::Status& status) {
    if (status.error_code() == grpc::StatusCode::CANCELLED) return;
    if (metrics != nullptr) metrics->UpstreamEnded(what, GrpcCodeName(status));
    // Expired (give or take clock skew), not revoked: the gateway has
    // refreshed it by now, and the browser's reconnect uses the new one.
    const bool refreshable =
        paired && absl::Now() + absl::Seconds(5) >= expires;
    stream->Post([status, what, refreshable](SseStream* s) {
      if (status.ok() && what == "session") {
        s->Write(FormatSse(StatusMessage("ended", "the session is over")));
        return;
      }
      const std::string state =
          status.ok() ? "down" : EndState(status, refreshable);
      s->Write(FormatSse(
          StatusMessage(state, absl::StrCat(what, ": ", GrpcCodeName(status),
                                            ": ", status.error_message()))));
      if (state == "down") s->Close();
    });
  };
}

std::optional<coach::v1::ResumePosition> ResumeOf(evhttp_request* request) {
  return ResumeFrom(Header(request, "Last-Event-ID"),
                    QueryParam(request, "last"));
}

}  // namespace

Gateway::Gateway(event_base* base, std::shared_ptr<grpc::Channel> channel,
                 WebSessions* sessions, GatewayOptions options)
    : base_(base),
      sessions_(sessions),
      options_(std::move(options)),
      channel_(std::move(channel)),
      session_stub_(coach::v1::SessionService::NewStub(channel_)),
      scheduler_stub_(coach::v1::SchedulerService::NewStub(channel_)),
      coach_stub_(coach::v1::CoachService::NewStub(channel_)),
      auth_stub_(coach::v1::AuthService::NewStub(channel_)),
      poster_(base) {}

Gateway::~Gateway() {
  CloseAll();
  if (heartbeat_ != nullptr) event_free(heartbeat_);
  if (refresh_timer_ != nullptr) event_free(refresh_timer_);
  if (http_ != nullptr) evhttp_free(http_);
}

absl::Status Gateway::LoadPages() {
  for (const PageFile& page : kPages) {
    const std::string path = options_.pages_dir + "/" + page.file;
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
    std::ostringstream body;
    body << in.rdbuf();
    pages_[page.path] = {page.content_type, body.str()};
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Gateway::Listen(const std::string& host, int port) {
  http_ = evhttp_new(base_);
  evhttp_set_allowed_methods(
      http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
  evhttp_set_max_headers_size(http_, 16 * 1024);
  evhttp_set_max_body_size(http_, 16 * 1024);
  evhttp_set_gencb(http_, &Gateway::OnRequest, this);
  evhttp_bound_socket* bound =
      evhttp_bind_socket_with_handle(http_, host.c_str(), port);
  if (bound == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("--listen: cannot listen on ", host, ":", port));
  }
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  getsockname(evhttp_bound_socket_get_fd(bound),
              reinterpret_cast<sockaddr*>(&address), &length);
  const int bound_port =
      address.ss_family == AF_INET6
          ? ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port)
          : ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  heartbeat_ = event_new(base_, -1, EV_PERSIST, &Gateway::OnHeartbeat, this);
  const timeval every = absl::ToTimeval(options_.heartbeat);
  event_add(heartbeat_, &every);
  StartRefreshing();
  return bound_port;
}

void Gateway::CloseAll() {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) stream->Close();
}

void Gateway::OnHeartbeat(evutil_socket_t, short, void* self) {
  // A comment line: keeps proxies from timing the stream out and shows a
  // vanished browser (the write fails) even while nothing happens.
  auto* gateway = static_cast<Gateway*>(self);
  std::vector<std::shared_ptr<SseStream>> streams;
  for (auto& [id, stream] : gateway->streams_) streams.push_back(stream);
  for (auto& stream : streams) stream->Write(":\n\n");
}

void Gateway::OnRequest(evhttp_request* request, void* self) {
  static_cast<Gateway*>(self)->Handle(request);
}

void Gateway::Handle(evhttp_request* request) {
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(request);
  const char* raw_path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const std::string path = raw_path != nullptr ? raw_path : "/";
  const evhttp_cmd_type method = evhttp_request_get_command(request);
  if (options_.metrics != nullptr) {
    const char* name = method == EVHTTP_REQ_GET    ? "GET"
                       : method == EVHTTP_REQ_POST ? "POST"
                       : method == EVHTTP_REQ_HEAD ? "HEAD"
                                                   : "OTHER";
    options_.metrics->Arrived(request, WebRouteLabel(name, path));
  }
  if (method == EVHTTP_REQ_POST) {
    if (path == "/api/links") return HandleMakeLink(request);
    if (path == "/api/pair/start") return HandlePairStart(request);
    if (path == "/api/pair/poll") return HandlePairPoll(request);
    if (path == "/api/logout") return HandleLogout(request);
    if (absl::StartsWith(path, "/api/")) {
      return HandlePost(request, path.substr(5));
    }
    return Reply(request, 404, "text/plain", "not found\n");
  }
  if (path == "/") {
    evhttp_add_header(evhttp_request_get_output_headers(request), "Location",
                      "display");
    return Reply(request, 303, "text/plain", "see /display\n");
  }
  if (path == "/healthz") return Reply(request, 200, "text/plain", "ok\n");
  if (path == "/link") return HandleLink(request);
  if (absl::StartsWith(path, "/events/")) {
    return HandleEvents(request, path.substr(8));
  }
  ServePage(request, path);
}

void Gateway::ServePage(evhttp_request* request, const std::string& path) {
  auto it = pages_.find(path);
  if (it == pages_.end()) {
    return Reply(request, 404, "text/plain", "not found\n");
  }
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  // Nothing from elsewhere: scripts, styles and connections to this site.
  evhttp_add_header(headers, "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; "
                    "base-uri 'none'; form-action 'self'");
  evhttp_add_header(headers, "Referrer-Policy", "no-referrer");
  Reply(request, 200, it->second.content_type.c_str(), it->second.body);
}

void Gateway::HandleLink(evhttp_request* request) {
  const std::string code = QueryParam(request, "code");
  absl::StatusOr<std::string> sid =
      IsPlainId(code)
          ? sessions_->Redeem(code)
          : absl::InvalidArgumentError("code: missing or malformed");
  if (!sid.ok()) {
    return Reply(
        request, HttpStatusFor(static_cast<int>(sid.status().code())),
        "text/plain",
        absl::StrCat("This link cannot be used: ", sid.status().message(),
                     ". Make a new one in your app.\n"));
  }
  std::optional<WebIdentity> who = sessions_->Find(*sid);
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(
      headers, "Set-Cookie",
      SessionCookie(kCookie, *sid, kCookieMaxAge, options_.secure_cookies)
          .c_str());
  evhttp_add_header(
      headers, "Location",
      who.has_value() && who->role == "coach" ? "coach" : "display");
  Reply(request, 303, "text/plain", "linked\n");
}

void Gateway::HandleMakeLink(evhttp_request* request) {
  // Authorized by the coachd token itself (not a cookie): whoever holds a
  // token may make a link for it, so no cross-site check is needed here.
  const std::string token = BearerToken(Header(request, "Authorization"));
  if (token.empty()) {
    return ReplyError(request,
                      absl::UnauthenticatedError(
                          "Authorization: want \"Bearer <coachd token>\""));
  }
  absl::StatusOr<std::string> code = sessions_->MakeLinkCode(token);
  if (!code.ok()) return ReplyError(request, code.status());
  JsonWriter w;
  w.BeginObject();
  w.Member("code", *code);
  w.Member("url", absl::StrCat("/link?code=", *code));
  w.Key("expiresInSeconds");
  w.Int(absl::ToInt64Seconds(WebSessions::kLinkTtl));
  w.EndObject();
  Reply(request, 200, "application/json", w.Take());
}

std::shared_ptr<SseStream> Gateway::OpenStream(evhttp_request* request,
                                               const std::string& route) {
  const uint64_t id = next_stream_id_++;
  WebMetrics* metrics = options_.metrics;
  if (metrics != nullptr) {
    metrics->Answered(request, 200);  // Its reply lasts as long as it.
    metrics->StreamOpened(route);
  }
  std::shared_ptr<SseStream> stream = SseStream::Open(
      request, &poster_, options_.retry_ms, options_.max_unsent_bytes,
      [this, id, metrics, route] {
        streams_.erase(id);
        if (metrics != nullptr) metrics->StreamClosed(route);
      },
      metrics != nullptr ? &metrics->sse() : nullptr);
  streams_[id] = stream;
  return stream;
}

std::unique_ptr<PendingReply> Gateway::Pending(evhttp_request* request) {
  WebMetrics* metrics = options_.metrics;
  if (metrics == nullptr) return std::make_unique<PendingReply>(request);
  return std::make_unique<PendingReply>(
      request, [metrics, request] { metrics->Abandoned(request); });
}

void Gateway::HandleEvents(evhttp_request* request, const std::string& which) {
  if (which != "display" && which != "coach" && which != "follow") {
    return Reply(request, 404, "text/plain", "not found\n");
  }
  if (static_cast<int>(streams_.size()) >= options_.max_streams) {
    return Reply(request, 503, "text/plain", "too many open streams\n");
  }
  std::optional<WebIdentity> who;
  if (std::optional<std::string> sid =
          CookieValue(Header(request, "Cookie"), kCookie)) {
    who = sessions_->Find(*sid);
  }
  std::shared_ptr<SseStream> stream =
      OpenStream(request, absl::StrCat("events_", which));
  if (!who.has_value()) {
    stream->Write(FormatSse(StatusMessage(
        "nologin", "this browser is not linked: open a link from your app")));
    return stream->Close();
  }
  JsonWriter hello;
  hello.BeginObject();
  hello.Member("who", who->subject);
  hello.Member("role", who->role);
  hello.EndObject();
  stream->Write(FormatSse({"", "hello", hello.Take()}));
  const std::string session_id = QueryParam(request, "session");
  if (!session_id.empty() && !IsPlainId(session_id)) {
    stream->Write(
        FormatSse(StatusMessage("gone", "session: not a session id")));
    return;
  }
  if (which == "coach") return WatchLive(stream, *who, request);
  if (which == "follow") {
    if (session_id.empty()) {
      stream->Write(FormatSse(StatusMessage("gone", "session: required")));
      return;
    }
    FollowSession(stream, *who, session_id, coach::v1::DEVICE_KIND_COACH,
                  ResumeOf(request));
    return;
  }
  WatchReminders(stream, *who);
  SendProgress(stream, *who);
  if (!session_id.empty()) {
    FollowSession(stream, *who, session_id, coach::v1::DEVICE_KIND_DISPLAY,
                  ResumeOf(request));
  } else {
    FollowMySessions(stream, *who, ResumeOf(request));
  }
}

std::shared_ptr<UpstreamCall> Gateway::FollowSession(
    const std::shared_ptr<SseStream>& stream, const WebIdentity& who,
    const std::string& session_id, coach::v1::DeviceKind kind,
    std::optional<coach::v1::ResumePosition> resume) {
  auto subscribe = std::make_shared<coach::v1::SubscribeRequest>();
  subscribe->set_session_id(session_id);
  subscribe->set_kind(kind);
  if (resume.has_value()) *subscribe->mutable_resume() = *resume;
  const bool display = kind == coach::v1::DEVICE_KIND_DISPLAY;
  std::shared_ptr<UpstreamCall> call =
      UpstreamReader<coach::v1::SessionEvent>::Start(
          who.token,
          [this, subscribe](
              grpc::ClientContext* context,
              grpc::ClientReadReactor<coach::v1::SessionEvent>* r) {
            session_stub_->async()->Subscribe(context, subscribe.get(), r);
          },
          [this, stream, who, display](const coach::v1::SessionEvent& event) {
            stream->Offer(SessionEventMessage(event));
            if (display && event.has_session_done()) {
              SendProgress(stream, who);
            }
          },
          OnUpstreamEnd(stream, subscribe, "session", who, options_.metrics));
  stream->Attach(call);
  return call;
}

namespace {

// Which session a display follows (touched from gRPC threads).
struct Following {
  absl::Mutex mu;
  std::string session_id ABSL_GUARDED_BY(mu);
  std::shared_ptr<UpstreamCall> call ABSL_GUARDED_BY(mu);
  // The browser's position, for the first session followed only.
  std::optional<coach::v1::ResumePosition> resume ABSL_GUARDED_BY(mu);
};

// The newest session of a board that is not over; empty when none.
std::string NewestLive(const coach::v1::LiveBoard& board) {
  const coach::v1::LiveSession* newest = nullptr;
  for (const coach::v1::LiveSession& s : board.sessions()) {
    if (s.run_state() == coach::v1::RUN_STATE_FINISHED) continue;
    if (newest == nullptr ||
        s.started_at().seconds() > newest->started_at().seconds()) {
      newest = &s;
    }
  }
  return newest != nullptr ? newest->session_id() : "";
}

}  // namespace

void Gateway::FollowMySessions(
    const std::shared_ptr<SseStream>& stream, const WebIdentity& who,
    std::optional<coach::v1::ResumePosition> resume) {
  auto following = std::make_shared<Following>();
  {
    absl::MutexLock lock(&following->mu);
    following->resume = std::move(resume);
  }
  auto watch = std::make_shared<coach::v1::WatchMySessionsRequest>();
  stream->Attach(UpstreamReader<coach::v1::LiveUpdate>::Start(
      who.token,
      [this, watch](grpc::ClientContext* context,
                    grpc::ClientReadReactor<coach::v1::LiveUpdate>* r) {
        coach_stub_->async()->WatchMySessions(context, watch.get(), r);
      },
      [this, stream, who, following](const coach::v1::LiveUpdate& update) {
        std::string session_id;
        if (update.kind() == coach::v1::LIVE_UPDATE_KIND_SNAPSHOT) {
          session_id = NewestLive(update.board());
        } else if (update.kind() == coach::v1::LIVE_UPDATE_KIND_STARTED) {
          session_id = update.session_id();
        }
        absl::MutexLock lock(&following->mu);
        if (session_id.empty() || session_id == following->session_id) return;
        if (following->call != nullptr) following->call->Cancel();
        following->session_id = session_id;
        following->call =
            FollowSession(stream, who, session_id,
                          coach::v1::DEVICE_KIND_DISPLAY, following->resume);
        following->resume.reset();
      },
      OnUpstreamEnd(stream, watch, "sessions", who, options_.metrics)));
}

void Gateway::WatchReminders(const std::shared_ptr<SseStream>& stream,
                             const WebIdentity& who) {
  auto watch = std::make_shared<coach::v1::WatchRemindersRequest>();
  watch->set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  stream->Attach(UpstreamReader<coach::v1::Reminder>::Start(
      who.token,
      [this, watch](grpc::ClientContext* context,
                    grpc::ClientReadReactor<coach::v1::Reminder>* r) {
        scheduler_stub_->async()->WatchReminders(context, watch.get(), r);
      },
      [this, stream, who](const coach::v1::Reminder& reminder) {
        stream->Offer(ReminderMessage(reminder));
        SendProgress(stream, who);  // The next reminder moved on.
      },
      OnUpstreamEnd(stream, watch, "reminders", who, options_.metrics)));
}

void Gateway::SendProgress(const std::shared_ptr<SseStream>& stream,
                           const WebIdentity& who) {
  using Call = UnaryCall<coach::v1::GetProgressRequest, coach::v1::Progress>;
  auto call = std::make_shared<Call>();
  call->context.AddMetadata("authorization", "Bearer " + who.token);
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.call_deadline));
  scheduler_stub_->async()->GetProgress(
      &call->context, &call->request, &call->response,
      [stream, call](grpc::Status status) {
        if (status.ok()) {
          stream->Offer(ProgressMessage(call->response));
        } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
          stream->Offer(NoProgressMessage());
        }
        // Other failures: the reminder stream's end says so.
      });
}

void Gateway::WatchLive(const std::shared_ptr<SseStream>& stream,
                        const WebIdentity& who, evhttp_request* request) {
  auto watch = std::make_shared<coach::v1::WatchLiveRequest>();
  if (std::optional<coach::v1::ResumePosition> at = ResumeOf(request)) {
    *watch->mutable_resume() = *at;
  }
  SendClients(stream, who);
  stream->Attach(UpstreamReader<coach::v1::LiveUpdate>::Start(
      who.token,
      [this, watch](grpc::ClientContext* context,
                    grpc::ClientReadReactor<coach::v1::LiveUpdate>* r) {
        coach_stub_->async()->WatchLive(context, watch.get(), r);
      },
      [this, stream, who](const coach::v1::LiveUpdate& update) {
        stream->Offer(LiveUpdateMessage(update));
        switch (update.kind()) {
          case coach::v1::LIVE_UPDATE_KIND_STARTED:
          case coach::v1::LIVE_UPDATE_KIND_DISCOMFORT:
          case coach::v1::LIVE_UPDATE_KIND_ENDED:
          case coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED:
          case coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED:
            SendClients(stream, who);  // Weeks and adherence changed.
            break;
          default:
            break;
        }
      },
      OnUpstreamEnd(stream, watch, "board", who, options_.metrics)));
}

void Gateway::SendClients(const std::shared_ptr<SseStream>& stream,
                          const WebIdentity& who) {
  using Call =
      UnaryCall<coach::v1::ListClientsRequest, coach::v1::ListClientsResponse>;
  auto call = std::make_shared<Call>();
  call->context.AddMetadata("authorization", "Bearer " + who.token);
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.call_deadline));
  coach_stub_->async()->ListClients(
      &call->context, &call->request, &call->response,
      [stream, call](grpc::Status status) {
        if (status.ok()) stream->Offer(ClientsMessage(call->response));
      });
}

void Gateway::HandlePost(evhttp_request* request, const std::string& which) {
  std::optional<WebIdentity> who;
  if (std::optional<std::string> sid =
          CookieValue(Header(request, "Cookie"), kCookie)) {
    who = sessions_->Find(*sid);
  }
  if (!who.has_value()) {
    return ReplyError(request, absl::UnauthenticatedError(
                                   "cookie: this browser is not linked"));
  }
  if (absl::Status same =
          CheckSameOrigin({Header(request, "Host"), Header(request, "Origin"),
                           Header(request, "Sec-Fetch-Site")});
      !same.ok()) {
    return ReplyError(request, same);
  }
  absl::StatusOr<google::protobuf::Struct> body = JsonBody(request);
  if (!body.ok()) return ReplyError(request, body.status());
  const std::string session_id = StringField(*body, "session");
  const absl::Time deadline = absl::Now() + options_.call_deadline;

  if (which == "command") {
    absl::StatusOr<coach::v1::CommandType> command =
        ParseCommand(StringField(*body, "command"));
    if (!command.ok()) return ReplyError(request, command.status());
    if (!IsPlainId(session_id)) {
      return ReplyError(request, absl::InvalidArgumentError(
                                     "session: missing or not a session id"));
    }
    using Call = UnaryCall<coach::v1::SendCommandRequest,
                           coach::v1::SendCommandResponse>;
    auto call = std::make_shared<Call>();
    call->request.set_session_id(session_id);
    call->request.set_command_id(RandomHex(16));  // Fresh for every tap.
    call->request.set_command(*command);
    call->request.set_note(StringField(*body, "note"));
    call->request.set_from_kind(coach::v1::DEVICE_KIND_DISPLAY);
    call->reply = Pending(request);
    call->context.AddMetadata("authorization", "Bearer " + who->token);
    call->context.set_deadline(absl::ToChronoTime(deadline));
    session_stub_->async()->SendCommand(
        &call->context, &call->request, &call->response,
        [this, call](grpc::Status status) {
          poster_.Post([call, status] {
            JsonWriter w;
            w.BeginObject();
            w.Member("duplicate", call->response.duplicate());
            w.Member("lastSequence", call->response.last_sequence());
            w.Member("run", EnumWord(coach::v1::RunState_Name(
                                         call->response.status().run_state()),
                                     "RUN_STATE_"));
            w.EndObject();
            call->reply->Send(status, w.Take());
          });
        });
    return;
  }
  if (which == "reminder") {
    const std::string action = StringField(*body, "action");
    using Call = UnaryCall<coach::v1::AckReminderRequest, coach::v1::Reminder>;
    auto call = std::make_shared<Call>();
    call->request.set_reminder_id(StringField(*body, "id"));
    if (action == "done") {
      call->request.set_action(coach::v1::ACK_ACTION_DONE);
    } else if (action == "snooze") {
      call->request.set_action(coach::v1::ACK_ACTION_SNOOZE);
      auto minutes = body->fields().find("minutes");
      call->request.set_snooze_minutes(
          minutes != body->fields().end() && minutes->second.has_number_value()
              ? static_cast<int>(minutes->second.number_value())
              : 10);
    } else {
      return ReplyError(request, absl::InvalidArgumentError(
                                     "action: want \"done\" or \"snooze\""));
    }
    call->reply = Pending(request);
    call->context.AddMetadata("authorization", "Bearer " + who->token);
    call->context.set_deadline(absl::ToChronoTime(deadline));
    scheduler_stub_->async()->AckReminder(
        &call->context, &call->request, &call->response,
        [this, call](grpc::Status status) {
          poster_.Post([call, status] {
            call->reply->Send(status, ReminderMessage(call->response).data);
          });
        });
    return;
  }
  if (which == "cue") {
    if (!IsPlainId(session_id)) {
      return ReplyError(request, absl::InvalidArgumentError(
                                     "session: missing or not a session id"));
    }
    using Call =
        UnaryCall<coach::v1::SendCueRequest, coach::v1::SendCueResponse>;
    auto call = std::make_shared<Call>();
    call->request.set_session_id(session_id);
    call->request.set_text(StringField(*body, "text"));
    call->reply = Pending(request);
    call->context.AddMetadata("authorization", "Bearer " + who->token);
    call->context.set_deadline(absl::ToChronoTime(deadline));
    coach_stub_->async()->SendCue(
        &call->context, &call->request, &call->response,
        [this, call](grpc::Status status) {
          poster_.Post([call, status] {
            JsonWriter w;
            w.BeginObject();
            w.Member("sequence", call->response.sequence());
            w.EndObject();
            call->reply->Send(status, w.Take());
          });
        });
    return;
  }
  Reply(request, 404, "text/plain", "not found\n");
}

}  // namespace coachd
