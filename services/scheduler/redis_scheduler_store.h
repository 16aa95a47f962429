// The scheduler store on Redis: goals, completions and reminders shared by
// every coachd replica, each reminder fired by exactly one of them.
//
// Keys of person P (hash tag {P}: one Redis Cluster slot per person):
//   PREFIX:sched:{P}:goal   string: a coach.internal.GoalRecord
//   PREFIX:sched:{P}:done   hash: completion key -> a
//                           coach.internal.CompletionRecord; HSETNX records
//                           a key once
//   PREFIX:sched:{P}:rem    hash: reminder id -> "<state> <day> <due_us>
//                           <expires_us> <version> <snoozes> <content>": six
//                           fields the Lua scripts read and write, then a
//                           coach.internal.ReminderContent they carry as is
// and two global keys:
//   PREFIX:sched:due        sorted set: score = NextTransition() in unix
//                           microseconds, member "<id>|<P>", for every
//                           planned, snoozed or due reminder
//   PREFIX:sched:changes    stream: one entry per change a device can see
//                           (fields p, i, r: person, id, reminder), trimmed
//                           to about max_changes entries
//
// Every write that touches a reminder is one Lua script over the person's
// hash, the due set and the change stream, so a reminder's state, its place
// in the due set and the news of the change never part. ClaimDue reads the
// due window (ZRANGEBYSCORE), then runs one script per candidate in one
// pipelined round trip; a script claims its reminder only when the member
// is still in the due set at a score that is due, and ZREMs it, so when
// several replicas race, exactly one moves each reminder on.
//
// FollowReminders: each store runs one reader thread (started by the first
// Follow) that reads the change stream with XREAD BLOCK on its own
// connection and calls the listeners of the people it carries. A change
// made on any replica thus reaches the followers on every replica, in the
// order of the stream. After losing Redis the reader resumes from the last
// entry it read, and also re-delivers the current (non-planned) reminders of
// every followed person, in case the stream was trimmed past it meanwhile;
// listeners see those as changes with versions they may already have.
//
// The due set and the change stream sit in their own slots, so on Redis
// Cluster the scripts would have to move their ZADD/ZREM/XADD out (see
// docs/SCHEDULER.md); on one Redis (with replicas) all of it is atomic.
//
//   RedisSchedulerStore store(&client, RedisSchedulerStoreOptions{});
//   absl::StatusOr<bool> added = store.AddCompletion("alice", completion);
#ifndef SERVICES_SCHEDULER_REDIS_SCHEDULER_STORE_H_
#define SERVICES_SCHEDULER_REDIS_SCHEDULER_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/redis/redis_client.h"
#include "services/scheduler/scheduler_store.h"

namespace coachd {

// Options of RedisSchedulerStore.
struct RedisSchedulerStoreOptions {
  std::string key_prefix = "coachd";  // Keys start with "PREFIX:sched:".
  // Change-stream entries kept, about (XADD MAXLEN ~). A replica cut off
  // from Redis for longer than the other replicas take to write this many
  // changes re-delivers its followed people's reminders when it is back.
  int max_changes = 100000;
  // How long the change reader's XREAD blocks; bounds how long destroying
  // the store may take if waking the reader fails.
  absl::Duration follow_block = absl::Seconds(1);
};

// SchedulerStore on Redis. Thread-safe. Every call borrows one of the
// client's connections and makes one round trip (ClaimDue two; a script
// one more the first time a connection meets a Redis that has not cached
// it). While Redis is unreachable every call fails fast with UNAVAILABLE
// "redis at ADDR unreachable: REASON" and recovers by itself when Redis is
// back. Listeners run on the store's reader thread, one change at a time,
// under the store's follower lock. Times are kept to the microsecond.
// Every ReminderWatch must be destroyed before the store.
class RedisSchedulerStore : public SchedulerStore {
 public:
  // `client` must outlive the store.
  RedisSchedulerStore(RedisClient* client, RedisSchedulerStoreOptions options);
  // Stops and joins the reader thread.
  ~RedisSchedulerStore() override;
  RedisSchedulerStore(const RedisSchedulerStore&) = delete;
  RedisSchedulerStore& operator=(const RedisSchedulerStore&) = delete;

  // GET. DATA_LOSS when the stored record does not parse.
  absl::StatusOr<GoalRecord> LoadGoal(absl::string_view person) override;
  // SET.
  absl::Status SaveGoal(absl::string_view person,
                        const GoalRecord& goal) override;
  // HSETNX: atomic, so two replicas recording the same key count it once.
  absl::StatusOr<bool> AddCompletion(
      absl::string_view person, const CompletionRecord& completion) override;
  // HGETALL, filtered and sorted here.
  absl::StatusOr<std::vector<CompletionRecord>> ListCompletions(
      absl::string_view person, DayNumber from_day) override;
  // HGETALL, by id (which sorts by day).
  absl::StatusOr<std::vector<ReminderRecord>> ListReminders(
      absl::string_view person) override;
  // One script.
  absl::Status SetPlanned(absl::string_view person,
                          const std::optional<ReminderRecord>& next,
                          DayNumber forget_before) override;
  // ZRANGEBYSCORE, then one pipelined script per candidate (again while
  // other callers took candidates from a full window).
  absl::StatusOr<std::vector<ReminderRecord>> ClaimDue(absl::Time now,
                                                       int max) override;
  // One script.
  absl::StatusOr<ReminderRecord> Acknowledge(absl::string_view person,
                                             absl::string_view id,
                                             const ReminderAck& ack) override;
  // One script.
  absl::Status ClearOpen(absl::string_view person,
                         const std::vector<std::string>& ids) override;
  // One round trip (the stream's newest entry: the watch hears entries after
  // it), then the listener is called on the reader thread. UNAVAILABLE when
  // Redis cannot be reached.
  absl::StatusOr<std::unique_ptr<ReminderWatch>> FollowReminders(
      absl::string_view person, ReminderListener* listener) override;

  // The keys, for tests and tools.
  std::string GoalKey(absl::string_view person) const;
  std::string DoneKey(absl::string_view person) const;
  std::string RemindersKey(absl::string_view person) const;
  std::string DueKey() const;
  std::string ChangesKey() const;

 private:
  class Reader;
  class Watch;
  struct Follower;

  // Takes up to `max` of the due window's first `max` members; sets
  // `*window_full` when the window had `max` members.
  absl::StatusOr<std::vector<ReminderRecord>> ClaimWindow(absl::Time now,
                                                          int max,
                                                          bool* window_full);
  // Calls the listeners of `person` registered before `stream_id` (a
  // stream entry id; empty: all of them) with `reminder`.
  void Deliver(const std::string& stream_id, const ReminderRecord& reminder);
  // The people with listeners now.
  std::vector<std::string> FollowedPeople();
  void Unfollow(Follower* follower);

  RedisClient* const client_;
  const RedisSchedulerStoreOptions options_;
  absl::Mutex mu_;  // Guards the followers; held while listeners run.
  absl::flat_hash_map<std::string, std::vector<std::unique_ptr<Follower>>>
      followers_ ABSL_GUARDED_BY(mu_);  // By person.
  absl::Mutex reader_mu_;               // Guards starting the reader.
  std::unique_ptr<Reader> reader_ ABSL_GUARDED_BY(reader_mu_);
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_REDIS_SCHEDULER_STORE_H_
