// CueLimiter: a token bucket per coach on a FakeClock.
#include "services/coach/cue_limiter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(CueLimiterTest, BurstThenOneEveryTwelveSeconds) {
  FakeClock clock;
  CueLimiter limiter(&clock, {});  // 5 per minute.
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(limiter.Take("coach-a").ok());
  }
  absl::Status sixth = limiter.Take("coach-a");
  EXPECT_TRUE(absl::IsResourceExhausted(sixth)) << sixth;
  EXPECT_THAT(sixth.message(), HasSubstr("retry in 12s"));

  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(limiter.Take("coach-a").message(), HasSubstr("retry in 7s"));
  clock.Advance(absl::Seconds(7));
  EXPECT_TRUE(limiter.Take("coach-a").ok());
  EXPECT_TRUE(absl::IsResourceExhausted(limiter.Take("coach-a")));
}

TEST(CueLimiterTest, CoachesHaveTheirOwnBuckets) {
  FakeClock clock;
  CueLimiter limiter(&clock, {2, absl::Minutes(1)});
  EXPECT_TRUE(limiter.Take("coach-a").ok());
  EXPECT_TRUE(limiter.Take("coach-a").ok());
  EXPECT_TRUE(absl::IsResourceExhausted(limiter.Take("coach-a")));
  EXPECT_TRUE(limiter.Take("coach-b").ok());
}

TEST(CueLimiterTest, AQuietHourRefillsToTheBurstOnly) {
  FakeClock clock;
  CueLimiter limiter(&clock, {3, absl::Minutes(1)});
  EXPECT_TRUE(limiter.Take("coach-a").ok());
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(limiter.Take("coach-a").ok());
  }
  EXPECT_TRUE(absl::IsResourceExhausted(limiter.Take("coach-a")));
}

}  // namespace
}  // namespace coachd
