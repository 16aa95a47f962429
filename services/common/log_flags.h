// The daemons' logging flag (coachd, web_gateway, homeassistant):
//   --log_format=text|json   one line per event either way (log.h)
// Call ApplyLogFlags right after parsing the command line:
//
//   absl::ParseCommandLine(argc, argv);
//   if (absl::Status s = ApplyLogFlags(); !s.ok()) { ...exit 2... }
#ifndef SERVICES_COMMON_LOG_FLAGS_H_
#define SERVICES_COMMON_LOG_FLAGS_H_

#include "absl/status/status.h"

namespace coachd {

// Sets the log format from --log_format. INVALID_ARGUMENT naming the flag
// for a value other than text or json.
absl::Status ApplyLogFlags();

}  // namespace coachd

#endif  // SERVICES_COMMON_LOG_FLAGS_H_
