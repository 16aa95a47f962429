// The web gateway's own reading of a request (libevent parses the request
// line and splits the headers; clients/web/http_parse.h reads every value
// the gateway takes from them): the input's first seven lines are
// Last-Event-ID, the URL query, Cookie, Host, Origin, Sec-Fetch-Site and
// Authorization; the rest is the POST body. Each goes through what the
// gateway does with it (gateway.cc: ResumeOf, QueryParam, HandleEvents,
// HandlePost, HandleMakeLink).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "clients/web/http_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coachd;  // NOLINT: the fuzzer's entry point only.
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> fields =
      absl::StrSplit(input, absl::MaxSplits('\n', 7));
  fields.resize(8);
  const absl::string_view last_event_id = fields[0], query = fields[1],
                          cookie = fields[2], host = fields[3],
                          origin = fields[4], fetch_site = fields[5],
                          authorization = fields[6], body = fields[7];

  for (const char* name : {"last", "session", "code"}) {
    std::optional<std::string> value = QueryValue(query, name);
    if (value.has_value()) IsPlainId(*value);
  }
  ResumeFrom(last_event_id, QueryValue(query, "last").value_or(""));
  std::optional<std::string> sid = CookieValue(cookie, "coachd_web");
  if (sid.has_value()) IsPlainId(*sid);
  CheckSameOrigin(
      {std::string(host), std::string(origin), std::string(fetch_site)})
      .IgnoreError();
  BearerToken(authorization);
  absl::StatusOr<google::protobuf::Struct> parsed = ParseJsonBody(body);
  if (parsed.ok()) {
    ParseCommand(StringField(*parsed, "command")).IgnoreError();
    IsPlainId(StringField(*parsed, "session"));
    StringField(*parsed, "action");
    StringField(*parsed, "note");
  }
  return 0;
}
