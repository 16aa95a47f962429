#include "services/common/flags_help.h"

#include <string>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

namespace coachd {

bool IsCoachdFlagFile(absl::string_view file) {
  // Paths may be absolute or relative (ccache's base_dir rewrites them).
  return !absl::StrContains(file, "absl/") &&
         (absl::StrContains(file, "services/") ||
          absl::StrContains(file, "clients/"));
}

namespace {

// "clients/common/client_flags.cc" however the compiler was given the path.
std::string SourcePath(absl::string_view file) {
  size_t from = absl::string_view::npos;
  for (absl::string_view top : {"services/", "clients/"}) {
    const size_t at = file.rfind(top);
    if (at != absl::string_view::npos &&
        (from == absl::string_view::npos || at > from)) {
      from = at;
    }
  }
  return std::string(from == absl::string_view::npos ? file
                                                     : file.substr(from));
}

}  // namespace

void InitFlagsHelp(absl::string_view usage) {
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = &IsCoachdFlagFile;
  config.contains_help_flags = &IsCoachdFlagFile;
  config.contains_helppackage_flags = &IsCoachdFlagFile;
  config.normalize_filename = &SourcePath;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);
}

}  // namespace coachd
