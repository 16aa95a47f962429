#include "clients/common/reconnect.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "clients/common/client_auth.h"

namespace coachd {

absl::Status Reconnect::AfterStreamEnded(const grpc::Status& status) {
  if (!RetryableStatus(status.error_code())) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  if (++failures_ > options_.max_retries) {
    return absl::UnavailableError("gave up reconnecting: " +
                                  status.error_message());
  }
  ++reconnects_;
  if (options_.reopens != nullptr) options_.reopens->Increment();
  absl::SleepFor(backoff_);  // Client side: waiting to reconnect.
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  return absl::OkStatus();
}

}  // namespace coachd
