#include "clients/loadgen/command_check.h"

#include <algorithm>

namespace coachd {

bool MayHaveApplied(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

CommandOutcome OutcomeOf(const grpc::Status& last, bool ambiguous) {
  if (last.ok()) return CommandOutcome::kApplied;
  if (ambiguous || MayHaveApplied(last.error_code())) {
    return CommandOutcome::kUnknown;
  }
  return CommandOutcome::kRefused;
}

void CommandLedger::Add(CommandOutcome outcome) {
  switch (outcome) {
    case CommandOutcome::kApplied:
      ++applied;
      break;
    case CommandOutcome::kRefused:
      ++refused;
      break;
    case CommandOutcome::kUnknown:
      ++unknown;
      break;
  }
}

CommandVerdict CheckCommands(const CommandLedger& sent, int64_t observed,
                             int64_t hidden) {
  CommandVerdict v;
  v.applied_twice =
      std::max<int64_t>(0, observed - sent.applied - sent.unknown);
  v.lost = std::max<int64_t>(0, sent.applied - observed - hidden);
  return v;
}

}  // namespace coachd
