#include "clients/voice/command_phrases.h"

#include <string>
#include <vector>

#include "coach/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::coach::v1::CommandType;
using ::testing::HasSubstr;

struct Case {
  const char* heard;
  CommandType command;
};

TEST(CommandPhrasesTest, MapsWhatTheSpotterHeardToCommands) {
  const std::vector<Case> cases = {
      {"that hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"it hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"stop that hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"stop", coach::v1::COMMAND_TYPE_PAUSE},
      {"pause", coach::v1::COMMAND_TYPE_PAUSE},
      {"hold on", coach::v1::COMMAND_TYPE_PAUSE},
      {"next", coach::v1::COMMAND_TYPE_NEXT},
      {"skip this", coach::v1::COMMAND_TYPE_NEXT},
      {"i'm done", coach::v1::COMMAND_TYPE_SET_DONE},
      {"I'm done.", coach::v1::COMMAND_TYPE_SET_DONE},
      {"done", coach::v1::COMMAND_TYPE_SET_DONE},
      {"repeat that", coach::v1::COMMAND_TYPE_REPEAT},
      {"resume", coach::v1::COMMAND_TYPE_RESUME},
      {"go on", coach::v1::COMMAND_TYPE_RESUME},
      // Answers to "skip it, switch to a stretch, or end?".
      {"skip it", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
      {"skip", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
      {"switch to a stretch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
      {"mobility", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
      {"end the session", coach::v1::COMMAND_TYPE_END},
      {"keep going", coach::v1::COMMAND_TYPE_RESUME},
      // The longest phrasing wins: "skip this" is NEXT, not SKIP_EXERCISE.
      {"<sil> skip this <sil>", coach::v1::COMMAND_TYPE_NEXT},
      // Whole words only.
      {"stopped", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"abandoned", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"lower your hips", coach::v1::COMMAND_TYPE_UNSPECIFIED},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.heard);
    EXPECT_EQ(PhraseCommand(c.heard), c.command);
  }
}

TEST(CommandPhrasesTest, EveryPhrasingMapsToItsOwnCommand) {
  for (const auto* table : {&CommandPhrases(), &AnswerPhrases()}) {
    for (const CommandPhrase& p : *table) {
      SCOPED_TRACE(p.text);
      EXPECT_EQ(PhraseCommand(p.text), p.command);
    }
  }
}

TEST(CommandPhrasesTest, PainAndStopAreAlwaysListenedFor) {
  for (const auto* table : {&CommandPhrases(), &AnswerPhrases()}) {
    std::vector<std::string> texts;
    for (const CommandPhrase& p : *table) texts.push_back(p.text);
    EXPECT_THAT(texts, ::testing::IsSupersetOf(
                           {"that hurts", "it hurts", "stop", "pause"}));
  }
}

TEST(CommandPhrasesTest, GrammarListsExactlyThePhrases) {
  const std::string grammar =
      PhraseGrammar({{"that hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
                     {"next", coach::v1::COMMAND_TYPE_NEXT}});
  EXPECT_THAT(grammar, HasSubstr("#JSGF V1.0;"));
  EXPECT_THAT(grammar, HasSubstr("public <phrase> = that hurts | next;"));
}

TEST(CommandPhrasesTest, PainIsTakenAtAnyConfidenceAndTheRestHaveThresholds) {
  for (const CommandPhrase& p : CommandPhrases()) {
    SCOPED_TRACE(p.text);
    const bool pain = p.command == coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT;
    if (pain || std::string(p.text) == "stop") {
      EXPECT_EQ(p.min_confidence, CommandPhrase::kAnyConfidence);
    } else {
      EXPECT_GT(p.min_confidence, -100);
      EXPECT_LT(p.min_confidence, 0);
    }
  }
}

}  // namespace
}  // namespace coachd
