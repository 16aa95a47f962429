// What only the Redis store does: survive Redis going away, persist through a
// restart with the deployed config, keep a session in one hash slot, commit
// atomically under races, expire finished sessions, and what it costs.
#include "services/store/redis_session_store.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/redis_server.h"
#include "tests/store/redis_testing.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using ::coachd::testing_store::CommandCalls;
using ::coachd::testing_store::CreateSession;
using ::coachd::testing_store::Events;
using ::coachd::testing_store::NewRecord;
using ::coachd::testing_store::OptionsFor;
using ::coachd::testing_store::Range;
using ::coachd::testing_store::RecordingListener;
using ::coachd::testing_store::RunCommand;
using ::coachd::testing_store::RunInteger;
using ::coachd::testing_store::Sequences;
using ::coachd::testing_store::StartRedis;
using ::coachd::testing_store::TestRedisSessionStore;
using ::coachd::testing_store::TestRedisSessionStoreOptions;
using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

RedisServerOptions WithAof() {
  RedisServerOptions options;
  options.appendonly = true;
  return options;
}

RedisServerOptions WithUnixSocket() {
  RedisServerOptions options;
  options.unix_socket = true;
  return options;
}

absl::Status CommitN(SessionStore& store, coach::internal::SessionRecord* r,
                     int n) {
  return store.Commit(r->last_sequence(), r, Events(n, "more")).status();
}

TEST(RedisSessionStoreTest, RedisDownFailsWithUnavailableNamingTheAddress) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(store, "s1", 1);
  ASSERT_TRUE(redis->Stop().ok());

  RecordingListener listener;
  coach::internal::SessionRecord other = NewRecord("s2");
  struct Case {
    const char* call;
    absl::Status status;
  };
  const Case cases[] = {
      {"Ping", store.Ping()},
      {"Load", store.Load("s1").status()},
      {"Create", store.Create(&other, Events(1, "x")).status()},
      {"Commit", store.Commit(1, &record, Events(1, "y")).status()},
      {"ReadHistory", store.ReadHistory("s1", record.epoch(), 0, 10).status()},
      {"Follow", store.Follow("s1", 0, &listener).status()},
      {"ListLive", store.ListLive().status()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.call);
    EXPECT_EQ(c.status.code(), absl::StatusCode::kUnavailable) << c.status;
    EXPECT_THAT(c.status.message(),
                HasSubstr(absl::StrCat("redis at 127.0.0.1:", redis->port(),
                                       " unreachable: ")));
  }
  EXPECT_EQ(record.last_sequence(), 1);  // A failed commit changes nothing.
}

TEST(RedisSessionStoreTest, RecoversWhenRedisIsBackWithoutANewStore) {
  std::unique_ptr<RedisServer> redis = StartRedis(WithAof());
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.client.min_backoff = absl::ZeroDuration();  // Retry at once.
  options.client.max_backoff = absl::ZeroDuration();
  TestRedisSessionStore store(options);
  coach::internal::SessionRecord record = CreateSession(store, "s1", 1);

  ASSERT_TRUE(redis->Stop().ok());
  EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(redis->Restart().ok());

  EXPECT_TRUE(store.Ping().ok());
  ASSERT_TRUE(CommitN(store, &record, 1).ok());
  EXPECT_EQ(record.last_sequence(), 2);
}

TEST(RedisSessionStoreTest, BacksOffAfterAFailedConnect) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.client.pool_size = 1;
  options.client.min_backoff = absl::Hours(1);
  options.client.max_backoff = absl::Hours(1);
  TestRedisSessionStore store(options);
  ASSERT_TRUE(store.Ping().ok());
  ASSERT_TRUE(redis->Stop().ok());
  EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);  // Drops.
  EXPECT_EQ(store.Ping().code(), absl::StatusCode::kUnavailable);  // Fails.
  const int64_t connects = store.Stats().connects;
  ASSERT_TRUE(redis->Restart().ok());

  // Within the backoff the store does not even try: it fails fast.
  absl::Status in_backoff = store.Ping();
  EXPECT_EQ(in_backoff.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(in_backoff.message(), HasSubstr("Connection refused"));
  EXPECT_EQ(store.Stats().connects, connects);
}

TEST(RedisSessionStoreTest, FollowCarriesOnAcrossARedisRestart) {
  std::unique_ptr<RedisServer> redis = StartRedis(WithAof());
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.client.min_backoff = absl::Milliseconds(10);
  options.client.max_backoff = absl::Milliseconds(50);
  TestRedisSessionStore store(options);
  coach::internal::SessionRecord record = CreateSession(store, "s1", 2);
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      store.Follow("s1", 0, &listener);
  ASSERT_TRUE(follow.ok());
  ASSERT_TRUE(listener.WaitFor(2));

  ASSERT_TRUE(redis->Stop().ok());
  ASSERT_TRUE(redis->Restart().ok());
  // The pool reconnects at once; the reader after its backoff.
  absl::Status committed = CommitN(store, &record, 3);
  ASSERT_TRUE(committed.ok()) << committed;

  ASSERT_TRUE(listener.WaitFor(5));
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(1, 5)));
}

TEST(RedisSessionStoreTest, SessionsSurviveARestartWithTheDeployedConfig) {
  RedisServerOptions server_options;
  server_options.config_file =
      absl::StrCat(COACHD_SOURCE_DIR, "/deploy/redis/redis.conf");
  std::unique_ptr<RedisServer> redis = StartRedis(server_options);
  ASSERT_NE(redis, nullptr);
  coach::internal::SessionRecord record;
  {
    TestRedisSessionStore before(OptionsFor(redis->url()));
    record = CreateSession(before, "s1", 3);
    record.mutable_engine()->set_deadline_us(1767596460000000);
    ASSERT_TRUE(CommitN(before, &record, 2).ok());
  }
  ASSERT_TRUE(redis->Stop().ok());
  ASSERT_TRUE(redis->Restart().ok());

  TestRedisSessionStore after(
      OptionsFor(redis->url()));  // A restarted coachd, too.
  absl::StatusOr<coach::internal::SessionRecord> loaded = after.Load("s1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), record.SerializeAsString());
  absl::StatusOr<HistoryRead> read =
      after.ReadHistory("s1", record.epoch(), 0, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->complete);
  EXPECT_THAT(Sequences(read->events), ElementsAreArray(Range(1, 5)));
  absl::StatusOr<std::vector<std::string>> live = after.ListLive();
  ASSERT_TRUE(live.ok());
  EXPECT_THAT(*live, Contains("s1"));
  ASSERT_TRUE(CommitN(after, &*loaded, 1).ok());
  EXPECT_EQ(loaded->last_sequence(), 6);
}

TEST(RedisSessionStoreTest, ASessionsKeysShareOneHashSlot) {
  RedisServerOptions server_options;
  server_options.extra_args = {"--cluster-enabled", "yes"};
  std::unique_ptr<RedisServer> redis = StartRedis(server_options);
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  for (const std::string id : {"s1", "0123456789abcdef01234567", "a:b"}) {
    SCOPED_TRACE(id);
    EXPECT_THAT(store.StateKey(id), HasSubstr(absl::StrCat("{", id, "}")));
    const int64_t state_slot =
        RunInteger(redis->url(), {"CLUSTER", "KEYSLOT", store.StateKey(id)});
    const int64_t events_slot =
        RunInteger(redis->url(), {"CLUSTER", "KEYSLOT", store.EventsKey(id)});
    EXPECT_GE(state_slot, 0);
    EXPECT_EQ(state_slot, events_slot);
  }
}

TEST(RedisSessionStoreTest, RacingCommitsWithTheSameSequenceHaveOneWinner) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  // Two stores: two coachd processes.
  TestRedisSessionStore a(OptionsFor(redis->url()));
  TestRedisSessionStore b(OptionsFor(redis->url()));
  coach::internal::SessionRecord created = CreateSession(a, "s1", 1);
  constexpr int kRounds = 50;
  absl::Barrier* start[kRounds];
  for (auto& barrier : start) barrier = new absl::Barrier(2);
  std::atomic<int> wins[2] = {0, 0};
  std::atomic<int> aborts[2] = {0, 0};
  std::atomic<int> other_errors{0};
  auto racer = [&](int who, RedisSessionStore* store) {
    for (int round = 0; round < kRounds; ++round) {
      absl::StatusOr<coach::internal::SessionRecord> record;
      // Both start from the same stored sequence (bounded if commits fail).
      for (int load = 0; load < 100000; ++load) {
        record = store->Load("s1");
        if (!record.ok() || record->last_sequence() >= 1 + 2 * round) break;
      }
      if (start[round]->Block()) delete start[round];
      absl::Status s =
          record.ok() ? store
                            ->Commit(1 + 2 * round, &*record,
                                     Events(2, absl::StrCat("racer ", who)))
                            .status()
                      : record.status();
      if (s.ok()) {
        ++wins[who];
      } else if (absl::IsAborted(s)) {
        ++aborts[who];
        // The loser waits for the winner's commit (seen by the Load above).
      } else {
        ++other_errors;
      }
    }
  };
  std::thread ta(racer, 0, &a);
  std::thread tb(racer, 1, &b);
  ta.join();
  tb.join();

  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_EQ(wins[0] + wins[1], kRounds);
  EXPECT_EQ(aborts[0] + aborts[1], kRounds);
  absl::StatusOr<HistoryRead> read =
      a.ReadHistory("s1", created.epoch(), 0, 1000);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->last_sequence, 1 + 2 * kRounds);
  EXPECT_THAT(Sequences(read->events),
              ElementsAreArray(Range(1, 1 + 2 * kRounds)));
  // Each round's two events came from the same winner.
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(round);
    const std::string& first = read->events[1 + 2 * round]->coach_cue().text();
    const std::string& second = read->events[2 + 2 * round]->coach_cue().text();
    EXPECT_EQ(first.substr(0, 7), second.substr(0, 7));
  }
}

TEST(RedisSessionStoreTest, FinishedSessionsExpireAndLeaveTheLiveSet) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.store.finished_ttl = absl::Hours(2);
  TestRedisSessionStore store(options);
  coach::internal::SessionRecord record = CreateSession(store, "s1", 1);
  EXPECT_EQ(RunInteger(redis->url(), {"PTTL", store.StateKey("s1")}), -1);
  EXPECT_EQ(RunInteger(redis->url(), {"ZCARD", store.LiveKey()}), 1);

  record.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(CommitN(store, &record, 1).ok());

  for (const std::string& key : {store.StateKey("s1"), store.EventsKey("s1")}) {
    SCOPED_TRACE(key);
    const int64_t ttl = RunInteger(redis->url(), {"PTTL", key});
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 2 * 3600 * 1000);
  }
  EXPECT_EQ(RunInteger(redis->url(), {"ZCARD", store.LiveKey()}), 0);
}

// The entries of a session's stream: id and number of events, oldest first.
std::vector<std::pair<std::string, int>> Entries(const std::string& url,
                                                 const std::string& key) {
  RedisReply reply = RunCommand(url, {"XRANGE", key, "-", "+"});
  std::vector<std::pair<std::string, int>> entries;
  for (size_t i = 0; reply != nullptr && i < reply->elements; ++i) {
    const redisReply& entry = *reply->element[i];
    const redisReply& fields = *entry.element[1];
    coach::internal::EventBatch batch;
    if (fields.elements != 2 || std::string(fields.element[0]->str) != "b" ||
        !batch.ParseFromArray(fields.element[1]->str,
                              static_cast<int>(fields.element[1]->len))) {
      ADD_FAILURE() << "entry " << entry.element[0]->str << " is not a batch";
    }
    entries.emplace_back(std::string(entry.element[0]->str),
                         batch.events_size());
  }
  return entries;
}

int EventsKept(const std::string& url, const std::string& key) {
  int events = 0;
  for (const auto& [id, n] : Entries(url, key)) events += n;
  return events;
}

TEST(RedisSessionStoreTest, HistoryIsBoundedApproximately) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.store.max_history = 50;
  TestRedisSessionStore store(options);
  coach::internal::SessionRecord record = CreateSession(store, "s1", 1);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(CommitN(store, &record, 50).ok());

  const int kept = EventsKept(redis->url(), store.EventsKey("s1"));
  EXPECT_GE(kept, 50);
  EXPECT_LT(kept, 1001);
  absl::StatusOr<HistoryRead> read =
      store.ReadHistory("s1", record.epoch(), 1001 - 50, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->complete);
  EXPECT_EQ(read->events.size(), 50u);
}

TEST(RedisSessionStoreTest, EachCommitIsOneStreamEntryOfAtMostAThousandEvents) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore writer(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(writer, "s1", 3);
  ASSERT_TRUE(CommitN(writer, &record, 4).ok());     // 4..7
  ASSERT_TRUE(CommitN(writer, &record, 2500).ok());  // 8..2507
  using Entry = std::pair<std::string, int>;
  EXPECT_EQ(Entries(redis->url(), writer.EventsKey("s1")),
            (std::vector<Entry>{{"3-0", 3},
                                {"7-0", 4},
                                {"1007-0", 1000},
                                {"2007-0", 1000},
                                {"2507-0", 500}}));

  // Another replica, with nothing of its own in memory, reads from inside
  // entries and across them.
  TestRedisSessionStore reader(OptionsFor(redis->url()));
  for (int64_t after : {0, 1, 5, 7, 500, 1006, 1007, 2506}) {
    SCOPED_TRACE(absl::StrCat("after ", after));
    absl::StatusOr<HistoryRead> got =
        reader.ReadHistory("s1", record.epoch(), after, 1200);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->complete);
    EXPECT_EQ(Sequences(got->events),
              Range(after + 1, std::min<int64_t>(after + 1200, 2507)));
  }
  EXPECT_EQ(reader.Stats().recent_hits, 0);
}

TEST(RedisSessionStoreTest,
     ReadsEntriesOfEarlierVersionsAndSkipsMalformedOnes) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore writer(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(writer, "s1", 2);
  // Event 3 as earlier versions stored events: one per entry, field "e".
  coach::v1::SessionEvent third = Events(1, "old").front();
  third.set_session_id("s1");
  third.set_epoch(record.epoch());
  third.set_sequence(3);
  const std::string key = writer.EventsKey("s1");
  RunCommand(redis->url(),
             {"XADD", key, "3-0", "e", third.SerializeAsString()});
  // Event 4 is not a batch; event 5 is fine again.
  RunCommand(redis->url(), {"XADD", key, "4-0", "b", "\xff\xff not a batch"});
  coach::v1::SessionEvent fifth = third;
  fifth.set_sequence(5);
  coach::internal::EventBatch batch;
  batch.add_events(fifth.SerializeAsString());
  RunCommand(redis->url(),
             {"XADD", key, "5-0", "b", batch.SerializeAsString()});
  RunCommand(redis->url(), {"HSET", writer.StateKey("s1"), "seq", "5"});

  TestRedisSessionStore reader(OptionsFor(redis->url()));
  absl::StatusOr<HistoryRead> before_it =
      reader.ReadHistory("s1", record.epoch(), 0, 3);
  ASSERT_TRUE(before_it.ok()) << before_it.status();
  EXPECT_TRUE(before_it->complete);
  EXPECT_EQ(Sequences(before_it->events), Range(1, 3));
  EXPECT_EQ(*before_it->events[2].Wire(), third.SerializeAsString());
  // Across it: the reader cannot be caught up event by event.
  absl::StatusOr<HistoryRead> across =
      reader.ReadHistory("s1", record.epoch(), 0, 100);
  ASSERT_TRUE(across.ok()) << across.status();
  EXPECT_FALSE(across->complete);
  EXPECT_TRUE(across->events.empty());
  absl::StatusOr<HistoryRead> after_it =
      reader.ReadHistory("s1", record.epoch(), 4, 100);
  ASSERT_TRUE(after_it.ok()) << after_it.status();
  EXPECT_TRUE(after_it->complete);
  EXPECT_EQ(Sequences(after_it->events), Range(5, 5));
}

TEST(RedisSessionStoreTest, CommitsAfterTheScriptCacheIsFlushed) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(store, "s1", 1);
  RunCommand(redis->url(), {"SCRIPT", "FLUSH"});

  absl::Status s = CommitN(store, &record, 1);

  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(record.last_sequence(), 2);
}

TEST(RedisSessionStoreTest, ServesOverAUnixSocketAndInTheChosenDatabase) {
  std::unique_ptr<RedisServer> redis = StartRedis(WithUnixSocket());
  ASSERT_NE(redis, nullptr);
  struct Case {
    std::string url;
    int db;
  };
  const Case cases[] = {{redis->unix_url(), 0},
                        {redis->unix_url() + "?db=4", 4},
                        {redis->url() + "/3", 3}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    TestRedisSessionStore store(OptionsFor(c.url));
    const std::string id = absl::StrCat("db", c.db);
    CreateSession(store, id, 1);
    absl::StatusOr<coach::internal::SessionRecord> loaded = store.Load(id);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const std::string db_url = absl::StrCat(redis->url(), "/", c.db);
    EXPECT_EQ(RunInteger(db_url, {"EXISTS", store.StateKey(id)}), 1);
    if (c.db != 0) {
      EXPECT_EQ(RunInteger(redis->url(), {"EXISTS", store.StateKey(id)}), 0);
    }
  }
}

TEST(RedisSessionStoreTest, CostsOneRoundTripPerCommitAndNonePerDelivery) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore writer(OptionsFor(redis->url()));
  TestRedisSessionStore reader(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(writer, "s1", 1);
  ASSERT_TRUE(CommitN(writer, &record, 1).ok());  // Scripts cached.
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      reader.Follow("s1", 2, &listener);
  ASSERT_TRUE(follow.ok());
  constexpr int kCommits = 200;
  RunCommand(redis->url(), {"CONFIG", "RESETSTAT"});
  const RedisSessionStoreStats writer_before = writer.Stats();
  const RedisSessionStoreStats reader_before = reader.Stats();

  for (int i = 0; i < kCommits; ++i) {
    ASSERT_TRUE(CommitN(writer, &record, 1).ok());
  }
  ASSERT_TRUE(listener.WaitFor(2 + kCommits));

  const RedisSessionStoreStats w = writer.Stats();
  const RedisSessionStoreStats r = reader.Stats();
  const int64_t commit_trips = w.round_trips - writer_before.round_trips;
  const int64_t commit_commands = w.commands - writer_before.commands;
  const int64_t reads = r.round_trips - reader_before.round_trips;
  std::map<std::string, int64_t> calls = CommandCalls(redis->url());
  std::string server_side;
  for (const auto& [command, n] : calls) {
    absl::StrAppend(&server_side, " ", command, "=", n);
  }
  std::printf(
      "[redis cost] %d commits of 1 event: client %lld round trips, %lld "
      "commands; a follower on another store: %lld round trips (XRANGE "
      "catch-ups, several commits each when they come fast) for %d events; "
      "server commandstats:%s\n",
      kCommits, static_cast<long long>(commit_trips),
      static_cast<long long>(commit_commands), static_cast<long long>(reads),
      kCommits, server_side.c_str());
  ::testing::Test::RecordProperty("commit_round_trips",
                                  static_cast<int>(commit_trips));
  ::testing::Test::RecordProperty("follower_reads", static_cast<int>(reads));

  EXPECT_EQ(commit_trips, kCommits);
  EXPECT_EQ(commit_commands, kCommits);
  EXPECT_EQ(calls["evalsha"], kCommits);
  EXPECT_EQ(calls["xadd"], kCommits);
  // At most one read per event delivered (and maybe the SUBSCRIBE).
  EXPECT_LE(reads, kCommits + 1);
  EXPECT_EQ(calls["xread"], 0);
  EXPECT_LE(calls["xrange"], kCommits);
  EXPECT_EQ(calls["publish"], kCommits);  // One notification per commit.
  EXPECT_EQ(w.connects, 1);               // One pooled connection did it all.
  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(3, 2 + kCommits)));
}

}  // namespace
}  // namespace coachd

namespace coachd {
namespace {

// Each event's serialized form, in order.
std::vector<std::string> Bytes(const std::vector<StoredEvent>& events) {
  std::vector<std::string> out;
  for (const StoredEvent& ev : events) out.push_back(ev->SerializeAsString());
  return out;
}

TEST(RedisSessionStoreTest, HistoryOfItsOwnWritesIsNotReadBackFromRedis) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(OptionsFor(redis->url()));
  TestRedisSessionStore b(OptionsFor(redis->url()));  // Another replica.
  coach::internal::SessionRecord record = CreateSession(a, "s1", 3);
  ASSERT_TRUE(CommitN(a, &record, 4).ok());

  absl::StatusOr<HistoryRead> own = a.ReadHistory("s1", record.epoch(), 0, 100);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(Sequences(own->events), Range(1, 7));
  EXPECT_EQ(a.Stats().recent_hits, 7);  // All of them from the process.

  absl::StatusOr<HistoryRead> other =
      b.ReadHistory("s1", record.epoch(), 0, 100);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(b.Stats().recent_hits, 0);  // B wrote none: all from Redis.
  EXPECT_EQ(Bytes(own->events), Bytes(other->events));

  // Bounded reads start where asked and stop at the limit; when what A
  // keeps fills one, Redis is not asked at all.
  const int64_t round_trips = a.Stats().round_trips;
  absl::StatusOr<HistoryRead> middle =
      a.ReadHistory("s1", record.epoch(), 2, 3);
  ASSERT_TRUE(middle.ok()) << middle.status();
  EXPECT_TRUE(middle->complete);
  EXPECT_EQ(Sequences(middle->events), Range(3, 5));
  EXPECT_EQ(a.Stats().round_trips, round_trips);
  // Up to the end of a running session: Redis says where it stands.
  absl::StatusOr<HistoryRead> rest = a.ReadHistory("s1", record.epoch(), 5, 3);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(Sequences(rest->events), Range(6, 7));
  EXPECT_EQ(rest->last_sequence, 7);
  EXPECT_EQ(a.Stats().round_trips, round_trips + 1);
}

TEST(RedisSessionStoreTest, HistoryOfASessionItFinishedNeedsNoRoundTrip) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore store(OptionsFor(redis->url()));
  coach::internal::SessionRecord record = CreateSession(store, "s1", 3);
  record.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(CommitN(store, &record, 4).ok());  // 4..7, the last ones.

  const int64_t round_trips = store.Stats().round_trips;
  for (int64_t after : {0, 5, 7}) {
    SCOPED_TRACE(absl::StrCat("after ", after));
    absl::StatusOr<HistoryRead> read =
        store.ReadHistory("s1", record.epoch(), after, 100);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(read->complete);
    EXPECT_EQ(read->last_sequence, 7);
    EXPECT_EQ(read->epoch, record.epoch());
    EXPECT_EQ(Sequences(read->events), Range(after + 1, 7));
  }
  EXPECT_EQ(store.Stats().round_trips, round_trips);
  // Past the end, or another epoch: asked of Redis, as before.
  absl::StatusOr<HistoryRead> ahead =
      store.ReadHistory("s1", record.epoch(), 9, 100);
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  EXPECT_FALSE(ahead->complete);
  EXPECT_GT(store.Stats().round_trips, round_trips);
}

TEST(RedisSessionStoreTest, AFinishedSessionThatMayHaveExpiredIsAskedOfRedis) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStoreOptions options = OptionsFor(redis->url());
  options.store.finished_ttl =
      absl::ZeroDuration();  // Gone as soon as finished.
  TestRedisSessionStore store(options);
  coach::internal::SessionRecord record = CreateSession(store, "s1", 3);
  record.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(CommitN(store, &record, 1).ok());
  absl::StatusOr<HistoryRead> read =
      store.ReadHistory("s1", record.epoch(), 0, 100);
  EXPECT_TRUE(absl::IsNotFound(read.status())) << read.status();
}

TEST(RedisSessionStoreTest, AnotherReplicasCommitInBetweenIsReadFromRedis) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(OptionsFor(redis->url()));
  TestRedisSessionStore b(OptionsFor(redis->url()));
  coach::internal::SessionRecord record =
      CreateSession(a, "s1", 3);  // 1..3 by A
  absl::StatusOr<coach::internal::SessionRecord> at_b = b.Load("s1");
  ASSERT_TRUE(at_b.ok());
  ASSERT_TRUE(CommitN(b, &*at_b, 2).ok());  // 4..5 by B
  absl::StatusOr<coach::internal::SessionRecord> at_a = a.Load("s1");
  ASSERT_TRUE(at_a.ok());
  ASSERT_TRUE(CommitN(a, &*at_a, 1).ok());  // 6 by A

  for (int64_t after : {0, 2, 3, 4, 5}) {
    SCOPED_TRACE(absl::StrCat("after ", after));
    absl::StatusOr<HistoryRead> got =
        a.ReadHistory("s1", record.epoch(), after, 100);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->complete);
    EXPECT_EQ(Sequences(got->events), Range(after + 1, 6));
    absl::StatusOr<HistoryRead> want =
        b.ReadHistory("s1", record.epoch(), after, 100);
    ASSERT_TRUE(want.ok()) << want.status();
    EXPECT_EQ(Bytes(got->events), Bytes(want->events));
  }
}

TEST(RedisSessionStoreTest, ARecreatedSessionIsNotServedItsOldEvents) {
  std::unique_ptr<RedisServer> redis = StartRedis();
  ASSERT_NE(redis, nullptr);
  TestRedisSessionStore a(OptionsFor(redis->url()));
  coach::internal::SessionRecord old = CreateSession(a, "s1", 3);
  ASSERT_EQ(RunInteger(redis->url(), {"DEL", a.StateKey("s1")}), 1);
  coach::internal::SessionRecord fresh = CreateSession(a, "s1", 2);
  ASSERT_NE(fresh.epoch(), old.epoch());
  absl::StatusOr<HistoryRead> stale = a.ReadHistory("s1", old.epoch(), 0, 100);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(stale->complete);
  absl::StatusOr<HistoryRead> now = a.ReadHistory("s1", fresh.epoch(), 0, 100);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(Sequences(now->events), Range(1, 2));
  for (const StoredEvent& ev : now->events)
    EXPECT_EQ(ev->epoch(), fresh.epoch());
}

}  // namespace
}  // namespace coachd
