// Where a client's long-lived stream gets its token. A stream asks for the
// current token before each (re)open, and asks for a refreshed one when the
// server ended it with UNAUTHENTICATED (the token expired or was revoked);
// if that succeeds it reopens at once and resumes where it was.
//
//   TokenProvider tokens = FixedToken(token);            // coachctl, tests
//   TokenProvider tokens = credentials->Provider();      // paired devices
//   absl::StatusOr<std::string> t = tokens(/*refresh=*/false);
#ifndef CLIENTS_COMMON_TOKEN_PROVIDER_H_
#define CLIENTS_COMMON_TOKEN_PROVIDER_H_

#include <grpcpp/support/status.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace coachd {

// `provider(false)`: the token to send now. `provider(true)`: the server
// refused the last one; a new one, or an error (then the stream ends with
// it). Called from the stream's thread; must be thread-safe when shared.
using TokenProvider = std::function<absl::StatusOr<std::string>(bool refresh)>;

// Always `token`; a refresh fails with UNAUTHENTICATED (it cannot renew).
inline TokenProvider FixedToken(std::string token) {
  return [token =
              std::move(token)](bool refresh) -> absl::StatusOr<std::string> {
    if (refresh) {
      return absl::UnauthenticatedError(
          "the token was refused and cannot be refreshed (pair the device)");
    }
    return token;
  };
}

// Whether a stream that ended with `status` after being open `lived`
// should reopen with a refreshed token: when it ended UNAUTHENTICATED,
// unless its token was itself just refreshed and refused at once (nothing
// received, within a few seconds): refreshing again would loop.
inline bool NeedsRefresh(const grpc::Status& status, bool used_refreshed,
                         bool received, absl::Duration lived) {
  return status.error_code() == grpc::StatusCode::UNAUTHENTICATED &&
         (!used_refreshed || received || lived > absl::Seconds(5));
}

}  // namespace coachd

#endif  // CLIENTS_COMMON_TOKEN_PROVIDER_H_
