#include "clients/voice/listener.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::coach::v1::CommandType;

struct Step {
  std::vector<Spotted> chunk;
  CommandType sent;  // UNSPECIFIED: nothing sent.
};

TEST(HeardFilterTest, OneCommandPerChunkPainFirstRepeatsDropped) {
  constexpr int64_t kGap = 16000;  // One second.
  const std::vector<Step> steps = {
      {{}, coach::v1::COMMAND_TYPE_UNSPECIFIED},
      {{{"next", 1000}}, coach::v1::COMMAND_TYPE_NEXT},
      // The same command again within the gap: the same utterance.
      {{{"skip this", 9000}}, coach::v1::COMMAND_TYPE_UNSPECIFIED},
      // Pain wins in a chunk, whatever came first.
      {{{"repeat that", 40000}, {"that hurts", 40000}},
       coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT},
      // Longest phrasing wins.
      {{{"done", 80000}, {"i'm done", 80000}},
       coach::v1::COMMAND_TYPE_SET_DONE},
      // Not a command.
      {{{"lower your hips", 90000}}, coach::v1::COMMAND_TYPE_UNSPECIFIED},
      // The same command after the gap is a new one.
      {{{"done", 120000}}, coach::v1::COMMAND_TYPE_SET_DONE},
  };
  HeardFilter filter(kGap);
  int i = 0;
  for (const Step& step : steps) {
    SCOPED_TRACE(i++);
    std::optional<Heard> heard = filter.Take(step.chunk);
    if (step.sent == coach::v1::COMMAND_TYPE_UNSPECIFIED) {
      EXPECT_FALSE(heard.has_value());
    } else {
      ASSERT_TRUE(heard.has_value());
      EXPECT_EQ(heard->command, step.sent);
    }
  }
}

TEST(SpeakingTimesTest, AudioDuringSpeechOrItsEchoIsMuted) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  SpeakingTimes speaking;
  speaking.Add(t0 + absl::Seconds(1), t0 + absl::Seconds(3));
  const absl::Duration tail = absl::Milliseconds(250);
  struct Case {
    int from_ms, to_ms;
    bool muted;
  };
  const std::vector<Case> cases = {
      {0, 900, false},      // Before.
      {900, 1000, true},    // Touches the start.
      {1500, 1600, true},   // Inside.
      {3100, 3200, true},   // In the echo.
      {3300, 3400, false},  // After the echo.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.from_ms);
    EXPECT_EQ(speaking.Overlaps(t0 + absl::Milliseconds(c.from_ms),
                                t0 + absl::Milliseconds(c.to_ms), tail),
              c.muted);
  }
}

}  // namespace
}  // namespace coachd
