// loadgen and its baseline only ever talk to this machine: the one check that
// a --target or --listen address is loopback (127.0.0.1, ::1 or localhost).
//
//   absl::Status ok = CheckLoopbackTarget("127.0.0.1:50051");
#ifndef CLIENTS_LOADGEN_TARGET_CHECK_H_
#define CLIENTS_LOADGEN_TARGET_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace coachd {

// OK when `target` is HOST:PORT with HOST one of 127.0.0.1, localhost, ::1
// (as [::1]) and PORT a number in 0..65535. Otherwise INVALID_ARGUMENT naming
// `flag` and why.
absl::Status CheckLoopbackTarget(absl::string_view target,
                                 absl::string_view flag = "--target");

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_TARGET_CHECK_H_
