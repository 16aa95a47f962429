#include "services/common/log_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "services/common/log.h"

ABSL_FLAG(std::string, log_format, "text",
          "Log lines as text (\"I 2026-01-05T07:00:00.000Z message\") or as "
          "json (one object per line: ts, level, msg, and for each RPC "
          "event, method, caller, code, ms, error).");

namespace coachd {

absl::Status ApplyLogFlags() {
  return SetLogFormatByName(absl::GetFlag(FLAGS_log_format));
}

}  // namespace coachd
