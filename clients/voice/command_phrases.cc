#include "clients/voice/command_phrases.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace coachd {
namespace {

using coach::v1::CommandType;

// Lower-case words separated by single spaces, framed by spaces, so that a
// phrase matches whole words only: " that hurts ".
std::string Framed(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    out.push_back(absl::ascii_isalnum(u) || c == '\'' ? absl::ascii_tolower(u)
                                                      : ' ');
  }
  std::vector<absl::string_view> words =
      absl::StrSplit(out, ' ', absl::SkipEmpty());
  return absl::StrCat(" ", absl::StrJoin(words, " "), " ");
}

}  // namespace

const std::vector<CommandPhrase>& CommandPhrases() {
  // Thresholds from voice_listen_benchmark (docs/PERFORMANCE.md): between
  // the lowest confidence a phrasing was heard with where it was said and
  // the highest it was heard with in other speech or where another
  // phrasing was said; where neither was seen, 5 below the lowest where it
  // was said. Pain and "stop" take any: they must never be missed.
  static const auto* const kPhrases = new std::vector<CommandPhrase>{
      {"that hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"it hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"stop", coach::v1::COMMAND_TYPE_PAUSE},
      {"pause", coach::v1::COMMAND_TYPE_PAUSE, -21},
      {"hold on", coach::v1::COMMAND_TYPE_PAUSE, -22},  // Talk: -25.
      {"next", coach::v1::COMMAND_TYPE_NEXT, -25},
      {"skip this", coach::v1::COMMAND_TYPE_NEXT, -28},
      {"i'm done", coach::v1::COMMAND_TYPE_SET_DONE, -20},  // Talk: -23.
      {"done", coach::v1::COMMAND_TYPE_SET_DONE, -19},
      {"repeat that", coach::v1::COMMAND_TYPE_REPEAT, -13},  // "next": -19.
      {"resume", coach::v1::COMMAND_TYPE_RESUME, -16},
      // "done" heard as "go on" scores as well as "go on" itself (-22 to
      // -7 against -20 to -5): only the worst is left out.
      {"go on", coach::v1::COMMAND_TYPE_RESUME, -21},
  };
  return *kPhrases;
}

const std::vector<CommandPhrase>& AnswerPhrases() {
  static const auto* const kPhrases = [] {
    auto* phrases = new std::vector<CommandPhrase>{
        {"skip it", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
        {"skip", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
        {"switch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
        {"switch to a stretch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
        {"a stretch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
        {"stretch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
        {"mobility", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
        {"end the session", coach::v1::COMMAND_TYPE_END},
        {"end", coach::v1::COMMAND_TYPE_END},
        {"keep going", coach::v1::COMMAND_TYPE_RESUME},
    };
    // Any command may still be said after a question: "that hurts" too.
    phrases->insert(phrases->end(), CommandPhrases().begin(),
                    CommandPhrases().end());
    return phrases;
  }();
  return *kPhrases;
}

CommandType PhraseCommand(absl::string_view hypothesis) {
  const std::string said = Framed(hypothesis);
  CommandType best = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  size_t best_length = 0;
  for (const auto* table : {&CommandPhrases(), &AnswerPhrases()}) {
    for (const CommandPhrase& p : *table) {
      const std::string framed = Framed(p.text);
      if (said.find(framed) == std::string::npos) continue;
      if (p.command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT) {
        return p.command;  // Pain wins over everything said with it.
      }
      if (framed.size() > best_length) {
        best = p.command;
        best_length = framed.size();
      }
    }
  }
  return best;
}

std::string PhraseGrammar(const std::vector<CommandPhrase>& phrases) {
  std::vector<std::string> texts;
  for (const CommandPhrase& p : phrases) texts.push_back(p.text);
  return absl::StrCat("#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = ",
                      absl::StrJoin(texts, " | "), ";\n");
}

}  // namespace coachd
