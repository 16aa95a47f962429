// What the person said, as a session command: "pause", "next", "done",
// "stop, it hurts"... Pure; shared by the speaker agent and its tests.
#ifndef CLIENTS_VOICE_UTTERANCE_H_
#define CLIENTS_VOICE_UTTERANCE_H_

#include "absl/strings/string_view.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// The command an utterance asks for, or COMMAND_TYPE_UNSPECIFIED when it
// asks for none. Case and punctuation are ignored; words about pain win
// over everything else ("stop it hurts" is discomfort, not pause).
coach::v1::CommandType ParseUtterance(absl::string_view utterance);

}  // namespace coachd

#endif  // CLIENTS_VOICE_UTTERANCE_H_
