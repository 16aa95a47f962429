// COACHD_DCHECK in a build with the tests: a broken invariant aborts, with a
// line naming the place and the condition; a kept one costs nothing else.
#include "services/common/check.h"

#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(CheckDeathTest, BrokenInvariantAbortsNamingTheCondition) {
  const int steps = 3;
  EXPECT_DEATH(COACHD_DCHECK(steps < 2, "step index past the timeline"),
               "invariant broken at .*check_test.cc:[0-9]+: steps < 2: step "
               "index past the timeline");
}

TEST(CheckDeathTest, KeptInvariantGoesOn) {
  int evaluated = 0;
  COACHD_DCHECK(++evaluated == 1, "evaluated once");
  EXPECT_EQ(evaluated, 1);
}

}  // namespace
}  // namespace coachd
