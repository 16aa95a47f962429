#include "services/common/recent_log.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace coachd {
namespace {

std::vector<int> Items(const RecentLog<int>& log) {
  return std::vector<int>(log.begin(), log.end());
}

TEST(RecentLogTest, KeepsTheNewestItemsOldestFirst) {
  RecentLog<int> log;
  EXPECT_TRUE(log.empty());
  for (int i = 1; i <= 5; ++i) log.push_back(i);
  log.pop_front();
  log.pop_front();
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.front(), 3);
  EXPECT_EQ(log.back(), 5);
  EXPECT_EQ(log[1], 4);
  EXPECT_EQ(Items(log), (std::vector<int>{3, 4, 5}));
  log.clear();
  EXPECT_TRUE(log.empty());
  log.push_back(9);
  EXPECT_EQ(Items(log), (std::vector<int>{9}));
}

TEST(RecentLogTest, AWindowSlidingForLongStaysInOrderAndBounded) {
  RecentLog<int> log;
  for (int i = 0; i < 10000; ++i) {
    log.push_back(i);
    while (log.size() > 100) log.pop_front();
    ASSERT_EQ(log.back(), i);
    ASSERT_EQ(log.front(), i < 100 ? 0 : i - 99);
  }
  std::vector<int> want;
  for (int i = 9900; i < 10000; ++i) want.push_back(i);
  EXPECT_EQ(Items(log), want);
}

TEST(RecentLogTest, PopFrontReleasesTheItemAtOnce) {
  RecentLog<std::shared_ptr<int>> log;
  auto item = std::make_shared<int>(1);
  std::weak_ptr<int> watch = item;
  log.push_back(std::move(item));
  log.push_back(std::make_shared<int>(2));
  log.pop_front();
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(*log.front(), 2);
}

}  // namespace
}  // namespace coachd
