// Internal invariants, asserted: COACHD_DCHECK(condition, message) states
// what must hold whatever the input, so that a broken invariant fails
// loudly instead of being clamped or logged and carried on. Bad input is
// never a broken invariant: it gets a status (INVALID_ARGUMENT...).
//
//   COACHD_DCHECK(index < timeline.size(), "step index past the timeline");
#ifndef SERVICES_COMMON_CHECK_H_
#define SERVICES_COMMON_CHECK_H_

#include "absl/strings/string_view.h"

namespace coachd {

// Reports a broken invariant: logs an error naming the place, the condition
// and `message`, then aborts. Only a build with NDEBUG and without the test
// suite (a Release build for production or benchmarks) logs the error and
// lets the caller go on, as it has to; every build with tests (the test
// command's, the demo's) aborts, so no test passes over a broken invariant.
void InvariantFailed(const char* file, int line, const char* condition,
                     absl::string_view message);

}  // namespace coachd

// Checks `condition`; see InvariantFailed. Evaluates it once.
#define COACHD_DCHECK(condition, message)                                 \
  do {                                                                    \
    if (!(condition)) {                                                   \
      ::coachd::InvariantFailed(__FILE__, __LINE__, #condition, message); \
    }                                                                     \
  } while (false)

#endif  // SERVICES_COMMON_CHECK_H_
