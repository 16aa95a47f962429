// MemoryCoachLinkStore: both directions of a link, and unlink watches that
// fire once, only for their pair, and never after their handle is gone.
#include "services/coach/coach_links.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;

const absl::Time kAt = absl::FromUnixSeconds(1767596400);

std::vector<std::string> CoachIds(
    const std::vector<coach::v1::CoachLink>& links) {
  std::vector<std::string> ids;
  for (const auto& link : links) ids.push_back(link.coach_id());
  return ids;
}

std::vector<std::string> PersonIds(
    const std::vector<coach::v1::CoachLink>& links) {
  std::vector<std::string> ids;
  for (const auto& link : links) ids.push_back(link.person_id());
  return ids;
}

TEST(MemoryCoachLinkStoreTest, LinksBothWaysOnceAndUnlinks) {
  MemoryCoachLinkStore links;
  EXPECT_TRUE(*links.Link("alice", "coach-z", kAt));
  EXPECT_TRUE(*links.Link("alice", "coach-a", kAt + absl::Seconds(5)));
  EXPECT_TRUE(*links.Link("carol", "coach-a", kAt));
  EXPECT_FALSE(*links.Link("alice", "coach-a", kAt + absl::Hours(1)));

  EXPECT_THAT(CoachIds(*links.CoachesOf("alice")),
              ElementsAre("coach-a", "coach-z"));
  std::vector<coach::v1::CoachLink> clients = *links.ClientsOf("coach-a");
  EXPECT_THAT(PersonIds(clients), ElementsAre("alice", "carol"));
  // Linking again kept the first time.
  EXPECT_EQ(clients[0].linked_at().seconds(), absl::ToUnixSeconds(kAt) + 5);
  EXPECT_TRUE(*links.IsLinked("alice", "coach-a"));
  EXPECT_FALSE(*links.IsLinked("coach-a", "alice"));  // Direction matters.

  EXPECT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_FALSE(*links.Unlink("alice", "coach-a"));
  EXPECT_FALSE(*links.IsLinked("alice", "coach-a"));
  EXPECT_THAT(CoachIds(*links.CoachesOf("alice")), ElementsAre("coach-z"));
  EXPECT_THAT(PersonIds(*links.ClientsOf("coach-a")), ElementsAre("carol"));
  EXPECT_TRUE(links.ClientsOf("nobody")->empty());
}

TEST(MemoryCoachLinkStoreTest, WatchIsRefusedWithoutALink) {
  MemoryCoachLinkStore links;
  auto watch = links.WatchUnlink("alice", "coach-a", [] {});
  EXPECT_TRUE(absl::IsPermissionDenied(watch.status())) << watch.status();
}

TEST(MemoryCoachLinkStoreTest, UnlinkCallsItsPairsWatchesOnce) {
  MemoryCoachLinkStore links;
  ASSERT_TRUE(links.Link("alice", "coach-a", kAt).ok());
  ASSERT_TRUE(links.Link("alice", "coach-b", kAt).ok());
  int a_calls = 0, b_calls = 0;
  auto a1 = *links.WatchUnlink("alice", "coach-a", [&] { ++a_calls; });
  auto a2 = *links.WatchUnlink("alice", "coach-a", [&] { ++a_calls; });
  auto b = *links.WatchUnlink("alice", "coach-b", [&] { ++b_calls; });
  EXPECT_EQ(links.WatchCountForTest(), 3);

  ASSERT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_EQ(a_calls, 2);
  EXPECT_EQ(b_calls, 0);
  EXPECT_EQ(links.WatchCountForTest(), 1);

  // Linking and unlinking again does not reach the old watches.
  ASSERT_TRUE(links.Link("alice", "coach-a", kAt).ok());
  ASSERT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_EQ(a_calls, 2);
  a1.reset();  // Destroying a fired watch is harmless.
  a2.reset();
}

TEST(MemoryCoachLinkStoreTest, DestroyedWatchIsNeverCalled) {
  MemoryCoachLinkStore links;
  ASSERT_TRUE(links.Link("alice", "coach-a", kAt).ok());
  int calls = 0;
  auto watch = *links.WatchUnlink("alice", "coach-a", [&] { ++calls; });
  watch.reset();
  EXPECT_EQ(links.WatchCountForTest(), 0);
  ASSERT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace coachd
