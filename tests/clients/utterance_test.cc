#include "clients/voice/utterance.h"

#include <string>
#include <vector>

#include "coach/v1/session.pb.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::coach::v1::CommandType;

struct Case {
  const char* said;
  CommandType command;
};

TEST(UtteranceTest, MapsWhatPeopleSayToCommands) {
  const std::vector<Case> cases = {
      // Pause and resume.
      {"pause", coach::v1::COMMAND_TYPE_PAUSE},
      {"Pause!", coach::v1::COMMAND_TYPE_PAUSE},
      {"  PAUSE  ", coach::v1::COMMAND_TYPE_PAUSE},
      {"wait a second", coach::v1::COMMAND_TYPE_PAUSE},
      {"stop", coach::v1::COMMAND_TYPE_PAUSE},
      {"go to the next one", coach::v1::COMMAND_TYPE_NEXT},
      {"resume", coach::v1::COMMAND_TYPE_RESUME},
      {"OK, continue.", coach::v1::COMMAND_TYPE_RESUME},
      {"let's go", coach::v1::COMMAND_TYPE_RESUME},
      // Pain wins over everything else.
      {"stop it hurts", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"Stop, it hurts!", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"ouch", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"my back is in pain, end workout",
       coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      {"that's painful, skip exercise",
       coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      // Moving around the routine.
      {"next", coach::v1::COMMAND_TYPE_NEXT},
      {"Next please", coach::v1::COMMAND_TYPE_NEXT},
      {"skip", coach::v1::COMMAND_TYPE_NEXT},
      {"go back", coach::v1::COMMAND_TYPE_PREVIOUS},
      {"previous", coach::v1::COMMAND_TYPE_PREVIOUS},
      {"repeat that", coach::v1::COMMAND_TYPE_REPEAT},
      {"What?", coach::v1::COMMAND_TYPE_REPEAT},
      {"say it again", coach::v1::COMMAND_TYPE_REPEAT},
      // Sets, exercises, sessions.
      {"done", coach::v1::COMMAND_TYPE_SET_DONE},
      {"I'm done", coach::v1::COMMAND_TYPE_SET_DONE},
      {"finished!", coach::v1::COMMAND_TYPE_SET_DONE},
      {"skip exercise", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
      {"Skip this exercise.", coach::v1::COMMAND_TYPE_SKIP_EXERCISE},
      {"end workout", coach::v1::COMMAND_TYPE_END},
      {"stop session", coach::v1::COMMAND_TYPE_END},
      {"quit", coach::v1::COMMAND_TYPE_END},
      {"switch to mobility", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
      {"something easier", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY},
      // Nothing to do.
      {"banana", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"?!.", coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {"pausing", coach::v1::COMMAND_TYPE_UNSPECIFIED},  // Words, not parts.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.said);
    EXPECT_EQ(ParseUtterance(c.said), c.command)
        << "got " << coach::v1::CommandType_Name(ParseUtterance(c.said));
  }
}

}  // namespace
}  // namespace coachd
