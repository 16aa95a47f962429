// A small line logger: one line per call to stderr, with a UTC time stamp and
// a level. Debian's Abseil (20220623) has no absl/log, hence our own.
//
//   Log(LogLevel::kInfo, absl::StrCat("listening on ", address));
//   LogWithFields(LogLevel::kInfo, "rpc ...", {{"method", "X/Y"},
//                                              LogField::Number("ms", 1.5)});
//
// Two formats (SetLogFormat, --log_format in the daemons):
//   text  "I 2026-01-05T07:00:00.000Z listening on 127.0.0.1:50051"
//   json  {"ts":"2026-01-05T07:00:00.000Z","level":"info","msg":"listening
//         on 127.0.0.1:50051"} and, with LogWithFields, one member per field
// Either way one call is one line: every text goes through SafeText
// (services/common/safe_text.h), so a control byte is escaped and never
// ends the line, and each is cut at kMaxLogMessageBytes; in JSON, quotes,
// backslashes and bytes that are not UTF-8 are escaped too, so every line
// parses as one JSON object.
#ifndef SERVICES_COMMON_LOG_H_
#define SERVICES_COMMON_LOG_H_

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace coachd {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

enum class LogFormat { kText, kJson };

// A named value of a structured line (LogWithFields): a string, or a number
// written as it is in JSON (Number).
struct LogField {
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  // `value` in JSON as a number, with `decimals` digits after the point.
  static LogField Number(absl::string_view key, double value, int decimals = 1);

  absl::string_view key;  // A plain name ([a-z_]); not escaped.
  std::string value;
  bool number = false;
};

// Writes one line to stderr. Thread-safe; lines never interleave.
void Log(LogLevel level, absl::string_view message);

// Writes one line: in text, `message` alone (as Log); in JSON, the object
// of Log with each of `fields` after "msg", in order.
void LogWithFields(LogLevel level, absl::string_view message,
                   std::initializer_list<LogField> fields);

// The line LogWithFields writes at `time_text` (for tests; no newline).
// Pure.
std::string FormatLogLine(LogFormat format, LogLevel level,
                          absl::string_view time_text,
                          absl::string_view message,
                          std::initializer_list<LogField> fields);

// Lines below `level` are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);

// The format of every line from now on. Default: kText.
void SetLogFormat(LogFormat format);

// SetLogFormat by name ("text" or "json"); INVALID_ARGUMENT naming
// --log_format and the names it takes otherwise.
absl::Status SetLogFormatByName(absl::string_view name);

// Convenience wrappers.
inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }

}  // namespace coachd

#endif  // SERVICES_COMMON_LOG_H_
