// MemorySessionStore behaviour beyond the conformance suite: bounded memory.
#include "services/store/memory_session_store.h"

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

}  // namespace
}  // namespace coachd
