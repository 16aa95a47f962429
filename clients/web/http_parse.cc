#include "clients/web/http_parse.h"

#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace coachd {

std::string EventId(absl::string_view epoch, int64_t sequence) {
  return absl::StrCat(epoch, ":", sequence);
}

std::optional<coach::v1::ResumePosition> ParseEventId(absl::string_view id) {
  id = absl::StripAsciiWhitespace(id);
  const size_t colon = id.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return std::nullopt;
  const absl::string_view digits = id.substr(colon + 1);
  if (digits.empty() || !absl::c_all_of(digits, absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t sequence = 0;
  if (!absl::SimpleAtoi(digits, &sequence) || sequence < 0) {
    return std::nullopt;
  }
  coach::v1::ResumePosition position;
  position.set_epoch(std::string(id.substr(0, colon)));
  position.set_last_sequence(sequence);
  return position;
}

std::optional<coach::v1::ResumePosition> ResumeFrom(
    absl::string_view last_event_id, absl::string_view last_parameter) {
  const absl::string_view id =
      last_event_id.empty() ? last_parameter : last_event_id;
  if (id.empty()) return std::nullopt;
  return ParseEventId(id);
}

namespace {

// The value of one hex digit; -1 for any other byte.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%XX" and '+' decoded, as QueryValue says.
std::string QueryDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 +
                                      HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> QueryValue(absl::string_view query,
                                      absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(query, '&')) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    if (QueryDecode(part.substr(0, eq)) != name) continue;
    return QueryDecode(part.substr(eq + 1));
  }
  return std::nullopt;
}

std::string BearerToken(absl::string_view authorization) {
  if (!absl::ConsumePrefix(&authorization, "Bearer ")) return "";
  return std::string(authorization);
}

absl::StatusOr<google::protobuf::Struct> ParseJsonBody(absl::string_view body) {
  google::protobuf::Struct parsed;
  if (body.empty() ||
      !google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(body.data(), body.size()), &parsed)
           .ok()) {
    return absl::InvalidArgumentError("body: want a JSON object");
  }
  return parsed;
}

std::string StringField(const google::protobuf::Struct& body,
                        absl::string_view name) {
  auto it = body.fields().find(std::string(name));
  if (it == body.fields().end() || !it->second.has_string_value()) return "";
  return it->second.string_value();
}

std::optional<std::string> CookieValue(absl::string_view header,
                                       absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) continue;
    if (absl::StripAsciiWhitespace(part.substr(0, eq)) != name) continue;
    absl::string_view value = absl::StripAsciiWhitespace(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

std::string SessionCookie(absl::string_view name, absl::string_view value,
                          int64_t max_age_seconds, bool secure) {
  return absl::StrCat(name, "=", value, "; Path=/; Max-Age=", max_age_seconds,
                      "; HttpOnly; SameSite=Strict", secure ? "; Secure" : "");
}

absl::Status CheckSameOrigin(const RequestOrigin& r) {
  if (r.origin.empty() && r.sec_fetch_site.empty()) {
    return absl::PermissionDeniedError(
        "Origin: a POST must say where it comes from (Origin or "
        "Sec-Fetch-Site)");
  }
  if (!r.sec_fetch_site.empty() &&
      !absl::EqualsIgnoreCase(r.sec_fetch_site, "same-origin")) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Sec-Fetch-Site: \"", r.sec_fetch_site, "\" is not same-origin"));
  }
  if (!r.origin.empty()) {
    absl::string_view rest = r.origin;
    if (!absl::ConsumePrefix(&rest, "http://") &&
        !absl::ConsumePrefix(&rest, "https://")) {
      return absl::PermissionDeniedError(
          absl::StrCat("Origin: \"", r.origin, "\" is not an http(s) origin"));
    }
    if (r.host.empty() || !absl::EqualsIgnoreCase(rest, r.host)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "Origin: \"", r.origin, "\" is not this site (", r.host, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<coach::v1::CommandType> ParseCommand(absl::string_view word) {
  static constexpr std::pair<const char*, coach::v1::CommandType> kCommands[] =
      {
          {"pause", coach::v1::COMMAND_TYPE_PAUSE},
          {"resume", coach::v1::COMMAND_TYPE_RESUME},
          {"next", coach::v1::COMMAND_TYPE_NEXT},
          {"previous", coach::v1::COMMAND_TYPE_PREVIOUS},
          {"repeat", coach::v1::COMMAND_TYPE_REPEAT},
          {"set_done", coach::v1::COMMAND_TYPE_SET_DONE},
          {"end", coach::v1::COMMAND_TYPE_END},
          {"hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
          {"skip", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
          {"mobility", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
      };
  for (const auto& [name, type] : kCommands) {
    if (word == name) return type;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("command: \"", word,
                   "\" is not one of pause, resume, next, previous, repeat, "
                   "set_done, end, hurts, skip, mobility"));
}

int HttpStatusFor(int grpc_code) {
  switch (grpc_code) {
    case 0:
      return 200;
    case 3:  // INVALID_ARGUMENT
      return 400;
    case 16:  // UNAUTHENTICATED
      return 401;
    case 7:  // PERMISSION_DENIED
      return 403;
    case 5:  // NOT_FOUND
      return 404;
    case 9:  // FAILED_PRECONDITION
    case 6:  // ALREADY_EXISTS
      return 409;
    case 8:  // RESOURCE_EXHAUSTED
      return 429;
    case 14:  // UNAVAILABLE
      return 503;
    case 4:  // DEADLINE_EXCEEDED
      return 504;
    default:
      return 500;
  }
}

bool IsPlainId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return absl::c_all_of(id, [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace coachd
