// LiveStart: when the live scenario resumes a session started paused.
#include "clients/loadgen/live_start.h"

#include <vector>

#include "gtest/gtest.h"

namespace coachd {
namespace {

using Step = LiveStart::Step;

TEST(LiveStartTest, ResumesOnceWhenTheLastDeviceAttachesInAnyOrder) {
  struct Case {
    std::vector<int> order;  // Devices' first responses, in order.
    std::vector<Step> want;
  };
  const std::vector<Case> cases = {
      {{0, 1}, {Step::kWait, Step::kResume}},
      {{1, 0}, {Step::kWait, Step::kResume}},
      // A device's later responses (and any after RESUME) change nothing.
      {{0, 0, 1, 1, 0},
       {Step::kWait, Step::kIgnore, Step::kResume, Step::kIgnore,
        Step::kIgnore}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.order));
    LiveStart start;
    start.Begin(2);
    for (size_t i = 0; i < c.order.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(start.Attached(c.order[i]), c.want[i]);
    }
    EXPECT_TRUE(start.resumed());
    EXPECT_EQ(start.attached(), 2);
  }
}

TEST(LiveStartTest, ASingleDeviceResumesAtItsFirstResponse) {
  LiveStart start;
  start.Begin(1);
  EXPECT_EQ(start.Attached(0), Step::kResume);
  EXPECT_TRUE(start.resumed());
}

TEST(LiveStartTest, NothingWaitsBeforeTheFirstSession) {
  LiveStart start;
  EXPECT_EQ(start.Attached(0), Step::kIgnore);
  start.Failed(0);  // Ignored too.
  EXPECT_FALSE(start.resumed());
  EXPECT_EQ(start.attached(), 0);
}

TEST(LiveStartTest, ADeviceThatFailedBeforeAttachingMeansNoResume) {
  LiveStart start;
  start.Begin(2);
  start.Failed(1);
  EXPECT_EQ(start.Attached(0), Step::kIgnore);
  EXPECT_FALSE(start.resumed());
  // A failure after the device attached changes nothing.
  start.Begin(2);
  EXPECT_EQ(start.Attached(1), Step::kWait);
  start.Failed(1);
  EXPECT_EQ(start.Attached(0), Step::kResume);
}

TEST(LiveStartTest, EachSessionIsResumedOnceOnItsOwn) {
  LiveStart start;
  start.Begin(2);
  EXPECT_EQ(start.Attached(0), Step::kWait);
  EXPECT_EQ(start.Attached(1), Step::kResume);
  // The next session forgets the last one's devices.
  start.Begin(2);
  EXPECT_FALSE(start.resumed());
  EXPECT_EQ(start.attached(), 0);
  EXPECT_EQ(start.Attached(1), Step::kWait);
  EXPECT_EQ(start.Attached(0), Step::kResume);
}

}  // namespace
}  // namespace coachd
