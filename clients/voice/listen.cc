#include "clients/voice/listen.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/common/status_text.h"

namespace coachd {

std::string CommandWords(coach::v1::CommandType command) {
  absl::string_view name = coach::v1::CommandType_Name(command);
  absl::ConsumePrefix(&name, "COMMAND_TYPE_");
  std::string words = absl::AsciiStrToLower(name);
  std::replace(words.begin(), words.end(), '_', ' ');
  return words;
}

absl::StatusOr<std::unique_ptr<SpokenCommands>> SpokenCommands::Start(
    const std::string& spec, bool real_time,
    std::shared_ptr<CommandSender> sender, std::string prefix,
    const SpeakingTimes* speaking) {
  absl::StatusOr<std::unique_ptr<AudioSource>> source = AudioSource::Open(spec);
  if (!source.ok()) return source.status();
  absl::StatusOr<std::unique_ptr<PhraseSpotter>> spotter =
      PhraseSpotter::Create(SpotterOptions());
  if (!spotter.ok()) return spotter.status();
  static RealClock* const clock = new RealClock();
  ListenerOptions options;
  options.real_time = real_time;
  auto listener = std::make_shared<Listener>(
      *std::move(source), *std::move(spotter), speaking, clock, options,
      [sender, prefix](const Heard& heard) {
        const grpc::Status s = sender->Send(heard.command, heard.phrase);
        std::printf("%s(heard \"%s\" at %.2f s: %s -> %s)\n", prefix.c_str(),
                    heard.phrase.c_str(),
                    static_cast<double>(heard.sample) / kSpotterSampleRate,
                    CommandWords(heard.command).c_str(),
                    s.ok() ? "sent" : ("refused: " + StatusText(s)).c_str());
        std::fflush(stdout);
      });
  // Detached: a microphone or a pipe may block a read indefinitely, and the
  // process must still be able to exit.
  std::thread([listener, prefix] {
    listener->Run();
    std::printf("%s(end of audio)\n", prefix.c_str());
    std::fflush(stdout);
  }).detach();
  return std::unique_ptr<SpokenCommands>(new SpokenCommands(listener));
}

SpokenCommands::~SpokenCommands() { listener_->Stop(); }

void SpokenCommands::ExpectAnswer() { listener_->ExpectAnswer(); }

}  // namespace coachd
