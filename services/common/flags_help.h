// --help for coachd's programs. Abseil's --help lists only flags defined in
// a file named after the program (coachd's flags live in main.cc, the
// clients' shared --target, --token... in clients/common/), so by default
// it printed "No flags matched." or hid the shared flags. Call
// InitFlagsHelp before absl::ParseCommandLine:
//
//   coachd::InitFlagsHelp("coachctl COMMAND [ARGS] [--flags]\n...");
//   absl::ParseCommandLine(argc, argv);
#ifndef SERVICES_COMMON_FLAGS_HELP_H_
#define SERVICES_COMMON_FLAGS_HELP_H_

#include "absl/strings/string_view.h"

namespace coachd {

// Sets the program's usage message to `usage` and makes --help, --helpshort
// and --helppackage list every flag defined in coachd's own sources
// (services/ and clients/), not Abseil's. Call once, from main, before
// parsing flags.
void InitFlagsHelp(absl::string_view usage);

// Whether a flag defined in `file` (its __FILE__) is one of coachd's own.
// Pure; exposed for tests.
bool IsCoachdFlagFile(absl::string_view file);

}  // namespace coachd

#endif  // SERVICES_COMMON_FLAGS_HELP_H_
