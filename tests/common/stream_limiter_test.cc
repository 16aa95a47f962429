#include "services/common/stream_limiter.h"

#include <memory>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(StreamLimiterTest, RefusesTheStreamPastTheLimitNamingTheFlag) {
  StreamLimiter limiter(2);
  absl::StatusOr<StreamSlot> a =
      limiter.Acquire("SessionService/Subscribe", "alice");
  absl::StatusOr<StreamSlot> b =
      limiter.Acquire("SessionService/Subscribe", "alice");
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<StreamSlot> c =
      limiter.Acquire("CoachService/WatchLive", "alice");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(),
              HasSubstr("CoachService/WatchLive: limit of 2 open streams per "
                        "person on this replica (--max_streams_per_person)"));
  // Another identity has its own count.
  EXPECT_TRUE(limiter.Acquire("SessionService/Subscribe", "bob").ok());
  EXPECT_EQ(limiter.OpenFor("alice"), 2);
}

TEST(StreamLimiterTest, ASlotGivenBackFreesItsPlaceOnce) {
  StreamLimiter limiter(1);
  absl::StatusOr<StreamSlot> a = limiter.Acquire("m", "alice");
  ASSERT_TRUE(a.ok());
  StreamSlot moved = *std::move(a);  // The moved-from slot holds nothing.
  EXPECT_EQ(limiter.OpenFor("alice"), 1);
  moved.Reset();
  moved.Reset();  // Idempotent.
  EXPECT_EQ(limiter.OpenFor("alice"), 0);
  {
    absl::StatusOr<StreamSlot> again = limiter.Acquire("m", "alice");
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(limiter.Acquire("m", "alice").ok());
  }  // Destroyed: given back.
  EXPECT_EQ(limiter.OpenFor("alice"), 0);
}

TEST(StreamLimiterTest, ZeroMeansNoLimit) {
  StreamLimiter limiter(0);
  std::vector<StreamSlot> slots;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<StreamSlot> slot = limiter.Acquire("m", "alice");
    ASSERT_TRUE(slot.ok()) << i;
    slots.push_back(*std::move(slot));
  }
  EXPECT_EQ(limiter.OpenFor("alice"), 100);
}

TEST(StreamLimiterDeathTest, ALimiterThatDiesWithASlotTakenAborts) {
  EXPECT_DEATH(
      {
        auto limiter = std::make_unique<StreamLimiter>(1);
        absl::StatusOr<StreamSlot> held = limiter->Acquire("m", "alice");
        limiter.reset();  // Before the slot: a broken contract.
      },
      "a stream limiter died with slots taken");
}

}  // namespace
}  // namespace coachd
