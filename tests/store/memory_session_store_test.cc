// MemorySessionStore behaviour beyond the conformance suite: bounded memory,
// and the record's last cue kept once (as its history event) yet loaded whole.
#include "services/store/memory_session_store.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/store/store_testing.h"

namespace coachd {
namespace {

using testing_store::Events;
using testing_store::NewRecord;

// Finishes `id` with one more event.
void Finish(MemorySessionStore& store, const std::string& id) {
  absl::StatusOr<coach::internal::SessionRecord> record = store.Load(id);
  ASSERT_TRUE(record.ok()) << record.status();
  const int64_t expected = record->last_sequence();
  record->mutable_engine()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  ASSERT_TRUE(store.Commit(expected, &*record, Events(1, "end")).ok());
}

TEST(MemorySessionStoreTest, KeepsOnlyTheNewestFinishedSessions) {
  MemorySessionStoreOptions options;
  options.max_finished_sessions = 2;
  MemorySessionStore store(options);
  for (const char* id : {"a", "b", "c", "live"}) {
    coach::internal::SessionRecord record = NewRecord(id);
    ASSERT_TRUE(store.Create(&record, Events(2, "start")).ok());
  }
  Finish(store, "a");
  Finish(store, "b");
  EXPECT_TRUE(store.Load("a").ok());
  Finish(store, "c");  // The third finished session pushes out the oldest.
  EXPECT_EQ(store.Load("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Load("b").ok());
  EXPECT_TRUE(store.Load("c").ok());
  EXPECT_TRUE(store.Load("live").ok());  // Live sessions are never dropped.
}

// Commits `events` on `id`, the record's last cue a copy of events[cue] as
// the engine makes it (no session id, sequence or epoch); returns the
// record as committed.
coach::internal::SessionRecord CommitWithCue(
    MemorySessionStore& store, const std::string& id,
    std::vector<coach::v1::SessionEvent> events, int cue) {
  absl::StatusOr<coach::internal::SessionRecord> record = store.Load(id);
  EXPECT_TRUE(record.ok()) << record.status();
  const int64_t expected = record->last_sequence();
  *record->mutable_engine()->mutable_last_cue() = events[cue];
  EXPECT_TRUE(store.Commit(expected, &*record, std::move(events)).ok());
  return *record;
}

TEST(MemorySessionStoreTest, ALastCueKeptAsItsHistoryEventLoadsWhole) {
  struct Case {
    std::string name;
    int max_history;
    int commits_after;  // Commits of other events after the cue's.
  };
  for (const Case& c : std::vector<Case>{
           {"cue in the newest commit", 10000, 0},
           {"cue some commits back", 10000, 5},
           {"cue older than the events searched", 10000, 40},
           {"cue trimmed from history", 8, 12},
       }) {
    SCOPED_TRACE(c.name);
    MemorySessionStoreOptions options;
    options.max_history = c.max_history;
    MemorySessionStore store(options);
    coach::internal::SessionRecord record = NewRecord("s");
    ASSERT_TRUE(store.Create(&record, Events(2, "start")).ok());
    coach::internal::SessionRecord committed =
        CommitWithCue(store, "s", Events(3, "cue"), /*cue=*/1);
    for (int i = 0; i < c.commits_after; ++i) {
      absl::StatusOr<coach::internal::SessionRecord> now = store.Load("s");
      ASSERT_TRUE(now.ok()) << now.status();
      const int64_t expected = now->last_sequence();
      ASSERT_TRUE(store.Commit(expected, &*now, Events(1, "more")).ok());
      committed = *now;
    }
    absl::StatusOr<coach::internal::SessionRecord> loaded = store.Load("s");
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_EQ(loaded->SerializeAsString(), committed.SerializeAsString());
    EXPECT_EQ(loaded->engine().last_cue().speech().text(), "cue 1");
    EXPECT_TRUE(loaded->engine().last_cue().session_id().empty());
    EXPECT_EQ(loaded->engine().last_cue().sequence(), 0);
  }
}

TEST(MemorySessionStoreTest, ALastCueNoHistoryEventMatchesIsKeptInTheRecord) {
  MemorySessionStore store;
  coach::internal::SessionRecord record = NewRecord("s");
  ASSERT_TRUE(store.Create(&record, Events(2, "start")).ok());
  std::vector<coach::v1::SessionEvent> events = Events(2, "cue");
  coach::v1::SessionEvent cue = events[0];
  cue.mutable_speech()->set_text("said differently");
  absl::StatusOr<coach::internal::SessionRecord> now = store.Load("s");
  ASSERT_TRUE(now.ok());
  *now->mutable_engine()->mutable_last_cue() = cue;
  ASSERT_TRUE(store.Commit(2, &*now, std::move(events)).ok());
  absl::StatusOr<coach::internal::SessionRecord> loaded = store.Load("s");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->engine().last_cue().speech().text(), "said differently");
  EXPECT_EQ(loaded->SerializeAsString(), now->SerializeAsString());
}

}  // namespace
}  // namespace coachd
