// A small line logger: one line per call to stderr, with a UTC time stamp and
// a level. Debian's Abseil (20220623) has no absl/log, hence our own.
//
//   Log(LogLevel::kInfo, absl::StrCat("listening on ", address));
#ifndef SERVICES_COMMON_LOG_H_
#define SERVICES_COMMON_LOG_H_

#include "absl/strings/string_view.h"

namespace coachd {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Writes one line to stderr. Thread-safe; lines never interleave. The message
// goes through SafeText (services/common/safe_text.h): control bytes are
// escaped (one call is always one line) and it is cut at
// kMaxLogMessageBytes.
void Log(LogLevel level, absl::string_view message);

// Lines below `level` are dropped. Default: kInfo.
void SetMinLogLevel(LogLevel level);

// Convenience wrappers.
inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }

}  // namespace coachd

#endif  // SERVICES_COMMON_LOG_H_
