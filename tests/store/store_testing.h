// Helpers for the store tests: records, events and a listener that records
// what a Follow delivers.
#ifndef TESTS_STORE_STORE_TESTING_H_
#define TESTS_STORE_STORE_TESTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/store/session_store.h"

namespace coachd {
namespace testing_store {

// A running session's record with `id`.
inline coach::internal::SessionRecord NewRecord(const std::string& id) {
  coach::internal::SessionRecord record;
  record.set_session_id(id);
  record.set_owner("user-1");
  record.set_time_scale(1.0);
  record.set_created_us(1767596400000000);
  record.mutable_engine()->set_run_state(coach::v1::RUN_STATE_RUNNING);
  return record;
}

// `n` events without sequences; their payloads say "<tag> <i>".
inline std::vector<coach::v1::SessionEvent> Events(int n,
                                                   const std::string& tag) {
  std::vector<coach::v1::SessionEvent> events(n);
  for (int i = 0; i < n; ++i) {
    events[i].mutable_coach_cue()->set_coach_id("coach-1");
    events[i].mutable_coach_cue()->set_text(absl::StrCat(tag, " ", i));
    events[i].mutable_speech()->set_text(absl::StrCat(tag, " ", i));
  }
  return events;
}

// Creates session `id` on `store` with `n` events and returns its record;
// a failure is a test failure.
inline coach::internal::SessionRecord CreateSession(SessionStore& store,
                                                    const std::string& id,
                                                    int n) {
  coach::internal::SessionRecord record = NewRecord(id);
  absl::StatusOr<std::vector<StoredEvent>> s =
      store.Create(&record, Events(n, "start"));
  EXPECT_TRUE(s.ok()) << s.status();
  return record;
}

// The sequences of `events`.
inline std::vector<int64_t> Sequences(const std::vector<StoredEvent>& events) {
  std::vector<int64_t> seqs;
  for (const StoredEvent& ev : events) seqs.push_back(ev->sequence());
  return seqs;
}

// first..last.
inline std::vector<int64_t> Range(int64_t first, int64_t last) {
  std::vector<int64_t> seqs;
  for (int64_t s = first; s <= last; ++s) seqs.push_back(s);
  return seqs;
}

// Records every event a Follow delivers. Thread-safe.
class RecordingListener : public EventListener {
 public:
  void OnEvents(const std::vector<StoredEvent>& events) override {
    absl::MutexLock lock(&mu_);
    for (const StoredEvent& ev : events) events_.push_back(ev);
  }

  // Waits until an event with `sequence` (or later) arrived; false if none
  // did within `limit` (a bound for a broken store, not a timing check).
  bool WaitFor(int64_t sequence, absl::Duration limit = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto arrived = [this, sequence]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !events_.empty() && events_.back()->sequence() >= sequence;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), limit);
  }

  std::vector<StoredEvent> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

  std::vector<int64_t> sequences() const { return Sequences(events()); }

 private:
  mutable absl::Mutex mu_;
  std::vector<StoredEvent> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing_store
}  // namespace coachd

#endif  // TESTS_STORE_STORE_TESTING_H_
