// LinkAwarePolicy: owners as before, linked coaches read but never command,
// everyone else is denied; a coach's watch fires when the link goes.
#include "services/coach/link_aware_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

coach::internal::SessionRecord AliceSession() {
  coach::internal::SessionRecord record;
  record.set_session_id("s1");
  record.set_owner("alice");
  return record;
}

TEST(LinkAwarePolicyTest, DecidesByRoleOwnerAndLink) {
  MemoryCoachLinkStore links;
  ASSERT_TRUE(links.Link("alice", "coach-a", absl::UnixEpoch()).ok());
  ASSERT_TRUE(links.Link("carol", "coach-c", absl::UnixEpoch()).ok());
  LinkAwarePolicy policy(&links);
  struct Case {
    std::string name;
    Identity who;
    SessionAccess access;
    absl::StatusCode want;
  };
  const Case cases[] = {
      {"owner reads",
       {"alice", Role::kUser},
       SessionAccess::kRead,
       absl::StatusCode::kOk},
      {"owner's device commands",
       {"alice", Role::kDevice},
       SessionAccess::kCommand,
       absl::StatusCode::kOk},
      {"another person reads",
       {"carol", Role::kUser},
       SessionAccess::kRead,
       absl::StatusCode::kPermissionDenied},
      {"linked coach reads",
       {"coach-a", Role::kCoach},
       SessionAccess::kRead,
       absl::StatusCode::kOk},
      {"linked coach commands",
       {"coach-a", Role::kCoach},
       SessionAccess::kCommand,
       absl::StatusCode::kPermissionDenied},
      {"other coach reads",
       {"coach-c", Role::kCoach},
       SessionAccess::kRead,
       absl::StatusCode::kPermissionDenied},
      {"a user named like the coach",
       {"coach-a", Role::kUser},
       SessionAccess::kRead,
       absl::StatusCode::kPermissionDenied},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(policy.Check(c.who, AliceSession(), c.access).code(), c.want);
  }
  EXPECT_THAT(policy
                  .Check({"coach-a", Role::kCoach}, AliceSession(),
                         SessionAccess::kCommand)
                  .message(),
              HasSubstr("speak into it with a cue (coach --cue)"));
}

TEST(LinkAwarePolicyTest, CoachWatchFiresOnUnlinkOwnersGetNone) {
  MemoryCoachLinkStore links;
  ASSERT_TRUE(links.Link("alice", "coach-a", absl::UnixEpoch()).ok());
  LinkAwarePolicy policy(&links);
  int revoked = 0;

  auto owner = policy.WatchRevocation({"alice", Role::kDevice}, AliceSession(),
                                      [&] { ++revoked; });
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(*owner, nullptr);

  auto stranger = policy.WatchRevocation({"coach-x", Role::kCoach},
                                         AliceSession(), [&] { ++revoked; });
  EXPECT_TRUE(absl::IsPermissionDenied(stranger.status()));

  auto coach = policy.WatchRevocation({"coach-a", Role::kCoach}, AliceSession(),
                                      [&] { ++revoked; });
  ASSERT_TRUE(coach.ok());
  ASSERT_NE(*coach, nullptr);
  EXPECT_EQ(revoked, 0);
  ASSERT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_EQ(revoked, 1);
  EXPECT_TRUE(absl::IsPermissionDenied(policy.Check(
      {"coach-a", Role::kCoach}, AliceSession(), SessionAccess::kRead)));
}

}  // namespace
}  // namespace coachd
