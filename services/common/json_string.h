// The one JSON string escaper: the JSON log lines (log.h), the web
// gateway's messages to pages (clients/web/json_writer.h) and loadgen's
// report lines all write strings through it.
//
//   std::string line = "{\"msg\":";
//   AppendJsonString(&line, "a \"quoted\"\nline");  // "a \"quoted\"\nline"
//   JsonString("caf\xC3\xA9")                         // "\"café\""
#ifndef SERVICES_COMMON_JSON_STRING_H_
#define SERVICES_COMMON_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace coachd {

// Appends `text` to `*out` as a JSON string literal, quotes included, that
// is valid JSON and one line whatever the bytes: `"` and `\` are escaped,
// newline, carriage return and tab as \n, \r, \t, every other byte below
// 0x20 and 0x7f as \u00XX, U+2028 and U+2029 (line ends to some JavaScript
// parsers) as \u2028 and \u2029. Valid UTF-8 is kept as it is; a byte that
// is not part of valid UTF-8 becomes the text "\xNN" (a backslash, x and
// two hex digits), so the result is always valid UTF-8. Pure.
void AppendJsonString(std::string* out, absl::string_view text);

// The literal AppendJsonString appends, on its own.
std::string JsonString(absl::string_view text);

}  // namespace coachd

#endif  // SERVICES_COMMON_JSON_STRING_H_
