// One suite, two stores: everything SessionStore documents, checked against
// the embedded MemorySessionStore and against RedisSessionStore on a real
// redis-server.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "services/store/memory_session_store.h"
#include "services/store/redis_session_store.h"
#include "tests/common/redis_server.h"
#include "tests/common/shared_redis.h"
#include "tests/store/redis_testing.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using ::coachd::testing_store::Events;
using ::coachd::testing_store::NewRecord;
using ::coachd::testing_store::Range;
using ::coachd::testing_store::RecordingListener;
using ::coachd::testing_store::Sequences;
using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::Not;

// Makes MemorySessionStores.
struct MemoryFactory {
  // Create and Commit return the very objects followers get, and history
  // holds their bytes (the same Wire()).
  static constexpr bool kSameObjects = true;
  // ReadHistory's last_sequence is always the session's last sequence.
  static constexpr bool kExactLastSequence = true;
  static std::unique_ptr<SessionStore> Make(int max_history) {
    MemorySessionStoreOptions options;
    options.max_history = max_history;
    return std::make_unique<MemorySessionStore>(options);
  }
};

// The redis-server the suite shares (tests/common/shared_redis.h).
::testing::Environment* const shared_redis =
    ::testing::AddGlobalTestEnvironment(new SharedRedis);

// Makes RedisSessionStores on the shared redis-server, emptied for each store.
struct RedisFactory {
  // History and followers may give events read back from Redis: equal to
  // those Create and Commit return, not the same objects.
  static constexpr bool kSameObjects = false;
  // A full ReadHistory answered from the events the store keeps gives the
  // last of them as last_sequence.
  static constexpr bool kExactLastSequence = false;
  static std::unique_ptr<SessionStore> Make(int max_history) {
    RedisServer* server = SharedRedis::Get();
    if (server == nullptr) return nullptr;
    absl::StatusOr<RedisAddress> address = ParseRedisUrl(server->url());
    if (!address.ok()) return nullptr;
    RedisConnection admin(RedisConnectionOptions{*address});
    absl::StatusOr<RedisReply> flushed = admin.Command({"FLUSHALL"});
    if (!flushed.ok()) {
      ADD_FAILURE() << flushed.status();
      return nullptr;
    }
    testing_store::TestRedisSessionStoreOptions options =
        testing_store::OptionsFor(server->url());
    options.store.max_history = max_history;
    return std::make_unique<testing_store::TestRedisSessionStore>(options);
  }
};

template <typename Factory>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::Make(10000);
    ASSERT_NE(store_, nullptr);
  }

  // Creates session `id` with `n` events; returns its record.
  coach::internal::SessionRecord CreateSession(const std::string& id, int n) {
    coach::internal::SessionRecord record = NewRecord(id);
    absl::StatusOr<std::vector<StoredEvent>> s =
        store_->Create(&record, Events(n, "start"));
    EXPECT_TRUE(s.ok()) << s.status();
    return record;
  }

  // Commits `n` events to `record`'s session; expects success.
  void CommitEvents(coach::internal::SessionRecord* record, int n) {
    absl::StatusOr<std::vector<StoredEvent>> s =
        store_->Commit(record->last_sequence(), record, Events(n, "more"));
    ASSERT_TRUE(s.ok()) << s.status();
  }

  std::unique_ptr<SessionStore> store_;
};

struct StoreNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same<T, MemoryFactory>::value ? "Memory" : "Redis";
  }
};

using StoreTypes = ::testing::Types<MemoryFactory, RedisFactory>;
TYPED_TEST_SUITE(StoreConformanceTest, StoreTypes, StoreNames);

TYPED_TEST(StoreConformanceTest, CreateNumbersEventsFromOne) {
  coach::internal::SessionRecord record = NewRecord("s1");
  absl::StatusOr<std::vector<StoredEvent>> events =
      this->store_->Create(&record, Events(3, "start"));
  ASSERT_TRUE(events.ok()) << events.status();

  EXPECT_EQ(record.last_sequence(), 3);
  EXPECT_FALSE(record.epoch().empty());
  ASSERT_EQ(events->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*events)[i]->sequence(), i + 1);
    EXPECT_EQ((*events)[i]->session_id(), "s1");
    EXPECT_EQ((*events)[i]->epoch(), record.epoch());
  }
  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("s1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->SerializeAsString(), record.SerializeAsString());
}

TYPED_TEST(StoreConformanceTest, SessionsGetTheirOwnEpochs) {
  coach::internal::SessionRecord a = this->CreateSession("a", 1);
  coach::internal::SessionRecord b = this->CreateSession("b", 1);
  EXPECT_NE(a.epoch(), b.epoch());
}

TYPED_TEST(StoreConformanceTest, CreateTwiceIsAlreadyExistsAndChangesNothing) {
  coach::internal::SessionRecord first = this->CreateSession("s1", 2);
  coach::internal::SessionRecord again = NewRecord("s1");
  again.set_owner("someone-else");

  EXPECT_EQ(this->store_->Create(&again, Events(5, "again")).status().code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("s1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->SerializeAsString(), first.SerializeAsString());
  absl::StatusOr<HistoryRead> read =
      this->store_->ReadHistory("s1", first.epoch(), 0, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Sequences(read->events), ElementsAreArray(Range(1, 2)));
}

TYPED_TEST(StoreConformanceTest, UnknownSessionIsNotFound) {
  coach::internal::SessionRecord record = NewRecord("nobody");
  RecordingListener listener;
  struct Case {
    const char* call;
    absl::Status status;
  };
  const Case cases[] = {
      {"Load", this->store_->Load("nobody").status()},
      {"Commit", this->store_->Commit(0, &record, Events(1, "x")).status()},
      {"ReadHistory", this->store_->ReadHistory("nobody", "e", 0, 10).status()},
      {"Follow", this->store_->Follow("nobody", 0, &listener).status()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.call);
    EXPECT_EQ(c.status.code(), absl::StatusCode::kNotFound) << c.status;
  }
}

TYPED_TEST(StoreConformanceTest, CommitAppendsAfterTheExpectedSequence) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 3);
  const std::string epoch = record.epoch();
  record.mutable_engine()->set_step_index(7);

  absl::StatusOr<std::vector<StoredEvent>> events =
      this->store_->Commit(3, &record, Events(2, "more"));
  ASSERT_TRUE(events.ok()) << events.status();

  EXPECT_EQ(record.last_sequence(), 5);
  EXPECT_EQ(record.epoch(), epoch);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0]->sequence(), 4);
  EXPECT_EQ((*events)[1]->sequence(), 5);
  EXPECT_EQ((*events)[1]->epoch(), epoch);
  EXPECT_EQ((*events)[1]->session_id(), "s1");
  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("s1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->engine().step_index(), 7);
  EXPECT_EQ(loaded->last_sequence(), 5);
}

TYPED_TEST(StoreConformanceTest, CommitWithoutEventsReplacesTheRecordOnly) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 3);
  record.mutable_engine()->set_step_index(2);

  absl::StatusOr<std::vector<StoredEvent>> none =
      this->store_->Commit(3, &record, {});
  ASSERT_TRUE(none.ok()) << none.status();

  EXPECT_THAT(*none, IsEmpty());
  EXPECT_EQ(record.last_sequence(), 3);
  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("s1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->engine().step_index(), 2);
  EXPECT_EQ(loaded->last_sequence(), 3);
}

TYPED_TEST(StoreConformanceTest,
           CommitWithAWrongSequenceIsAbortedAndWritesNothing) {
  coach::internal::SessionRecord stored = this->CreateSession("s1", 3);
  for (int64_t wrong : {0, 2, 4, 100}) {
    SCOPED_TRACE(absl::StrCat("expected ", wrong));
    coach::internal::SessionRecord record = stored;
    record.mutable_engine()->set_step_index(9);

    EXPECT_EQ(
        this->store_->Commit(wrong, &record, Events(2, "late")).status().code(),
        absl::StatusCode::kAborted);

    absl::StatusOr<coach::internal::SessionRecord> loaded =
        this->store_->Load("s1");
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->SerializeAsString(), stored.SerializeAsString());
    absl::StatusOr<HistoryRead> read =
        this->store_->ReadHistory("s1", stored.epoch(), 0, 100);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->last_sequence, 3);
    EXPECT_THAT(Sequences(read->events), ElementsAreArray(Range(1, 3)));
  }
}

TYPED_TEST(StoreConformanceTest, CommitKeepsTheStoredEpoch) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 1);
  const std::string epoch = record.epoch();
  record.set_epoch("");  // A record that lost its epoch on the way.

  absl::StatusOr<std::vector<StoredEvent>> events =
      this->store_->Commit(1, &record, Events(1, "more"));
  ASSERT_TRUE(events.ok()) << events.status();

  EXPECT_EQ(record.epoch(), epoch);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0]->epoch(), epoch);
  EXPECT_EQ((*events)[0]->sequence(), 2);
  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("s1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->epoch(), epoch);
}

TYPED_TEST(StoreConformanceTest, ReadHistoryReturnsWhatWasCommitted) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 2);
  absl::StatusOr<std::vector<StoredEvent>> events =
      this->store_->Commit(2, &record, Events(3, "more"));
  ASSERT_TRUE(events.ok()) << events.status();

  absl::StatusOr<HistoryRead> read =
      this->store_->ReadHistory("s1", record.epoch(), 2, 100);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->events.size(), 3u);
  ASSERT_EQ(events->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(read->events[i]->SerializeAsString(),
              (*events)[i]->SerializeAsString());
  }
}

// What Create and Commit return is what was stored: numbered from the
// expected sequence on, with the session's id and epoch, the payloads given,
// a wire form that is their bytes; and what ReadHistory and Follow give for
// them: the very objects in the memory store, equal ones in Redis.
TYPED_TEST(StoreConformanceTest, CreateAndCommitReturnTheStoredEvents) {
  coach::internal::SessionRecord record = NewRecord("s1");
  absl::StatusOr<std::vector<StoredEvent>> created =
      this->store_->Create(&record, Events(2, "start"));
  ASSERT_TRUE(created.ok()) << created.status();
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      this->store_->Follow("s1", 0, &listener);
  ASSERT_TRUE(follow.ok()) << follow.status();
  ASSERT_TRUE(listener.WaitFor(2));
  absl::StatusOr<std::vector<StoredEvent>> committed =
      this->store_->Commit(2, &record, Events(3, "more"));
  ASSERT_TRUE(committed.ok()) << committed.status();
  ASSERT_TRUE(listener.WaitFor(5));
  absl::StatusOr<HistoryRead> read =
      this->store_->ReadHistory("s1", record.epoch(), 0, 100);
  ASSERT_TRUE(read.ok()) << read.status();

  std::vector<StoredEvent> returned = *created;
  returned.insert(returned.end(), committed->begin(), committed->end());
  const std::vector<StoredEvent> followed = listener.events();
  ASSERT_EQ(returned.size(), 5u);
  ASSERT_EQ(followed.size(), 5u);
  ASSERT_EQ(read->events.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const StoredEvent& ev = returned[i];
    EXPECT_EQ(ev->sequence(), i + 1);
    EXPECT_EQ(ev->session_id(), "s1");
    EXPECT_EQ(ev->epoch(), record.epoch());
    EXPECT_EQ(ev->coach_cue().text(),
              i < 2 ? absl::StrCat("start ", i) : absl::StrCat("more ", i - 2));
    EXPECT_EQ(*ev.Wire(), ev->SerializeAsString());
    if (TypeParam::kSameObjects) {
      // Listeners get the very objects committed after they follow; history
      // (and so a follow's missed events) keeps their bytes, parsed only
      // when read (and then equal).
      if (i >= 2) {
        EXPECT_EQ(ev.get(), followed[i].get());
      }
      EXPECT_EQ(ev.Wire().get(), followed[i].Wire().get());
      EXPECT_EQ(ev.Wire().get(), read->events[i].Wire().get());
      EXPECT_EQ(read->events[i].sequence(), i + 1);
      EXPECT_EQ(read->events[i]->SerializeAsString(), ev->SerializeAsString());
    } else {
      EXPECT_EQ(followed[i]->SerializeAsString(), ev->SerializeAsString());
      EXPECT_EQ(read->events[i]->SerializeAsString(), ev->SerializeAsString());
    }
  }
}

TYPED_TEST(StoreConformanceTest, ReadHistoryTellsWhetherItIsComplete) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 5);
  struct Case {
    const char* name;
    std::string epoch;
    int64_t after;
    int max;
    bool complete;
    std::vector<int64_t> sequences;
  };
  const Case cases[] = {
      {"from the start", record.epoch(), 0, 100, true, Range(1, 5)},
      {"from the middle", record.epoch(), 2, 100, true, Range(3, 5)},
      {"at most max", record.epoch(), 1, 2, true, Range(2, 3)},
      {"nothing new", record.epoch(), 5, 100, true, {}},
      {"ahead of history", record.epoch(), 6, 100, false, {}},
      {"another epoch", "not-" + record.epoch(), 2, 100, false, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<HistoryRead> read =
        this->store_->ReadHistory("s1", c.epoch, c.after, c.max);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->complete, c.complete);
    EXPECT_EQ(read->epoch, record.epoch());
    if (!TypeParam::kExactLastSequence && c.complete &&
        static_cast<int>(c.sequences.size()) == c.max) {
      // A full answer may come from memory: the session is at least there.
      EXPECT_GE(read->last_sequence, c.sequences.back());
      EXPECT_LE(read->last_sequence, 5);
    } else {
      EXPECT_EQ(read->last_sequence, 5);
    }
    EXPECT_THAT(Sequences(read->events), ElementsAreArray(c.sequences));
  }
}

TYPED_TEST(StoreConformanceTest, TrimmedHistoryIsIncomplete) {
  // Redis trims approximately (whole stream nodes of 100 entries), so the
  // session outgrows a 5-event history by far.
  this->store_ = TypeParam::Make(5);
  ASSERT_NE(this->store_, nullptr);
  coach::internal::SessionRecord record = this->CreateSession("s1", 100);
  this->CommitEvents(&record, 100);
  this->CommitEvents(&record, 100);
  ASSERT_EQ(record.last_sequence(), 300);

  absl::StatusOr<HistoryRead> from_start =
      this->store_->ReadHistory("s1", record.epoch(), 0, 1000);
  ASSERT_TRUE(from_start.ok());
  EXPECT_FALSE(from_start->complete);
  EXPECT_THAT(from_start->events, IsEmpty());

  absl::StatusOr<HistoryRead> recent =
      this->store_->ReadHistory("s1", record.epoch(), 295, 1000);
  ASSERT_TRUE(recent.ok());
  EXPECT_TRUE(recent->complete);
  EXPECT_THAT(Sequences(recent->events), ElementsAreArray(Range(296, 300)));
}

TYPED_TEST(StoreConformanceTest, FollowDeliversStoredThenLiveEventsOnce) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 3);
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      this->store_->Follow("s1", 1, &listener);
  ASSERT_TRUE(follow.ok()) << follow.status();
  ASSERT_TRUE(listener.WaitFor(3));

  this->CommitEvents(&record, 2);
  this->CommitEvents(&record, 1);
  ASSERT_TRUE(listener.WaitFor(6));

  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(2, 6)));
  std::vector<StoredEvent> got = listener.events();
  EXPECT_EQ(got.back()->session_id(), "s1");
  EXPECT_EQ(got.back()->epoch(), record.epoch());
  EXPECT_EQ(got.back()->coach_cue().text(), "more 0");
}

TYPED_TEST(StoreConformanceTest, FollowFromTheEndDeliversOnlyNewEvents) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 3);
  RecordingListener listener;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      this->store_->Follow("s1", 3, &listener);
  ASSERT_TRUE(follow.ok());

  this->CommitEvents(&record, 1);
  ASSERT_TRUE(listener.WaitFor(4));

  EXPECT_THAT(listener.sequences(), ElementsAreArray(Range(4, 4)));
}

TYPED_TEST(StoreConformanceTest, DestroyedFollowGetsNothingMore) {
  coach::internal::SessionRecord record = this->CreateSession("s1", 2);
  RecordingListener stopped;
  RecordingListener witness;
  absl::StatusOr<std::unique_ptr<FollowHandle>> follow =
      this->store_->Follow("s1", 0, &stopped);
  ASSERT_TRUE(follow.ok());
  ASSERT_TRUE(stopped.WaitFor(2));
  absl::StatusOr<std::unique_ptr<FollowHandle>> watching =
      this->store_->Follow("s1", 2, &witness);
  ASSERT_TRUE(watching.ok());

  follow->reset();
  this->CommitEvents(&record, 2);

  // The witness proves the events went out; the stopped listener missed them.
  ASSERT_TRUE(witness.WaitFor(4));
  EXPECT_THAT(stopped.sequences(), ElementsAreArray(Range(1, 2)));
}

TYPED_TEST(StoreConformanceTest, ListLiveExcludesFinishedSessions) {
  coach::internal::SessionRecord running = this->CreateSession("running", 1);
  coach::internal::SessionRecord done = this->CreateSession("done", 1);
  done.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(this->store_->Commit(1, &done, Events(1, "bye")).ok());

  absl::StatusOr<std::vector<std::string>> live = this->store_->ListLive();
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_THAT(*live, Contains("running"));
  EXPECT_THAT(*live, Not(Contains("done")));
}

TYPED_TEST(StoreConformanceTest, FinishedSessionsCanStillBeRead) {
  coach::internal::SessionRecord done = this->CreateSession("done", 1);
  done.mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(this->store_->Commit(1, &done, Events(1, "bye")).ok());

  absl::StatusOr<coach::internal::SessionRecord> loaded =
      this->store_->Load("done");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  absl::StatusOr<HistoryRead> read =
      this->store_->ReadHistory("done", done.epoch(), 0, 10);
  ASSERT_TRUE(read.ok());
  EXPECT_THAT(Sequences(read->events), ElementsAreArray(Range(1, 2)));
}

TYPED_TEST(StoreConformanceTest, PingIsOk) {
  EXPECT_TRUE(this->store_->Ping().ok());
}

}  // namespace
}  // namespace coachd
