// `voice --listen`: wires the listener to the session. Spoken commands are
// heard on a thread of their own and sent through the same CommandSender
// as typed ones; each is printed as it is sent:
//
//   [speaker] (heard "that hurts" at 12.40 s: report discomfort -> sent)
//   [speaker] (heard "next" at 3.10 s: next -> refused: <coachd's message>
//   (FAILED_PRECONDITION))
//
// (the time is the position in the audio where the utterance was over).
//
//   auto spoken = SpokenCommands::Start("mic", false, sender, "[speaker] ",
//                                       &speaking_times);
#ifndef CLIENTS_VOICE_LISTEN_H_
#define CLIENTS_VOICE_LISTEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "clients/voice/command_sender.h"
#include "clients/voice/listener.h"
#include "services/common/clock.h"

namespace coachd {

// The command in words for people: "report discomfort" for
// COMMAND_TYPE_REPORT_DISCOMFORT. Pure.
std::string CommandWords(coach::v1::CommandType command);

class SpokenCommands {
 public:
  // Opens `spec` (AudioSource::Open), loads the spotter and starts
  // listening. `speaking` (may be null) must outlive the process: the
  // listening thread may outlive this object while it waits for audio.
  // AudioSource's and PhraseSpotter::Create's errors.
  static absl::StatusOr<std::unique_ptr<SpokenCommands>> Start(
      const std::string& spec, bool real_time,
      std::shared_ptr<CommandSender> sender, std::string prefix,
      const SpeakingTimes* speaking);
  // Stops listening after the chunk being read.
  ~SpokenCommands();

  // The speaker asked a question: hear the answer (Listener::ExpectAnswer).
  void ExpectAnswer();

 private:
  explicit SpokenCommands(std::shared_ptr<Listener> listener)
      : listener_(std::move(listener)) {}
  std::shared_ptr<Listener> listener_;  // Shared with its thread.
};

}  // namespace coachd

#endif  // CLIENTS_VOICE_LISTEN_H_
