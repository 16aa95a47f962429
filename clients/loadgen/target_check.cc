#include "clients/loadgen/target_check.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace coachd {

absl::Status CheckLoopbackTarget(absl::string_view target,
                                 absl::string_view flag) {
  const size_t colon = target.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected HOST:PORT, got \"", target, "\""));
  }
  const absl::string_view host = target.substr(0, colon);
  const absl::string_view port = target.substr(colon + 1);
  uint32_t port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": port must be a number in 0..65535, got \"", port, "\""));
  }
  if (host != "127.0.0.1" && host != "localhost" && host != "[::1]") {
    return absl::InvalidArgumentError(absl::StrCat(
        flag,
        ": only loopback is allowed (127.0.0.1, [::1], localhost), got \"",
        host, "\""));
  }
  return absl::OkStatus();
}

absl::Status CheckRunBasics(absl::string_view target, int households,
                            int channels, absl::string_view secret,
                            absl::Duration duration) {
  absl::Status loopback = CheckLoopbackTarget(target);
  if (!loopback.ok()) return loopback;
  if (households < 1) {
    return absl::InvalidArgumentError("--households: must be at least 1");
  }
  if (channels < 1) {
    return absl::InvalidArgumentError("--channels: must be at least 1");
  }
  if (secret.empty()) {
    return absl::InvalidArgumentError("--secret_file: the secret is empty");
  }
  if (duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration: must be positive");
  }
  return absl::OkStatus();
}

}  // namespace coachd
