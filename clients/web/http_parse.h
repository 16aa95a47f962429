// The gateway's HTTP decisions that need no socket: SSE event ids and
// Last-Event-ID, query parameters, cookies, the bearer token, the JSON body
// of a POST, the same-origin check on every POST, command names. libevent
// parses the request line and the headers; everything the gateway reads out
// of them goes through these functions. Pure; table-tested in
// tests/clients/web_http_parse_test.cc, fuzzed by tests/fuzz/web_http_fuzzer.
//
//   std::optional<coach::v1::ResumePosition> at = ParseEventId("e1:42");
//   std::optional<std::string> sid = CookieValue(header, "coachd_web");
//   absl::Status ok = CheckSameOrigin(origin_headers);
#ifndef CLIENTS_WEB_HTTP_PARSE_H_
#define CLIENTS_WEB_HTTP_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/v1/session.pb.h"
#include "google/protobuf/struct.pb.h"

namespace coachd {

// The SSE id of a sequenced message: "<epoch>:<sequence>".
std::string EventId(absl::string_view epoch, int64_t sequence);

// The position an SSE id names: the epoch is everything before the last ':'
// (non-empty), the sequence a decimal integer >= 0 after it. nullopt for
// anything else (then the browser starts afresh with a snapshot).
std::optional<coach::v1::ResumePosition> ParseEventId(absl::string_view id);

// Where a reconnecting browser resumes: its Last-Event-ID header, or when
// that is empty the "last" query parameter (a page that had to open a new
// EventSource), parsed by ParseEventId. nullopt when neither is given or
// the one given does not parse.
std::optional<coach::v1::ResumePosition> ResumeFrom(
    absl::string_view last_event_id, absl::string_view last_parameter);

// The value of parameter `name` in a URL query ("code=K7&session=s1"),
// decoded: "%XX" (two hex digits) is that byte, '+' a space; a '%' not
// followed by two hex digits stays as it is. The first one of that name
// counts; parts without '=' are skipped. nullopt when it is not there.
std::optional<std::string> QueryValue(absl::string_view query,
                                      absl::string_view name);

// The token of an Authorization header "Bearer <token>"; empty when the
// header has another form or no token.
std::string BearerToken(absl::string_view authorization);

// A POST body: a JSON object. INVALID_ARGUMENT naming "body" for anything
// else (empty, not JSON, not an object).
absl::StatusOr<google::protobuf::Struct> ParseJsonBody(absl::string_view body);

// The string member `name` of a JSON body; empty when it is missing or not
// a string.
std::string StringField(const google::protobuf::Struct& body,
                        absl::string_view name);

// The value of cookie `name` in a Cookie request header
// ("a=1; coachd_web=abc"); nullopt when it is not there.
std::optional<std::string> CookieValue(absl::string_view header,
                                       absl::string_view name);

// A Set-Cookie value for the gateway's session cookie: HttpOnly,
// SameSite=Strict, Path=/, Max-Age `max_age_seconds` (0 deletes it), and
// Secure when `secure`.
std::string SessionCookie(absl::string_view name, absl::string_view value,
                          int64_t max_age_seconds, bool secure);

// What a POST says about where it comes from.
struct RequestOrigin {
  std::string host;            // The Host header ("tablet.lan:8080").
  std::string origin;          // The Origin header, empty when absent.
  std::string sec_fetch_site;  // Sec-Fetch-Site, empty when absent.
};

// OK when the POST comes from a page of this gateway: Sec-Fetch-Site, when
// present, is "same-origin"; Origin, when present, is http(s)://<Host>; and
// at least one of the two is present (every browser that can run the pages
// sends them). PERMISSION_DENIED naming the header otherwise. Together with
// the SameSite=Strict cookie this stops cross-site requests.
absl::Status CheckSameOrigin(const RequestOrigin& request);

// The command a page's button names: "pause", "resume", "next", "previous",
// "repeat", "set_done", "end", "hurts" (REPORT_DISCOMFORT), "skip",
// "mobility". INVALID_ARGUMENT naming the field "command" otherwise.
absl::StatusOr<coach::v1::CommandType> ParseCommand(absl::string_view word);

// The HTTP status a page gets for a call that ended with gRPC `code`:
// 200 OK, 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
// 404 NOT_FOUND, 409 FAILED_PRECONDITION and ALREADY_EXISTS, 429
// RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, 500 others.
int HttpStatusFor(int grpc_code);

// Whether `id` can be a session id or a code in a URL: 1..128 characters
// of [A-Za-z0-9_.-].
bool IsPlainId(absl::string_view id);

}  // namespace coachd

#endif  // CLIENTS_WEB_HTTP_PARSE_H_
