// Whether commands were applied once: what became of the command ids a
// client sent (each id possibly several times across errors) against the
// effects the session's history shows. Pure.
//
//   CommandLedger repeats;            // REPEAT ids of one session
//   repeats.Add(CommandOutcome::kApplied);
//   CommandVerdict v = CheckCommands(repeats, /*observed=*/2, /*hidden=*/0);
//   // v.applied_twice == 1: one id took effect twice
#ifndef CLIENTS_LOADGEN_COMMAND_CHECK_H_
#define CLIENTS_LOADGEN_COMMAND_CHECK_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

namespace coachd {

// What a client knows of one command id after its last try.
enum class CommandOutcome {
  kApplied,  // Answered OK (duplicate or not): applied exactly once.
  kRefused,  // Refused at its first try: never applied.
  kUnknown,  // No answer, or refused after a try that may have applied:
             // applied at most once.
};

// The outcome of a command id whose tries ended with `last`, when an
// earlier try `ambiguous` (failed in a way that may have applied it).
CommandOutcome OutcomeOf(const grpc::Status& last, bool ambiguous);

// Whether a try that failed with `code` may still have been applied (the
// request may have reached the server): UNAVAILABLE, DEADLINE_EXCEEDED,
// CANCELLED, UNKNOWN, INTERNAL. The others are answers of the server.
bool MayHaveApplied(grpc::StatusCode code);

// The outcomes of the ids of one command type sent to one session.
struct CommandLedger {
  int64_t applied = 0;
  int64_t refused = 0;
  int64_t unknown = 0;
  void Add(CommandOutcome outcome);
};

// What the history says of them.
struct CommandVerdict {
  // Effects beyond one per id that may have applied: an id applied twice.
  int64_t applied_twice = 0;
  // Ids answered OK whose effect is not in the history (nor possibly in a
  // position no device saw): an acknowledged command lost.
  int64_t lost = 0;
};

// `observed`: the effects of this command type in the history; `hidden`:
// positions of the history no device saw (they may hold effects).
CommandVerdict CheckCommands(const CommandLedger& sent, int64_t observed,
                             int64_t hidden);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_COMMAND_CHECK_H_
