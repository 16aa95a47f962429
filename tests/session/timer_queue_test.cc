// The timer queue on a FakeClock: which sessions are due, in what order.
#include "services/session/timer_queue.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TimerQueueTest, TakeDueReturnsDueSessionsSoonestFirst) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  TimerQueue timers(&clock);
  timers.Schedule("c", t0 + absl::Seconds(3));
  timers.Schedule("a", t0 + absl::Seconds(1));
  timers.Schedule("b", t0 + absl::Seconds(2));
  EXPECT_EQ(timers.size(), 3);
  EXPECT_EQ(timers.NextDeadline(), t0 + absl::Seconds(1));
  EXPECT_THAT(timers.TakeDue(), IsEmpty());
  clock.Advance(absl::Seconds(2));
  EXPECT_THAT(timers.TakeDue(), ElementsAre("a", "b"));  // At or before now.
  EXPECT_THAT(timers.TakeDue(), IsEmpty());              // Taken once.
  EXPECT_EQ(timers.size(), 1);
  EXPECT_EQ(timers.NextDeadline(), t0 + absl::Seconds(3));
}

TEST(TimerQueueTest, ScheduleReplacesAndInfiniteFutureRemoves) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  TimerQueue timers(&clock);
  timers.Schedule("a", t0 + absl::Seconds(1));
  timers.Schedule("a", t0 + absl::Seconds(10));  // Replaces, not adds.
  EXPECT_EQ(timers.size(), 1);
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(timers.TakeDue(), IsEmpty());
  timers.Schedule("a", absl::InfiniteFuture());
  EXPECT_EQ(timers.size(), 0);
  EXPECT_EQ(timers.NextDeadline(), absl::InfiniteFuture());
  clock.Advance(absl::Hours(1));
  EXPECT_THAT(timers.TakeDue(), IsEmpty());
}

TEST(TimerQueueTest, SameDeadlineForTwoSessions) {
  FakeClock clock;
  TimerQueue timers(&clock);
  timers.Schedule("b", clock.Now());
  timers.Schedule("a", clock.Now());
  EXPECT_THAT(timers.TakeDue(), ElementsAre("a", "b"));
}

TEST(TimerQueueTest, WaitReturnsAtOnceWhenSomethingIsDue) {
  FakeClock clock;
  TimerQueue timers(&clock);
  timers.Schedule("a", clock.Now() - absl::Seconds(1));
  // Due already: no waiting, however long the limit.
  EXPECT_TRUE(timers.Wait(absl::InfiniteDuration()));
  EXPECT_THAT(timers.TakeDue(), ElementsAre("a"));
}

TEST(TimerQueueTest, StopEndsEveryWait) {
  FakeClock clock;
  TimerQueue timers(&clock);
  std::thread waiter([&timers] {
    // Returns only once stopped (nothing is ever due).
    while (timers.Wait(absl::InfiniteDuration())) {
    }
  });
  timers.Stop();
  waiter.join();
  EXPECT_FALSE(timers.Wait(absl::ZeroDuration()));
}

TEST(TimerQueueTest, ScheduleWakesAWaiter) {
  FakeClock clock;
  TimerQueue timers(&clock);
  // Nothing scheduled: the waiter sleeps until the due schedule wakes it.
  std::thread waiter(
      [&timers] { EXPECT_TRUE(timers.Wait(absl::InfiniteDuration())); });
  timers.Schedule("a", clock.Now());
  waiter.join();
  EXPECT_THAT(timers.TakeDue(), ElementsAre("a"));
}

}  // namespace
}  // namespace coachd
