#include "clients/voice/utterance.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace coachd {
namespace {

bool HasAny(const std::vector<std::string>& words,
            std::initializer_list<absl::string_view> wanted) {
  for (const std::string& w : words) {
    for (absl::string_view x : wanted) {
      if (w == x) return true;
    }
  }
  return false;
}

bool HasPhrase(const std::string& text, absl::string_view phrase) {
  return text.find(std::string(phrase)) != std::string::npos;
}

}  // namespace

coach::v1::CommandType ParseUtterance(absl::string_view utterance) {
  std::string text;
  for (char c : utterance) {
    text.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c))
                       ? absl::ascii_tolower(static_cast<unsigned char>(c))
                       : ' ');
  }
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  text = " " + absl::StrJoin(words, " ") + " ";
  if (HasAny(words, {"hurts", "hurt", "hurting", "pain", "painful", "ouch",
                     "ow", "injured"})) {
    return coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT;
  }
  if (HasAny(words, {"mobility", "stretch", "gentler", "easier"})) {
    return coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY;
  }
  if (HasPhrase(text, " skip exercise ") ||
      HasPhrase(text, " skip this exercise ") || HasPhrase(text, " skip it ")) {
    return coach::v1::COMMAND_TYPE_SKIP_EXERCISE;
  }
  if (HasPhrase(text, " end workout ") || HasPhrase(text, " end session ") ||
      HasPhrase(text, " stop workout ") || HasPhrase(text, " stop session ") ||
      HasAny(words, {"end", "quit", "finish"})) {
    return coach::v1::COMMAND_TYPE_END;
  }
  if (HasAny(words, {"done", "finished", "complete"})) {
    return coach::v1::COMMAND_TYPE_SET_DONE;
  }
  // Directions come before "go" (resume): "go back", "go to the next one".
  if (HasAny(words, {"next", "skip", "forward"})) {
    return coach::v1::COMMAND_TYPE_NEXT;
  }
  if (HasAny(words, {"previous", "back", "rewind"})) {
    return coach::v1::COMMAND_TYPE_PREVIOUS;
  }
  if (HasAny(words, {"resume", "continue", "unpause", "go"})) {
    return coach::v1::COMMAND_TYPE_RESUME;
  }
  if (HasAny(words, {"pause", "wait", "hold", "stop"})) {
    return coach::v1::COMMAND_TYPE_PAUSE;
  }
  if (HasAny(words, {"repeat", "again", "what", "pardon"})) {
    return coach::v1::COMMAND_TYPE_REPEAT;
  }
  return coach::v1::COMMAND_TYPE_UNSPECIFIED;
}

}  // namespace coachd
