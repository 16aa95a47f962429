// The gateway's routes for a browser that pairs as a device of its own
// (RFC 8628's device grant, through coachd's AuthService), the refreshing
// of paired browsers' tokens, and signing out. See gateway.h.
//
// A browser never holds a token or the device code: POST /api/pair/start
// makes the gateway start a pairing and keep its device code under a random
// id in an HttpOnly, SameSite=Strict cookie (kPairCookie); the page shows
// the user code and POSTs /api/pair/poll at the interval; on approval the
// gateway keeps the credentials (WebSessions::AddPaired) and sets the
// session cookie. A timer refreshes every paired browser's access token
// before it expires, so its streams (which coachd ends at the token's
// expiry) come back at once and resume from Last-Event-ID.
#include <event2/event.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/web/gateway.h"
#include "clients/web/http_parse.h"
#include "clients/web/http_reply.h"
#include "clients/web/json_writer.h"
#include "services/common/log.h"

namespace coachd {
namespace {

// Pairings waiting at once, at most (RESOURCE_EXHAUSTED beyond).
constexpr size_t kMaxPairings = 1000;

// The cookie that clears `name`.
std::string ClearedCookie(const char* name, bool secure) {
  return SessionCookie(name, "", 0, secure);
}

}  // namespace

void Gateway::HandlePairStart(evhttp_request* request) {
  if (absl::Status same =
          CheckSameOrigin({Header(request, "Host"), Header(request, "Origin"),
                           Header(request, "Sec-Fetch-Site")});
      !same.ok()) {
    return ReplyError(request, same);
  }
  const absl::Time now = absl::Now();
  absl::erase_if(pairings_,
                 [now](const auto& kv) { return kv.second.expires <= now; });
  if (pairings_.size() >= kMaxPairings) {
    return ReplyError(request, absl::ResourceExhaustedError(
                                   "pairings: too many waiting; try later"));
  }
  using Call = UnaryCall<coach::v1::StartPairingRequest,
                         coach::v1::StartPairingResponse>;
  auto call = std::make_shared<Call>();
  call->request.set_suggested_name("browser");
  call->reply = Pending(request);
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.call_deadline));
  auth_stub_->async()->StartPairing(
      &call->context, &call->request, &call->response,
      [this, call](grpc::Status status) {
        poster_.Post([this, call, status] {
          const coach::v1::StartPairingResponse& r = call->response;
          if (status.ok()) {
            const std::string id = RandomHex(16);
            pairings_[id] = {
                r.device_code(),
                absl::Now() + absl::Seconds(r.expires_in_seconds())};
            call->reply->AddHeader(
                "Set-Cookie",
                SessionCookie(kPairCookie, id, r.expires_in_seconds(),
                              options_.secure_cookies));
          }
          JsonWriter w;
          w.BeginObject();
          w.Member("userCode", r.user_code());
          w.Key("expiresInSeconds");
          w.Int(r.expires_in_seconds());
          w.Key("intervalSeconds");
          w.Int(r.interval_seconds());
          w.EndObject();
          call->reply->Send(status, w.Take());
        });
      });
}

void Gateway::HandlePairPoll(evhttp_request* request) {
  if (absl::Status same =
          CheckSameOrigin({Header(request, "Host"), Header(request, "Origin"),
                           Header(request, "Sec-Fetch-Site")});
      !same.ok()) {
    return ReplyError(request, same);
  }
  std::optional<std::string> id =
      CookieValue(Header(request, "Cookie"), kPairCookie);
  auto pending = id.has_value() ? pairings_.find(*id) : pairings_.end();
  if (pending == pairings_.end() || pending->second.expires <= absl::Now()) {
    return ReplyError(request,
                      absl::NotFoundError("cookie: no pairing is waiting in "
                                          "this browser; start again"));
  }
  using Call =
      UnaryCall<coach::v1::PollPairingRequest, coach::v1::PollPairingResponse>;
  auto call = std::make_shared<Call>();
  call->request.set_device_code(pending->second.device_code);
  call->reply = Pending(request);
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.call_deadline));
  auth_stub_->async()->PollPairing(
      &call->context, &call->request, &call->response,
      [this, call, pid = *id](grpc::Status status) {
        poster_.Post([this, call, status, pid] {
          using State = coach::v1::PollPairingResponse;
          const coach::v1::PollPairingResponse& r = call->response;
          std::string state = "pending";
          std::string location;
          if (status.ok() && r.state() == State::APPROVED) {
            pairings_.erase(pid);
            const coach::v1::Credentials& c = r.credentials();
            absl::StatusOr<std::string> sid = sessions_->AddPaired(
                c.access_token(), c.refresh_token(), c.device_id());
            if (!sid.ok()) {
              call->reply->Send(
                  grpc::Status(grpc::StatusCode::INTERNAL,
                               std::string(sid.status().message())),
                  "");
              return;
            }
            std::optional<WebIdentity> who = sessions_->Find(*sid);
            state = "approved";
            location =
                who.has_value() && who->role == "coach" ? "coach" : "display";
            call->reply->AddHeader("Set-Cookie",
                                   SessionCookie(kCookie, *sid, kCookieMaxAge,
                                                 options_.secure_cookies));
            call->reply->AddHeader(
                "Set-Cookie",
                ClearedCookie(kPairCookie, options_.secure_cookies));
            LogInfo(absl::StrCat("web_gateway: a browser paired as device ",
                                 c.device_id()));
          } else if (status.ok() && (r.state() == State::DENIED ||
                                     r.state() == State::EXPIRED)) {
            pairings_.erase(pid);
            state = r.state() == State::DENIED ? "denied" : "expired";
            call->reply->AddHeader(
                "Set-Cookie",
                ClearedCookie(kPairCookie, options_.secure_cookies));
          }
          JsonWriter w;
          w.BeginObject();
          w.Member("state", state);
          if (!location.empty()) w.Member("location", location);
          w.Key("intervalSeconds");
          w.Int(r.interval_seconds());
          w.EndObject();
          call->reply->Send(status, w.Take());
        });
      });
}

void Gateway::HandleLogout(evhttp_request* request) {
  if (absl::Status same =
          CheckSameOrigin({Header(request, "Host"), Header(request, "Origin"),
                           Header(request, "Sec-Fetch-Site")});
      !same.ok()) {
    return ReplyError(request, same);
  }
  std::optional<std::string> sid =
      CookieValue(Header(request, "Cookie"), kCookie);
  std::optional<WebIdentity> who;
  if (sid.has_value()) who = sessions_->Find(*sid);
  if (sid.has_value()) {
    absl::Status dropped = sessions_->Drop(*sid);
    if (!dropped.ok()) return ReplyError(request, dropped);
  }
  evhttp_add_header(evhttp_request_get_output_headers(request), "Set-Cookie",
                    ClearedCookie(kCookie, options_.secure_cookies).c_str());
  if (!who.has_value() || who->device_id.empty()) {
    // Not signed in, or linked (its token belongs to the person's app).
    return Reply(request, 200, "application/json", "{\"revoked\":false}");
  }
  // A paired browser revokes itself: its token and refresh token die.
  using Call = UnaryCall<coach::v1::RevokeDeviceRequest,
                         coach::v1::RevokeDeviceResponse>;
  auto call = std::make_shared<Call>();
  call->request.set_device_id(who->device_id);
  call->reply = Pending(request);
  call->context.AddMetadata("authorization", "Bearer " + who->token);
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.call_deadline));
  auth_stub_->async()->RevokeDevice(
      &call->context, &call->request, &call->response,
      [this, call](grpc::Status status) {
        poster_.Post([call, status] {
          call->reply->Send(status, "{\"revoked\":true}");
        });
      });
}

void Gateway::StartRefreshing() {
  refresh_timer_ =
      event_new(base_, -1, EV_PERSIST, &Gateway::OnRefreshTimer, this);
  const timeval every = absl::ToTimeval(options_.refresh_every);
  event_add(refresh_timer_, &every);
  RefreshDue();  // Tokens that expired while the gateway was down.
}

void Gateway::OnRefreshTimer(evutil_socket_t, short, void* self) {
  static_cast<Gateway*>(self)->RefreshDue();
}

void Gateway::RefreshDue() {
  for (DueRefresh& due : sessions_->DueForRefresh(options_.refresh_before)) {
    // One refresh per session at a time: a refresh token works once.
    if (!refreshing_.insert(due.sid).second) continue;
    struct Refresh {
      grpc::ClientContext context;
      coach::v1::RefreshTokenRequest request;
      coach::v1::Credentials response;
    };
    auto call = std::make_shared<Refresh>();
    call->request.set_refresh_token(due.refresh_token);
    call->context.set_deadline(
        absl::ToChronoTime(absl::Now() + options_.call_deadline));
    auth_stub_->async()->RefreshToken(
        &call->context, &call->request, &call->response,
        [this, call, sid = due.sid](grpc::Status status) {
          poster_.Post([this, call, status, sid] {
            refreshing_.erase(sid);
            if (status.ok()) {
              absl::Status updated =
                  sessions_->UpdateTokens(sid, call->response.access_token(),
                                          call->response.refresh_token());
              if (!updated.ok() && !absl::IsNotFound(updated)) {
                LogWarning(
                    absl::StrCat("web_gateway: refreshed token not "
                                 "kept: ",
                                 updated.message()));
              }
            } else if (status.error_code() ==
                       grpc::StatusCode::UNAUTHENTICATED) {
              // Revoked (or replayed): this browser must pair again.
              sessions_->Drop(sid).IgnoreError();
              LogInfo(
                  absl::StrCat("web_gateway: a paired browser was "
                               "revoked: ",
                               status.error_message()));
            }
            // Other failures (coachd down): the next tick tries again.
          });
        });
  }
}

}  // namespace coachd
