// coachctl's pairing commands, run by a signed-in person (their own token):
//   coachctl pair approve CODE --name="kitchen speaker" --kind=speaker
//   coachctl pair deny CODE
//   coachctl devices
//   coachctl devices revoke DEVICE_ID
#ifndef CLIENTS_COACHCTL_PAIR_COMMANDS_H_
#define CLIENTS_COACHCTL_PAIR_COMMANDS_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "coach/v1/auth.grpc.pb.h"

namespace coachd {

// Whether `command` is one of the commands above.
bool IsPairCommand(const std::string& command);

// Runs the command in `args` ("pair", "approve", CODE, ...) over `stub`
// with `context` (which carries the token). Returns the exit code: 0 done,
// 1 refused by coachd (status printed), 2 bad arguments.
int RunPairCommand(const std::vector<std::string>& args,
                   coach::v1::AuthService::Stub* stub,
                   grpc::ClientContext* context);

}  // namespace coachd

#endif  // CLIENTS_COACHCTL_PAIR_COMMANDS_H_
