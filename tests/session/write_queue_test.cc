#include "services/session/write_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace coachd {
namespace {

TEST(WriteQueueTest, FirstInFirstOut) {
  WriteQueue<int> q;
  EXPECT_TRUE(q.empty());
  for (int i = 0; i < 100; ++i) q.push_back(i);
  EXPECT_EQ(q.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(q.front(), i);
    ASSERT_EQ(q.pop_front(), i);
  }
  EXPECT_TRUE(q.empty());
}

TEST(WriteQueueTest, InterleavedPushAndPopKeepOrder) {
  WriteQueue<int> q;
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) q.push_back(next_in++);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(q.pop_front(), next_out++);
  }
  while (!q.empty()) ASSERT_EQ(q.pop_front(), next_out++);
  EXPECT_EQ(next_out, next_in);
}

TEST(WriteQueueTest, PushFrontGoesBeforeEverything) {
  WriteQueue<std::string> q;
  q.push_front("a");  // Into an empty queue.
  q.push_back("b");
  q.push_back("c");
  EXPECT_EQ(q.pop_front(), "a");
  q.push_front("snapshot");  // Into the consumed slot.
  EXPECT_EQ(q.pop_front(), "snapshot");
  q.push_front("first");  // At the very start.
  EXPECT_EQ(q.pop_front(), "first");
  EXPECT_EQ(q.pop_front(), "b");
  EXPECT_EQ(q.pop_front(), "c");
  EXPECT_TRUE(q.empty());
}

TEST(WriteQueueTest, DrainedQueueReleasesWhatItHeld) {
  WriteQueue<std::shared_ptr<int>> q;
  auto item = std::make_shared<int>(1);
  std::weak_ptr<int> watch = item;
  for (int i = 0; i < 300; ++i) q.push_back(item);
  item.reset();
  while (!q.empty()) q.pop_front();
  EXPECT_TRUE(watch.expired());  // No moved-from copy keeps it alive.
  EXPECT_LE(q.capacity(), WriteQueue<std::shared_ptr<int>>::kKeptCapacity);
}

TEST(WriteQueueTest, ClearDropsEverything) {
  WriteQueue<int> q;
  for (int i = 0; i < 10; ++i) q.push_back(i);
  q.pop_front();
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  q.push_back(42);
  EXPECT_EQ(q.pop_front(), 42);
}

}  // namespace
}  // namespace coachd
