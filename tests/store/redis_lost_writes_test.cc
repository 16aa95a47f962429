// Writes a failover loses: Redis replicates asynchronously, so a replica
// promoted to primary may lack a session's last events. The store notices
// (the new primary's history began with a promotion after the session's
// last write) and moves the session to a new epoch instead of numbering new
// events as if they followed the lost ones. A primary and a replica are
// real redis-servers; `REPLICAOF NO ONE` on the replica is the promotion
// Sentinel would make, so which write is lost is exact.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/store/redis_testing.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing_store::CreateSession;
using testing_store::Events;
using testing_store::OptionsFor;
using testing_store::Range;
using testing_store::RecordingListener;
using testing_store::RunCommand;
using testing_store::Sequences;
using testing_store::StartRedis;
using testing_store::TestRedisSessionStore;
using testing_store::WaitUntil;

// Appends `n` events to `record` on `store` (expected: its last sequence).
absl::StatusOr<std::vector<StoredEvent>> Append(SessionStore& store,
                                                SessionRecord* record, int n,
                                                const std::string& tag) {
  return store.Commit(record->last_sequence(), record, Events(n, tag));
}

// A primary and its replica, in sync.
struct PrimaryAndReplica {
  PrimaryAndReplica() {
    RedisServerOptions no_delay;  // Sync the replica at once, not in 5 s.
    no_delay.extra_args = {"--repl-diskless-sync-delay", "0"};
    primary = StartRedis(no_delay);
    if (primary == nullptr) return;
    RedisServerOptions options;
    options.extra_args = {"--replicaof", "127.0.0.1",
                          absl::StrCat(primary->port())};
    replica = StartRedis(options);
    if (replica == nullptr) return;
    synced = WaitUntil([&] {
      RedisReply info = RunCommand(replica->url(), {"INFO", "replication"});
      return info != nullptr &&
             absl::StrContains(ReplyText(*info), "master_link_status:up");
    });
  }
  // Until the replica has every write so far: WAIT counts the replicas
  // that have the connection's own last write, so it writes first.
  bool Replicated() {
    RedisConnection conn(
        RedisConnectionOptions{*ParseRedisUrl(primary->url())});
    absl::StatusOr<std::vector<RedisReply>> replies =
        conn.Pipeline({{"INCR", "replicated"}, {"WAIT", "1", "5000"}});
    return replies.ok() && (*replies)[1]->type == REDIS_REPLY_INTEGER &&
           (*replies)[1]->integer == 1;
  }
  // What Sentinel does to the replica it promotes.
  void Promote() {
    RedisReply ok = RunCommand(replica->url(), {"REPLICAOF", "NO", "ONE"});
    EXPECT_NE(ok, nullptr);
  }

  std::unique_ptr<RedisServer> primary;
  std::unique_ptr<RedisServer> replica;
  bool synced = false;
};

TEST(RedisLostWritesTest, ACommitAfterAFailoverThatLostEventsStartsANewEpoch) {
  PrimaryAndReplica servers;
  ASSERT_TRUE(servers.synced);
  TestRedisSessionStore old_primary(OptionsFor(servers.primary->url()));
  SessionRecord record = CreateSession(old_primary, "s1", 3);
  const std::string first_epoch = record.epoch();
  ASSERT_TRUE(servers.Replicated());
  servers.Promote();
  // Event 4 reaches the old primary only: devices may have seen it.
  ASSERT_TRUE(Append(old_primary, &record, 1, "lost").ok());
  ASSERT_EQ(record.last_sequence(), 4);

  TestRedisSessionStore new_primary(OptionsFor(servers.replica->url()));
  absl::StatusOr<SessionRecord> loaded = new_primary.Load("s1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->last_sequence(), 3);
  // This store wrote nothing yet, so it follows from what it has: 3.
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      new_primary.Follow("s1", 3, &listener);
  ASSERT_TRUE(follow.ok()) << follow.status();

  absl::StatusOr<std::vector<StoredEvent>> after =
      Append(new_primary, &*loaded, 2, "after");
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_THAT(Sequences(*after), ElementsAre(4, 5));
  const std::string second_epoch = loaded->epoch();
  EXPECT_NE(second_epoch, first_epoch);
  for (const StoredEvent& ev : *after) EXPECT_EQ(ev->epoch(), second_epoch);

  // A device at (first epoch, 4) cannot be caught up: it gets a snapshot.
  absl::StatusOr<HistoryRead> stale =
      new_primary.ReadHistory("s1", first_epoch, 4, 10);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(stale->complete);
  EXPECT_EQ(stale->epoch, second_epoch);
  ASSERT_TRUE(listener.WaitFor(5));
  EXPECT_THAT(listener.sequences(), ElementsAre(4, 5));
  EXPECT_EQ(listener.events().front()->epoch(), second_epoch);

  // From then on the new epoch goes on as usual: one move per failover.
  ASSERT_TRUE(Append(new_primary, &*loaded, 1, "later").ok());
  EXPECT_EQ(loaded->epoch(), second_epoch);
  EXPECT_EQ(loaded->last_sequence(), 6);
}

TEST(RedisLostWritesTest, AFollowerAheadOfTheNewPrimaryGetsTheNewEpoch) {
  PrimaryAndReplica servers;
  ASSERT_TRUE(servers.synced);
  TestRedisSessionStore old_primary(OptionsFor(servers.primary->url()));
  SessionRecord record = CreateSession(old_primary, "s1", 3);
  ASSERT_TRUE(servers.Replicated());
  servers.Promote();
  ASSERT_TRUE(Append(old_primary, &record, 2, "lost").ok());  // 4 and 5.

  // Two replicas on the new primary; each has a follower that got 5 from
  // the old one. Each gets the new epoch's events from the first it is
  // handed (the writer's from the write itself, or a catch-up read that
  // came first; the other's once they pass its cursor), then each once.
  auto options = OptionsFor(servers.replica->url());
  TestRedisSessionStore writer(options);
  TestRedisSessionStore other(options);
  RecordingListener on_writer;
  RecordingListener on_other;
  absl::StatusOr<std::unique_ptr<FollowHandle>> a =
      writer.Follow("s1", 5, &on_writer);
  absl::StatusOr<std::unique_ptr<FollowHandle>> b =
      other.Follow("s1", 5, &on_other);
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<SessionRecord> loaded = writer.Load("s1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(Append(writer, &*loaded, 3, "after").ok());  // 4, 5, 6.
  ASSERT_NE(loaded->epoch(), record.epoch());

  ASSERT_TRUE(on_writer.WaitFor(6));
  ASSERT_TRUE(on_other.WaitFor(6));
  EXPECT_THAT(on_other.sequences(), ElementsAre(6));
  for (const RecordingListener* l : {&on_writer, &on_other}) {
    const std::vector<int64_t> got = l->sequences();
    ASSERT_FALSE(got.empty());
    EXPECT_GE(got.front(), 4);
    EXPECT_EQ(got, Range(got.front(), 6));
    for (const StoredEvent& ev : l->events()) {
      EXPECT_EQ(ev->epoch(), loaded->epoch());
    }
  }
}

TEST(RedisLostWritesTest, ARestartedPrimaryKeepsTheEpoch) {
  RedisServerOptions aof;
  aof.appendonly = true;
  std::unique_ptr<RedisServer> redis = StartRedis(aof);
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  SessionRecord record = CreateSession(store, "s1", 2);
  const std::string epoch = record.epoch();
  ASSERT_TRUE(redis->Stop().ok());
  ASSERT_TRUE(redis->Restart().ok());  // A new replication id, no promotion.
  absl::Status committed = absl::UnavailableError("not yet");
  ASSERT_TRUE(WaitUntil([&] {
    committed = Append(store, &record, 1, "after").status();
    return committed.ok();
  })) << committed;
  EXPECT_EQ(record.epoch(), epoch);
  EXPECT_EQ(record.last_sequence(), 3);
}

// Microseconds per call of `command` in INFO commandstats (0 if absent).
double UsecPerCall(const std::string& url, const std::string& command) {
  RedisReply info = RunCommand(url, {"INFO", "commandstats"});
  if (info == nullptr) return 0;
  const std::string text(ReplyText(*info));
  const std::string key = absl::StrCat("cmdstat_", command, ":");
  size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  at = text.find("usec_per_call=", at);
  double usec = 0;
  if (at == std::string::npos ||
      !absl::SimpleAtod(text.substr(at + 14, text.find(',', at) - at - 14),
                        &usec)) {
    return 0;
  }
  return usec;
}

// The figures of docs/OPERATIONS.md ("Redis failover"): what the check
// costs each commit, and what waiting for the replica (WAIT 1, the other
// way to keep the promise) would cost. Prints them; asserts only counts,
// not times (the machine may be loaded).
TEST(RedisLostWritesTest, WhatTheCheckCostsAndWhatWaitingWouldCost) {
  constexpr int kCommits = 300;
  PrimaryAndReplica servers;
  ASSERT_TRUE(servers.synced);
  auto options = OptionsFor(servers.primary->url());
  options.client.pool_size = 1;  // WAIT must follow the commit's connection.
  options.store.recent.max_sessions = 0;
  TestRedisSessionStore store(options);
  SessionRecord record = CreateSession(store, "s1", 1);
  RunCommand(servers.primary->url(), {"CONFIG", "RESETSTAT"});

  auto run = [&](bool wait) {
    std::vector<double> us;
    const RedisSessionStoreStats before = store.Stats();
    for (int i = 0; i < kCommits; ++i) {
      const absl::Time start = absl::Now();
      EXPECT_TRUE(Append(store, &record, 1, "e").ok());
      if (wait) {
        absl::StatusOr<RedisReply> acked =
            store.own_client().Call({"WAIT", "1", "1000"});
        EXPECT_TRUE(acked.ok() && (*acked)->integer == 1);
      }
      us.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    }
    std::sort(us.begin(), us.end());
    const double trips =
        static_cast<double>(store.Stats().round_trips - before.round_trips) /
        kCommits;
    return std::vector<double>{us[us.size() / 2], us[us.size() * 99 / 100],
                               trips};
  };
  const std::vector<double> plain = run(false);
  const std::vector<double> waited = run(true);
  const double info_us = UsecPerCall(servers.primary->url(), "info");
  const double script_us = UsecPerCall(servers.primary->url(), "evalsha");
  std::printf(
      "[failover cost] %d commits of 1 event, primary + 1 replica on "
      "loopback: commit p50 %.0f us p99 %.0f us, %.2f round trips; "
      "with WAIT 1 after each: p50 %.0f us p99 %.0f us, %.2f round trips. "
      "Server side: the write script %.1f us per call, of which the "
      "check's INFO replication %.1f us\n",
      kCommits, plain[0], plain[1], plain[2], waited[0], waited[1], waited[2],
      script_us, info_us);
  EXPECT_EQ(plain[2], 1.0);   // The check adds no round trip.
  EXPECT_EQ(waited[2], 2.0);  // WAIT adds one (or its latency, pipelined).
  const std::map<std::string, int64_t> calls =
      testing_store::CommandCalls(servers.primary->url());
  EXPECT_GE(calls.at("info"), 2 * kCommits);  // One per commit (+ ours).
}

}  // namespace
}  // namespace coachd
