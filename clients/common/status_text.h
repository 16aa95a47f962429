// How every coachd client reports a failed call to the person at the
// terminal: the server's message and the gRPC code's name, never its number.
//
//   std::cerr << "coachctl: pause: " << StatusText(status) << "\n";
//   // coachctl: pause: pause: not allowed while the session is paused;
//   //   say resume to continue (FAILED_PRECONDITION)
#ifndef CLIENTS_COMMON_STATUS_TEXT_H_
#define CLIENTS_COMMON_STATUS_TEXT_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace coachd {

// "<message> (<CODE_NAME>)", e.g. "no such session (NOT_FOUND)"; the code's
// name alone when there is no message. Pure.
std::string StatusText(const grpc::Status& status);
std::string StatusText(const absl::Status& status);

}  // namespace coachd

#endif  // CLIENTS_COMMON_STATUS_TEXT_H_
