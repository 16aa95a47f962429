#include "services/common/check.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {

void InvariantFailed(const char* file, int line, const char* condition,
                     absl::string_view message) {
  LogError(absl::StrCat("invariant broken at ", file, ":", line, ": ",
                        condition, ": ", message));
#if !defined(NDEBUG) || defined(COACHD_INVARIANTS_ABORT)
  std::abort();
#endif
}

}  // namespace coachd
