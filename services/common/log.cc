#include "services/common/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/json_string.h"
#include "services/common/safe_text.h"

namespace coachd {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> format{static_cast<int>(LogFormat::kText)};

const char* LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarning:
      return "W";
    case LogLevel::kError:
      return "E";
  }
  return "?";
}

const char* LevelWord(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace

LogField LogField::Number(absl::string_view key, double value, int decimals) {
  LogField field(key, absl::StrFormat("%.*f", decimals, value));
  field.number = true;
  return field;
}

std::string FormatLogLine(LogFormat as, LogLevel level,
                          absl::string_view time_text,
                          absl::string_view message,
                          std::initializer_list<LogField> fields) {
  if (as == LogFormat::kText) {
    return absl::StrCat(LevelLetter(level), " ", time_text, " ",
                        SafeText(message, kMaxLogMessageBytes));
  }
  std::string line = "{\"ts\":";
  AppendJsonString(&line, time_text);
  absl::StrAppend(&line, ",\"level\":\"", LevelWord(level), "\",\"msg\":");
  AppendJsonString(&line, SafeText(message, kMaxLogMessageBytes));
  for (const LogField& field : fields) {
    absl::StrAppend(&line, ",\"", field.key, "\":");
    if (field.number) {
      line += field.value;
    } else {
      AppendJsonString(&line, SafeText(field.value, kMaxLogMessageBytes));
    }
  }
  line.push_back('}');
  return line;
}

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

void SetLogFormat(LogFormat f) { format = static_cast<int>(f); }

absl::Status SetLogFormatByName(absl::string_view name) {
  if (name == "text") {
    SetLogFormat(LogFormat::kText);
  } else if (name == "json") {
    SetLogFormat(LogFormat::kJson);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log_format: want text or json, got \"", SafeText(name, 64), "\""));
  }
  return absl::OkStatus();
}

void LogWithFields(LogLevel level, absl::string_view message,
                   std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < min_level.load()) return;
  std::string line =
      FormatLogLine(static_cast<LogFormat>(format.load()), level,
                    absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                     absl::UTCTimeZone()),
                    message, fields);
  line.push_back('\n');
  // One fwrite of the whole line: stdio locks the stream per call.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Log(LogLevel level, absl::string_view message) {
  LogWithFields(level, message, {});
}

}  // namespace coachd
