#include "services/store/recent_events.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coachd {
namespace {

std::vector<StoredEvent> Events(int64_t first, int64_t last) {
  std::vector<StoredEvent> out;
  for (int64_t s = first; s <= last; ++s) {
    coach::v1::SessionEvent ev;
    ev.set_sequence(s);
    out.push_back(StoredEvent::Make(std::move(ev)));
  }
  return out;
}

std::vector<int64_t> Seqs(const std::vector<StoredEvent>& events) {
  std::vector<int64_t> out;
  for (const StoredEvent& ev : events) out.push_back(ev->sequence());
  return out;
}

TEST(RecentEventsTest, ServesContiguousEventsAfterAPosition) {
  RecentEvents recent({});
  recent.Add("s", "e1", Events(1, 3));
  recent.Add("s", "e1", Events(4, 5));
  EXPECT_EQ(Seqs(recent.After("s", "e1", 0, 100)),
            (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(Seqs(recent.After("s", "e1", 2, 2)), (std::vector<int64_t>{3, 4}));
  EXPECT_TRUE(recent.After("s", "e1", 5, 100).empty());  // Nothing newer.
  EXPECT_TRUE(recent.After("s", "e2", 0, 100).empty());  // Another epoch.
  EXPECT_TRUE(recent.After("t", "e1", 0, 100).empty());  // Unknown session.
}

TEST(RecentEventsTest, AGapOrANewEpochStartsOver) {
  RecentEvents recent({});
  recent.Add("s", "e1", Events(1, 3));
  recent.Add("s", "e1", Events(6, 7));  // 4..5 written elsewhere.
  EXPECT_TRUE(recent.After("s", "e1", 0, 100).empty());
  EXPECT_EQ(Seqs(recent.After("s", "e1", 5, 100)),
            (std::vector<int64_t>{6, 7}));
  recent.Add("s", "e2", Events(1, 1));
  EXPECT_TRUE(recent.After("s", "e1", 5, 100).empty());
  EXPECT_EQ(Seqs(recent.After("s", "e2", 0, 100)), (std::vector<int64_t>{1}));
}

TEST(RecentEventsTest, KeepsOnlyTheNewestEventsPerSession) {
  RecentEvents recent({/*max_sessions=*/4, /*max_events=*/3});
  recent.Add("s", "e", Events(1, 5));
  EXPECT_TRUE(recent.After("s", "e", 0, 100).empty());  // 1 and 2 dropped.
  EXPECT_EQ(Seqs(recent.After("s", "e", 2, 100)),
            (std::vector<int64_t>{3, 4, 5}));
}

TEST(RecentEventsTest, DropsTheLeastRecentlyWrittenSession) {
  RecentEvents recent({/*max_sessions=*/2, /*max_events=*/10});
  recent.Add("a", "e", Events(1, 1));
  recent.Add("b", "e", Events(1, 1));
  recent.Add("a", "e", Events(2, 2));  // a written again: b is older now.
  recent.Add("c", "e", Events(1, 1));
  EXPECT_EQ(recent.SessionCountForTest(), 2);
  EXPECT_TRUE(recent.After("b", "e", 0, 10).empty());
  EXPECT_EQ(Seqs(recent.After("a", "e", 0, 10)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(Seqs(recent.After("c", "e", 0, 10)), (std::vector<int64_t>{1}));
}

TEST(RecentEventsTest, KnowsTheLastSequenceOfAFinishedSessionUntilItExpires) {
  RecentEvents recent({});
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  recent.Add("s", "e1", Events(1, 3));
  EXPECT_EQ(recent.FinalSequence("s", "e1", t0), -1);  // Still running.
  recent.Add("s", "e1", Events(4, 5), t0 + absl::Hours(1));
  EXPECT_EQ(recent.FinalSequence("s", "e1", t0), 5);
  EXPECT_EQ(recent.FinalSequence("s", "e1", t0 + absl::Minutes(59)), 5);
  EXPECT_EQ(recent.FinalSequence("s", "e1", t0 + absl::Hours(1)), -1);
  EXPECT_EQ(recent.FinalSequence("s", "e2", t0), -1);  // Another epoch.
  EXPECT_EQ(recent.FinalSequence("t", "e1", t0), -1);  // Unknown session.
  // The same id started over (a new epoch): nothing final about it.
  recent.Add("s", "e2", Events(1, 1));
  EXPECT_EQ(recent.FinalSequence("s", "e1", t0), -1);
  EXPECT_EQ(recent.FinalSequence("s", "e2", t0), -1);
}

TEST(RecentEventsTest, OffKeepsNothing) {
  RecentEvents off({/*max_sessions=*/0, /*max_events=*/10});
  off.Add("s", "e", Events(1, 2));
  EXPECT_EQ(off.SessionCountForTest(), 0);
}

}  // namespace
}  // namespace coachd
