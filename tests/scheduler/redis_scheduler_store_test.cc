// What RedisSchedulerStore adds to the store contract (which
// scheduler_store_test.cc checks): its key layout, two stores on one Redis
// (two replicas) firing each reminder once and hearing each other's
// changes, UNAVAILABLE while Redis is down, and followers that carry on
// after Redis comes back.
#include "services/scheduler/redis_scheduler_store.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "services/scheduler/scheduler_records.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_days::Day;
using testing_days::Utc;

const absl::Time kDue = Utc(2026, 1, 5, 12, 30);
const absl::Time kEndOfDay = Utc(2026, 1, 6, 5, 0);

ReminderRecord Planned(const std::string& person, absl::Time due = kDue) {
  ReminderRecord r;
  r.person = person;
  r.day = Day(2026, 1, 5);
  r.id = FormatDay(r.day);
  r.due = due;
  r.expires = kEndOfDay;
  r.title = "Back workout";
  r.text = "Time for your back workout";
  return r;
}

// Records the changes it hears, of any number of people. Thread-safe.
class Recorder : public ReminderListener {
 public:
  void OnReminder(const ReminderRecord& r) override {
    absl::MutexLock lock(&mu_);
    seen_.push_back(r);
  }
  std::vector<ReminderRecord> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  // Waits until it has heard `n` changes; false if not within `limit` (a
  // bound for a broken store, not a timing check).
  bool WaitFor(size_t n, absl::Duration limit = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto heard = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return seen_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&heard), limit);
  }

 private:
  absl::Mutex mu_;
  std::vector<ReminderRecord> seen_ ABSL_GUARDED_BY(mu_);
};

class RedisSchedulerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { StartRedis({}); }

  void StartRedis(RedisServerOptions options) {
    absl::StatusOr<std::unique_ptr<RedisServer>> server =
        RedisServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    absl::StatusOr<RedisAddress> address = ParseRedisUrl(server_->url());
    ASSERT_TRUE(address.ok());
    address_ = *address;
  }

  // A store on the test's Redis: one per replica. Its connections wait at
  // most `backoff` before trying Redis again.
  std::unique_ptr<RedisSchedulerStore> NewStore(
      absl::Duration backoff = absl::Milliseconds(100)) {
    RedisClientOptions client;
    client.address = address_;
    client.min_backoff = std::min(backoff, absl::Milliseconds(10));
    client.max_backoff = backoff;
    return std::make_unique<WithOwnClient<RedisSchedulerStore>>(
        client, RedisSchedulerStoreOptions{});
  }

  // Runs one command on the test's Redis.
  RedisReply Admin(const RedisCommand& command) {
    RedisConnection admin(RedisConnectionOptions{address_});
    absl::StatusOr<RedisReply> reply = admin.Command(command);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *std::move(reply) : nullptr;
  }

  std::unique_ptr<RedisServer> server_;
  RedisAddress address_;
};

TEST_F(RedisSchedulerStoreTest, KeysAreTaggedByPersonAroundOneDueSet) {
  std::unique_ptr<RedisSchedulerStore> store = NewStore();
  GoalRecord goal;
  goal.goal.set_time_zone("Europe/London");
  goal.targets.push_back({Day(2026, 1, 5), 3});
  ASSERT_TRUE(store->SaveGoal("alice", goal).ok());
  ASSERT_TRUE(*store->AddCompletion(
      "alice", {"session:s1", Utc(2026, 1, 5, 18), Day(2026, 1, 5)}));
  ASSERT_TRUE(store->SetPlanned("alice", Planned("alice"), 0).ok());

  RedisReply keys = Admin({"KEYS", "*"});
  ASSERT_NE(keys, nullptr);
  std::vector<std::string> names;
  for (size_t i = 0; i < keys->elements; ++i) {
    names.emplace_back(keys->element[i]->str, keys->element[i]->len);
  }
  std::sort(names.begin(), names.end());
  EXPECT_THAT(
      names,
      ElementsAre("coachd:sched:due", "coachd:sched:{alice}:done",
                  "coachd:sched:{alice}:goal", "coachd:sched:{alice}:rem"));
  // Scored by the next transition, in unix microseconds.
  RedisReply score = Admin({"ZSCORE", "coachd:sched:due", "2026-01-05|alice"});
  ASSERT_NE(score, nullptr);
  ASSERT_EQ(score->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(score->str, score->len),
            absl::StrCat(absl::ToUnixMicros(kDue)));

  // Firing moves it to its expiry and writes one change.
  ASSERT_EQ(store->ClaimDue(kDue, 10)->size(), 1u);
  score = Admin({"ZSCORE", "coachd:sched:due", "2026-01-05|alice"});
  ASSERT_NE(score, nullptr);
  EXPECT_EQ(std::string(score->str, score->len),
            absl::StrCat(absl::ToUnixMicros(kEndOfDay)));
  RedisReply changes = Admin({"XLEN", "coachd:sched:changes"});
  ASSERT_NE(changes, nullptr);
  EXPECT_EQ(changes->integer, 1);
}

TEST_F(RedisSchedulerStoreTest, AStoredGoalStartingOnNoCalendarDayIsDataLoss) {
  std::unique_ptr<RedisSchedulerStore> store = NewStore();
  GoalRecord goal;
  goal.goal.set_time_zone("Europe/London");
  goal.start_day = kLatestDay + 1;
  goal.targets.push_back({Day(2026, 1, 5), 3});
  ASSERT_NE(Admin({"SET", "coachd:sched:{alice}:goal", EncodeGoal(goal)}),
            nullptr);

  absl::StatusOr<GoalRecord> loaded = store->LoadGoal("alice");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
      << loaded.status();
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("coachd:sched:{alice}:goal"));
}

TEST_F(RedisSchedulerStoreTest, TwoReplicasFireEachReminderOnceAndHearAll) {
  constexpr int kPeople = 200;
  std::unique_ptr<RedisSchedulerStore> a = NewStore();
  std::unique_ptr<RedisSchedulerStore> b = NewStore();
  // Each replica follows everyone, as if a display of each were on each.
  Recorder heard_on_a, heard_on_b;
  std::vector<std::unique_ptr<ReminderWatch>> watches;
  for (int i = 0; i < kPeople; ++i) {
    const std::string person = absl::StrCat("p", i);
    ASSERT_TRUE(
        a->SetPlanned(person, Planned(person, kDue + absl::Seconds(i)), 0)
            .ok());
    for (auto [store, recorder] : {std::make_pair(a.get(), &heard_on_a),
                                   std::make_pair(b.get(), &heard_on_b)}) {
      absl::StatusOr<std::unique_ptr<ReminderWatch>> w =
          store->FollowReminders(person, recorder);
      ASSERT_TRUE(w.ok()) << w.status();
      watches.push_back(*std::move(w));
    }
  }

  // Two threads per replica claim until nothing is left.
  absl::Mutex mu;
  std::map<std::string, int> fired;
  std::map<std::string, int> fired_by_replica;
  std::vector<std::thread> claimers;
  for (auto [name, store] :
       {std::make_pair("a", a.get()), std::make_pair("b", b.get()),
        std::make_pair("a", a.get()), std::make_pair("b", b.get())}) {
    claimers.emplace_back([&, name = std::string(name), store = store] {
      for (;;) {
        absl::StatusOr<std::vector<ReminderRecord>> got =
            store->ClaimDue(kDue + absl::Hours(1), 5);
        ASSERT_TRUE(got.ok()) << got.status();
        if (got->empty()) return;
        absl::MutexLock lock(&mu);
        for (const ReminderRecord& r : *got) {
          EXPECT_EQ(r.state, ReminderState::kDue);
          ++fired[r.person];
          ++fired_by_replica[name];
        }
      }
    });
  }
  for (std::thread& t : claimers) t.join();
  ASSERT_EQ(fired.size(), static_cast<size_t>(kPeople));
  for (const auto& [person, times] : fired) EXPECT_EQ(times, 1) << person;
  RecordProperty("fired_by_a", fired_by_replica["a"]);
  RecordProperty("fired_by_b", fired_by_replica["b"]);

  // A last change from b: once a replica has heard it, it has heard every
  // change before it (one stream, read in order).
  ASSERT_TRUE(b->Acknowledge("p0", "2026-01-05", {}).ok());
  for (Recorder* recorder : {&heard_on_a, &heard_on_b}) {
    ASSERT_TRUE(recorder->WaitFor(kPeople + 1));
    std::map<std::string, int> due;
    for (const ReminderRecord& r : recorder->seen()) {
      if (r.state == ReminderState::kDue) ++due[r.person];
    }
    EXPECT_EQ(due.size(), static_cast<size_t>(kPeople));
    for (const auto& [person, times] : due) EXPECT_EQ(times, 1) << person;
    EXPECT_EQ(recorder->seen().size(), static_cast<size_t>(kPeople + 1));
    EXPECT_EQ(recorder->seen().back().state, ReminderState::kDone);
  }
}

TEST_F(RedisSchedulerStoreTest, EveryCallIsUnavailableWhileRedisIsDown) {
  // Backs off 1ms: far less than restarting Redis takes.
  std::unique_ptr<RedisSchedulerStore> store = NewStore(absl::Milliseconds(1));
  ASSERT_TRUE(store->SetPlanned("alice", Planned("alice"), 0).ok());
  ASSERT_TRUE(server_->Stop().ok());
  Recorder recorder;
  const std::vector<std::pair<const char*, std::function<absl::Status()>>>
      calls = {
          {"LoadGoal", [&] { return store->LoadGoal("alice").status(); }},
          {"SaveGoal", [&] { return store->SaveGoal("alice", {}); }},
          {"AddCompletion",
           [&] {
             return store->AddCompletion("alice", {"log:1", kDue, 0}).status();
           }},
          {"ListCompletions",
           [&] { return store->ListCompletions("alice", 0).status(); }},
          {"ListReminders",
           [&] { return store->ListReminders("alice").status(); }},
          {"SetPlanned",
           [&] { return store->SetPlanned("alice", std::nullopt, 0); }},
          {"ClaimDue", [&] { return store->ClaimDue(kDue, 10).status(); }},
          {"Acknowledge",
           [&] {
             return store->Acknowledge("alice", "2026-01-05", {}).status();
           }},
          {"ClearOpen", [&] { return store->ClearOpen("alice", {"x"}); }},
          {"FollowReminders",
           [&] { return store->FollowReminders("alice", &recorder).status(); }},
      };
  for (const auto& [name, call] : calls) {
    SCOPED_TRACE(name);
    const absl::Status s = call();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_THAT(s.message(),
                HasSubstr(absl::StrCat("redis at 127.0.0.1:", server_->port(),
                                       " unreachable")));
  }

  // Back by itself when Redis is (this server keeps no data).
  ASSERT_TRUE(server_->Restart().ok());
  const absl::Status planned = store->SetPlanned("alice", Planned("alice"), 0);
  EXPECT_TRUE(planned.ok()) << planned;
}

TEST_F(RedisSchedulerStoreTest, FollowersCarryOnAfterRedisRestarts) {
  RedisServerOptions options;
  options.appendonly = true;  // Data survives the restart.
  StartRedis(options);
  std::unique_ptr<RedisSchedulerStore> a = NewStore();
  std::unique_ptr<RedisSchedulerStore> b = NewStore();
  Recorder recorder;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> watch =
      b->FollowReminders("alice", &recorder);
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(a->SetPlanned("alice", Planned("alice"), 0).ok());
  ASSERT_EQ(a->ClaimDue(kDue, 10)->size(), 1u);
  ASSERT_TRUE(recorder.WaitFor(1));

  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(server_->Restart().ok());
  // Back, b's reader sends the follower the current state again, in case
  // it missed changes meanwhile.
  ASSERT_TRUE(recorder.WaitFor(2));
  // a's connection finds its old socket closed and reconnects at once.
  absl::StatusOr<ReminderRecord> snoozed =
      a->Acknowledge("alice", "2026-01-05", {true, kDue + absl::Minutes(5)});
  ASSERT_TRUE(snoozed.ok()) << snoozed.status();
  ASSERT_TRUE(recorder.WaitFor(3));
  const std::vector<ReminderRecord> seen = recorder.seen();
  EXPECT_EQ(seen[0].state, ReminderState::kDue);
  EXPECT_EQ(seen[1].state, ReminderState::kDue);
  EXPECT_EQ(seen[1].version, seen[0].version);
  EXPECT_EQ(seen[2].state, ReminderState::kSnoozed);
  EXPECT_EQ(seen[2].version, snoozed->version);
}

}  // namespace
}  // namespace coachd
