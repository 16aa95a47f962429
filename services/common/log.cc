#include "services/common/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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

// The length of the valid UTF-8 sequence at text[i], or 0 when it is not
// one (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8Length(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char b = byte(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // Bounds of the second byte.
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b == 0xe0) lo = 0xa0;
    if (b == 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b == 0xf0) lo = 0x90;
    if (b == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

// Appends `text` (already through SafeText) as a JSON string: quotes and
// backslashes escaped; a byte that is not UTF-8 as the text "\xNN", as
// SafeText writes control bytes.
void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
      ++i;
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
    } else if (const size_t n = Utf8Length(text, i); n > 0) {
      out->append(text.data() + i, n);
      i += n;
    } else {
      absl::StrAppend(out, absl::StrFormat("\\\\x%02x", c));
      ++i;
    }
  }
  out->push_back('"');
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
