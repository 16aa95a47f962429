// Coach link stores: the same contract checked against the embedded store
// and RedisCoachLinkStore on a real redis-server (links and link codes); then
// what only Redis does:
// links that outlive the store, unlink watches called on another store (a
// replica) through pub/sub, a stale unlink message that never revokes a
// later link, a lost message that still revokes once the listener
// resubscribes, and UNAVAILABLE while Redis is down.
//
// Waits on notifications carry a generous limit only so that a broken test
// fails instead of hanging; no outcome depends on timing.
#include "services/coach/redis_coach_link_store.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kAt = absl::FromUnixSeconds(1767596400);
constexpr absl::Duration kHangGuard = absl::Seconds(60);

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

// A redis-server for the test and stores on it.
class RedisLinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    address_ = *ParseRedisUrl(redis_->url());
  }

  // A store; `backoff` between failed connection attempts.
  std::unique_ptr<RedisCoachLinkStore> NewStore(
      absl::Duration backoff = absl::Milliseconds(50)) {
    RedisClientOptions client;
    client.address = address_;
    client.min_backoff = backoff;
    client.max_backoff = backoff;
    client.pool_size = 2;
    clients_.push_back(std::make_unique<RedisClient>(client));
    return std::make_unique<RedisCoachLinkStore>(clients_.back().get(),
                                                 RedisCoachLinkStoreOptions{});
  }

  // Runs one command on Redis directly.
  RedisReply Admin(const RedisCommand& command) {
    RedisConnection admin(RedisConnectionOptions{address_});
    absl::StatusOr<RedisReply> reply = admin.Command(command);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *std::move(reply) : nullptr;
  }

  std::unique_ptr<RedisServer> redis_;
  RedisAddress address_;
  // One per store (as each replica has one); they outlive the stores.
  std::vector<std::unique_ptr<RedisClient>> clients_;
};

// The contract of CoachLinkStore, for both implementations.
class LinkStoreContractTest : public RedisLinksTest,
                              public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      RedisLinksTest::SetUp();
      redis_links_ = NewStore().release();
      links_.reset(redis_links_);
    } else {
      memory_links_ = new MemoryCoachLinkStore();
      links_.reset(memory_links_);
    }
  }

  int WatchCountForTest() const {
    return redis_links_ != nullptr ? redis_links_->WatchCountForTest()
                                   : memory_links_->WatchCountForTest();
  }

  std::unique_ptr<CoachLinkStore> links_;
  RedisCoachLinkStore* redis_links_ = nullptr;
  MemoryCoachLinkStore* memory_links_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(Stores, LinkStoreContractTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Redis" : "Memory";
                         });

TEST_P(LinkStoreContractTest, LinksBothWaysOnceAndUnlinks) {
  CoachLinkStore& links = *links_;
  EXPECT_TRUE(*links.Link("alice", "coach-z", kAt));
  EXPECT_TRUE(*links.Link("alice", "coach-a", kAt + absl::Seconds(5)));
  EXPECT_TRUE(*links.Link("carol", "coach-a", kAt));
  EXPECT_FALSE(*links.Link("alice", "coach-a", kAt + absl::Hours(1)));

  EXPECT_THAT(CoachIds(*links.CoachesOf("alice")),
              ElementsAre("coach-a", "coach-z"));
  std::vector<coach::v1::CoachLink> clients = *links.ClientsOf("coach-a");
  EXPECT_THAT(PersonIds(clients), ElementsAre("alice", "carol"));
  EXPECT_EQ(clients[0].linked_at().seconds(), absl::ToUnixSeconds(kAt) + 5);
  EXPECT_TRUE(*links.IsLinked("alice", "coach-a"));
  EXPECT_FALSE(*links.IsLinked("coach-a", "alice"));

  EXPECT_TRUE(*links.Unlink("alice", "coach-a"));
  EXPECT_FALSE(*links.Unlink("alice", "coach-a"));
  EXPECT_FALSE(*links.IsLinked("alice", "coach-a"));
  EXPECT_THAT(CoachIds(*links.CoachesOf("alice")), ElementsAre("coach-z"));
  EXPECT_THAT(PersonIds(*links.ClientsOf("coach-a")), ElementsAre("carol"));
  EXPECT_TRUE(links.ClientsOf("nobody")->empty());
}

TEST_P(LinkStoreContractTest, ALinkCodeNamesItsCoachOnceUntilItExpires) {
  CoachLinkStore& links = *links_;
  const absl::Time expires = kAt + absl::Hours(24);
  ASSERT_TRUE(links.PutLinkCode("hash-1", "coach-a", kAt, expires).ok());
  ASSERT_TRUE(links.PutLinkCode("hash-2", "coach-b", kAt, expires).ok());
  // A hash already kept is refused: the caller draws another code.
  EXPECT_TRUE(absl::IsAlreadyExists(
      links.PutLinkCode("hash-1", "coach-z", kAt, expires)));

  absl::StatusOr<std::string> coach =
      links.TakeLinkCode("hash-1", expires - absl::Seconds(1));
  ASSERT_TRUE(coach.ok()) << coach.status();
  EXPECT_EQ(*coach, "coach-a");
  // Once only.
  EXPECT_TRUE(absl::IsNotFound(links.TakeLinkCode("hash-1", kAt).status()));
  EXPECT_TRUE(absl::IsNotFound(links.TakeLinkCode("unknown", kAt).status()));
  // Expired at its time.
  EXPECT_TRUE(absl::IsNotFound(links.TakeLinkCode("hash-2", expires).status()));
  // Codes are not links.
  EXPECT_TRUE(links.ClientsOf("coach-a")->empty());
}

TEST_P(LinkStoreContractTest, WatchIsRefusedWithoutALink) {
  auto watch = links_->WatchUnlink("alice", "coach-a", [] {});
  EXPECT_TRUE(absl::IsPermissionDenied(watch.status())) << watch.status();
  EXPECT_EQ(WatchCountForTest(), 0);
}

TEST_P(LinkStoreContractTest, UnlinkCallsItsPairsWatchesOnceBeforeReturning) {
  ASSERT_TRUE(links_->Link("alice", "coach-a", kAt).ok());
  ASSERT_TRUE(links_->Link("alice", "coach-b", kAt).ok());
  int a_calls = 0, b_calls = 0;
  auto a1 = *links_->WatchUnlink("alice", "coach-a", [&] { ++a_calls; });
  auto a2 = *links_->WatchUnlink("alice", "coach-a", [&] { ++a_calls; });
  auto b = *links_->WatchUnlink("alice", "coach-b", [&] { ++b_calls; });
  EXPECT_EQ(WatchCountForTest(), 3);

  ASSERT_TRUE(*links_->Unlink("alice", "coach-a"));
  EXPECT_EQ(a_calls, 2);
  EXPECT_EQ(b_calls, 0);
  EXPECT_EQ(WatchCountForTest(), 1);

  // Linking and unlinking again does not reach the old watches.
  ASSERT_TRUE(links_->Link("alice", "coach-a", kAt).ok());
  ASSERT_TRUE(*links_->Unlink("alice", "coach-a"));
  EXPECT_EQ(a_calls, 2);
  a1.reset();
  a2.reset();
}

TEST_P(LinkStoreContractTest, DestroyedWatchIsNeverCalled) {
  ASSERT_TRUE(links_->Link("alice", "coach-a", kAt).ok());
  int calls = 0;
  auto watch = *links_->WatchUnlink("alice", "coach-a", [&] { ++calls; });
  watch.reset();
  EXPECT_EQ(WatchCountForTest(), 0);
  ASSERT_TRUE(*links_->Unlink("alice", "coach-a"));
  EXPECT_EQ(calls, 0);
}

TEST_F(RedisLinksTest, LinksOutliveTheStoreThatMadeThem) {
  {
    std::unique_ptr<RedisCoachLinkStore> before = NewStore();
    ASSERT_TRUE(*before->Link("alice", "coach-a", kAt + absl::Seconds(7)));
  }
  std::unique_ptr<RedisCoachLinkStore> after = NewStore();  // "Restarted".
  std::vector<coach::v1::CoachLink> coaches = *after->CoachesOf("alice");
  ASSERT_THAT(CoachIds(coaches), ElementsAre("coach-a"));
  EXPECT_EQ(coaches[0].linked_at().seconds(), absl::ToUnixSeconds(kAt) + 7);
  EXPECT_THAT(PersonIds(*after->ClientsOf("coach-a")), ElementsAre("alice"));
  EXPECT_TRUE(*after->IsLinked("alice", "coach-a"));
  // Both directions under the documented keys.
  EXPECT_EQ(
      Admin({"HEXISTS", "coachd:{person:alice}:coaches", "coach-a"})->integer,
      1);
  EXPECT_EQ(
      Admin({"HEXISTS", "coachd:{coach:coach-a}:clients", "alice"})->integer,
      1);
}

TEST_F(RedisLinksTest, UnlinkOnOneReplicaCallsTheWatchesOfAnother) {
  std::unique_ptr<RedisCoachLinkStore> a = NewStore();
  std::unique_ptr<RedisCoachLinkStore> b = NewStore();
  ASSERT_TRUE(*a->Link("alice", "coach-a", kAt));
  ASSERT_TRUE(*a->Link("alice", "coach-b", kAt));
  absl::Notification revoked;
  int other_calls = 0;
  auto watch = *b->WatchUnlink("alice", "coach-a", [&] { revoked.Notify(); });
  auto other = *b->WatchUnlink("alice", "coach-b", [&] { ++other_calls; });

  ASSERT_TRUE(*a->Unlink("alice", "coach-a"));
  ASSERT_TRUE(revoked.WaitForNotificationWithTimeout(kHangGuard));
  EXPECT_EQ(b->WatchCountForTest(), 1);
  EXPECT_EQ(other_calls, 0);
  // A new watch on the other replica is refused from here on.
  EXPECT_TRUE(absl::IsPermissionDenied(
      b->WatchUnlink("alice", "coach-a", [] {}).status()));
}

TEST_F(RedisLinksTest, AStaleUnlinkMessageNeverRevokesALaterLink) {
  std::unique_ptr<RedisCoachLinkStore> a = NewStore();
  std::unique_ptr<RedisCoachLinkStore> b = NewStore();
  ASSERT_TRUE(*a->Link("alice", "coach-a", kAt));
  ASSERT_TRUE(*a->Link("carol", "coach-a", kAt));
  RedisReply old_link =
      Admin({"HGET", "coachd:{person:alice}:coaches", "coach-a"});
  ASSERT_NE(old_link, nullptr);
  const std::string value(old_link->str, old_link->len);
  const std::string old_nonce = value.substr(value.find(':') + 1);
  ASSERT_TRUE(*a->Unlink("alice", "coach-a"));
  ASSERT_TRUE(*a->Link("alice", "coach-a", kAt));  // Linked again.
  int later_calls = 0;
  auto later = *b->WatchUnlink("alice", "coach-a", [&] { ++later_calls; });
  absl::Notification carol_revoked;
  auto carol =
      *b->WatchUnlink("carol", "coach-a", [&] { carol_revoked.Notify(); });

  // The first unlink's message arrives late at b; then carol's unlink.
  // Messages are handled in order: once carol's watch is called, the stale
  // one has been handled too.
  Admin({"PUBLISH", "coachd:coach:unlinked",
         absl::StrCat(old_nonce, " 5 alicecoach-a")});
  ASSERT_TRUE(*a->Unlink("carol", "coach-a"));
  ASSERT_TRUE(carol_revoked.WaitForNotificationWithTimeout(kHangGuard));
  EXPECT_EQ(later_calls, 0);
  EXPECT_EQ(b->WatchCountForTest(), 1);
}

TEST_F(RedisLinksTest, ALostUnlinkMessageRevokesOnceTheListenerResubscribes) {
  std::unique_ptr<RedisCoachLinkStore> a = NewStore();
  std::unique_ptr<RedisCoachLinkStore> b = NewStore();
  ASSERT_TRUE(*a->Link("alice", "coach-a", kAt));
  ASSERT_TRUE(*a->Link("alice", "coach-b", kAt));
  absl::Notification revoked;
  int kept_calls = 0;
  auto watch = *b->WatchUnlink("alice", "coach-a", [&] { revoked.Notify(); });
  auto kept = *b->WatchUnlink("alice", "coach-b", [&] { ++kept_calls; });
  const int64_t subscriptions = b->SubscriptionsForTest();

  // The link goes without a message (as if b's listener had been away
  // when it was published), then b's listener loses its connection.
  Admin({"HDEL", "coachd:{person:alice}:coaches", "coach-a"});
  Admin({"HDEL", "coachd:{coach:coach-a}:clients", "alice"});
  Admin({"CLIENT", "KILL", "TYPE", "pubsub"});

  ASSERT_TRUE(revoked.WaitForNotificationWithTimeout(kHangGuard));
  EXPECT_GT(b->SubscriptionsForTest(), subscriptions);
  EXPECT_EQ(b->WatchCountForTest(), 1);
  EXPECT_EQ(kept_calls, 0);
}

TEST_F(RedisLinksTest, RedisDownGivesUnavailableThenRecovers) {
  // No backoff: the first call after Redis is back reconnects.
  std::unique_ptr<RedisCoachLinkStore> links = NewStore(absl::ZeroDuration());
  ASSERT_TRUE(*links->Link("alice", "coach-a", kAt));
  ASSERT_TRUE(redis_->Stop().ok());
  struct Case {
    std::string name;
    std::function<absl::Status()> call;
  };
  const std::vector<Case> cases = {
      {"link", [&] { return links->Link("bob", "coach-a", kAt).status(); }},
      {"unlink", [&] { return links->Unlink("alice", "coach-a").status(); }},
      {"is linked",
       [&] { return links->IsLinked("alice", "coach-a").status(); }},
      {"coaches of", [&] { return links->CoachesOf("alice").status(); }},
      {"clients of", [&] { return links->ClientsOf("coach-a").status(); }},
      {"watch",
       [&] { return links->WatchUnlink("alice", "coach-a", [] {}).status(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::Status s = c.call();
    EXPECT_TRUE(absl::IsUnavailable(s)) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("unreachable"));
  }
  EXPECT_EQ(links->WatchCountForTest(), 0);

  ASSERT_TRUE(redis_->Restart().ok());
  // Back by itself (this Redis keeps no data across restarts).
  absl::StatusOr<bool> linked = links->Link("alice", "coach-a", kAt);
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_TRUE(*links->IsLinked("alice", "coach-a"));
}

}  // namespace
}  // namespace coachd
