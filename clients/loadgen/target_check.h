// loadgen and its baseline only ever talk to this machine: the one check that
// a --target or --listen address is loopback (127.0.0.1, ::1 or localhost),
// and the checks of the settings every loadgen mode shares.
//
//   absl::Status ok = CheckLoopbackTarget("127.0.0.1:50051");
#ifndef CLIENTS_LOADGEN_TARGET_CHECK_H_
#define CLIENTS_LOADGEN_TARGET_CHECK_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// OK when `target` is HOST:PORT with HOST one of 127.0.0.1, localhost, ::1
// (as [::1]) and PORT a number in 0..65535. Otherwise INVALID_ARGUMENT naming
// `flag` and why.
absl::Status CheckLoopbackTarget(absl::string_view target,
                                 absl::string_view flag = "--target");

// OK when `target` is loopback, households and channels are at least 1, the
// secret is not empty and the duration is positive; otherwise
// INVALID_ARGUMENT naming the flag (--target, --households, --channels,
// --secret_file, --duration) and why.
absl::Status CheckRunBasics(absl::string_view target, int households,
                            int channels, absl::string_view secret,
                            absl::Duration duration);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_TARGET_CHECK_H_
