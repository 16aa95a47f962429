// The spoken commands the speaker listens for: each command's phrasings,
// the answers heard in the short window after the speaker asks a question,
// and the grammars made of them. Pure data and pure mappings; shared by the
// listener, its tests and its benchmark.
//
//   for (const CommandPhrase& p : CommandPhrases()) { ... p.text ... }
//   PhraseCommand("that hurts") == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT
#ifndef CLIENTS_VOICE_COMMAND_PHRASES_H_
#define CLIENTS_VOICE_COMMAND_PHRASES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// One phrasing of a command.
struct CommandPhrase {
  const char* text;                // Lower case, words of the dictionary.
  coach::v1::CommandType command;  // What saying it asks for.
  // The least confidence (Spotted::confidence: how much better the phrase
  // fits the utterance than free phones do, per 10 ms frame; 0 is as well
  // as the phones, lower is worse) at which it is taken. Tuned per phrase
  // with voice_listen_benchmark; pain phrases take any.
  double min_confidence = kAnyConfidence;
  static constexpr double kAnyConfidence = -1e9;
};

// Every phrasing heard while a session runs: several per command, and
// "that hurts", "it hurts" and "stop" to stop at once.
const std::vector<CommandPhrase>& CommandPhrases();

// The phrasings heard in the window after a question ("skip it or switch
// to a stretch?"): the answers, then every phrasing of CommandPhrases().
const std::vector<CommandPhrase>& AnswerPhrases();

// The command a spotted phrase (or a grammar hypothesis) asks for: the
// command of the longest phrasing of CommandPhrases() or AnswerPhrases()
// found in `hypothesis` as whole words, pain first ("stop that hurts" is
// discomfort). COMMAND_TYPE_UNSPECIFIED when none is found.
coach::v1::CommandType PhraseCommand(absl::string_view hypothesis);

// A JSGF grammar whose sentences are exactly the texts of `phrases`
// (public rule <phrase>), for PocketSphinx.
std::string PhraseGrammar(const std::vector<CommandPhrase>& phrases);

}  // namespace coachd

#endif  // CLIENTS_VOICE_COMMAND_PHRASES_H_
