// The scheduler store's contract, written once for every implementation:
// the embedded MemorySchedulerStore and RedisSchedulerStore on a real
// redis-server (started once for the program, emptied for each test).
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "services/scheduler/memory_scheduler_store.h"
#include "services/scheduler/redis_scheduler_store.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/common/shared_redis.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing_days::Day;
using testing_days::Utc;

// One implementation under test: its name and how to make a fresh one.
struct StoreParam {
  const char* name;
  std::function<std::unique_ptr<SchedulerStore>()> make;
};

void PrintTo(const StoreParam& param, std::ostream* os) { *os << param.name; }

const absl::Time kDue = Utc(2026, 1, 5, 12, 30);
const absl::Time kEndOfDay = Utc(2026, 1, 6, 5, 0);

ReminderRecord Planned(const std::string& person, DayNumber day,
                       absl::Time due = kDue, absl::Time expires = kEndOfDay) {
  ReminderRecord r;
  r.person = person;
  r.id = FormatDay(day);
  r.day = day;
  r.state = ReminderState::kPlanned;
  r.due = due;
  r.expires = expires;
  r.title = "Back workout";
  r.text = "Time for your back workout";
  return r;
}

// Records every change it hears of. A store may call it on its own thread
// (Redis), so checks wait for what they expect with WaitFor.
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
  // Waits until `n` changes have been heard; false if they were not within
  // `limit` (a bound for a broken store, not a timing check).
  bool WaitFor(size_t n, absl::Duration limit = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto heard = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return seen_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&heard), limit);
  }

 private:
  absl::Mutex mu_;
  std::vector<ReminderRecord> seen_;
};

std::vector<ReminderState> States(const std::vector<ReminderRecord>& rs) {
  std::vector<ReminderState> out;
  for (const ReminderRecord& r : rs) out.push_back(r.state);
  return out;
}

// The redis-server the suite shares (tests/common/shared_redis.h).
::testing::Environment* const shared_redis =
    ::testing::AddGlobalTestEnvironment(new SharedRedis);

// A RedisSchedulerStore on the shared redis-server, emptied first.
std::unique_ptr<SchedulerStore> MakeRedisSessionStore() {
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
  RedisClientOptions client;
  client.address = *address;
  return std::make_unique<WithOwnClient<RedisSchedulerStore>>(
      client, RedisSchedulerStoreOptions{});
}

class SchedulerStoreTest : public ::testing::TestWithParam<StoreParam> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }

  // Plans one reminder for alice on 2026-01-05 and fires it.
  ReminderRecord FireOne() {
    EXPECT_TRUE(store_
                    ->SetPlanned("alice", Planned("alice", Day(2026, 1, 5)),
                                 Day(2026, 1, 1))
                    .ok());
    absl::StatusOr<std::vector<ReminderRecord>> fired =
        store_->ClaimDue(kDue, 10);
    EXPECT_TRUE(fired.ok());
    EXPECT_EQ(fired->size(), 1u);
    return fired->empty() ? ReminderRecord() : fired->front();
  }

  std::unique_ptr<SchedulerStore> store_;
};

TEST_P(SchedulerStoreTest, GoalsRoundTrip) {
  EXPECT_EQ(store_->LoadGoal("alice").status().code(),
            absl::StatusCode::kNotFound);
  // A person reads this: it says what to do, in the client's words.
  EXPECT_EQ(store_->LoadGoal("alice").status().message(),
            "no goal set for \"alice\" yet; set one with `coachctl goal`");
  GoalRecord goal;
  goal.goal.set_time_zone("Europe/London");
  goal.goal.set_sessions_per_week(2);
  goal.start_day = Day(2026, 1, 5);
  goal.targets.push_back({Day(2026, 1, 5), 2});
  ASSERT_TRUE(store_->SaveGoal("alice", goal).ok());
  absl::StatusOr<GoalRecord> loaded = store_->LoadGoal("alice");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->goal.time_zone(), "Europe/London");
  EXPECT_EQ(loaded->start_day, Day(2026, 1, 5));
  ASSERT_EQ(loaded->targets.size(), 1u);
  EXPECT_EQ(loaded->targets[0].sessions_per_week, 2);
  EXPECT_EQ(store_->LoadGoal("bob").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SchedulerStoreTest, ACompletionKeyCountsOnce) {
  const CompletionRecord a{"session:s1", Utc(2026, 1, 5, 18), Day(2026, 1, 5)};
  const CompletionRecord b{"log:l1", Utc(2026, 1, 7, 18), Day(2026, 1, 7)};
  EXPECT_TRUE(*store_->AddCompletion("alice", a));
  EXPECT_FALSE(*store_->AddCompletion("alice", a));
  CompletionRecord again = a;
  again.at += absl::Hours(1);  // Same key, other time: still the same one.
  EXPECT_FALSE(*store_->AddCompletion("alice", again));
  EXPECT_TRUE(*store_->AddCompletion("alice", b));
  EXPECT_TRUE(*store_->AddCompletion("bob", a));  // Keys are per person.
  absl::StatusOr<std::vector<CompletionRecord>> all =
      store_->ListCompletions("alice", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "session:s1");
  EXPECT_EQ((*all)[0].at, a.at);
  EXPECT_EQ((*all)[1].key, "log:l1");
  absl::StatusOr<std::vector<CompletionRecord>> later =
      store_->ListCompletions("alice", Day(2026, 1, 6));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].key, "log:l1");
}

TEST_P(SchedulerStoreTest, OnePlannedReminderPerPerson) {
  ASSERT_TRUE(
      store_->SetPlanned("alice", Planned("alice", Day(2026, 1, 5)), 0).ok());
  ASSERT_TRUE(store_
                  ->SetPlanned(
                      "alice",
                      Planned("alice", Day(2026, 1, 7), kDue + absl::Hours(48)),
                      0)
                  .ok());
  absl::StatusOr<std::vector<ReminderRecord>> list =
      store_->ListReminders("alice");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, "2026-01-07");
  // The replaced one no longer fires.
  EXPECT_THAT(*store_->ClaimDue(kDue + absl::Hours(1), 10), IsEmpty());
  ASSERT_TRUE(store_->SetPlanned("alice", std::nullopt, 0).ok());
  EXPECT_THAT(*store_->ListReminders("alice"), IsEmpty());
  EXPECT_THAT(*store_->ClaimDue(kDue + absl::Hours(49), 10), IsEmpty());
}

TEST_P(SchedulerStoreTest, AReminderFiresAtItsTimeOnceThenExpires) {
  ASSERT_TRUE(
      store_->SetPlanned("alice", Planned("alice", Day(2026, 1, 5)), 0).ok());
  EXPECT_THAT(*store_->ClaimDue(kDue - absl::Seconds(1), 10), IsEmpty());
  absl::StatusOr<std::vector<ReminderRecord>> fired =
      store_->ClaimDue(kDue, 10);
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  EXPECT_EQ(fired->front().state, ReminderState::kDue);
  EXPECT_EQ(fired->front().person, "alice");
  EXPECT_THAT(*store_->ClaimDue(kDue + absl::Hours(1), 10), IsEmpty());
  absl::StatusOr<std::vector<ReminderRecord>> expired =
      store_->ClaimDue(kEndOfDay, 10);
  ASSERT_TRUE(expired.ok());
  EXPECT_THAT(States(*expired), ElementsAre(ReminderState::kCleared));
  EXPECT_THAT(*store_->ClaimDue(kEndOfDay + absl::Hours(100), 10), IsEmpty());
}

TEST_P(SchedulerStoreTest, AReminderMissedWhileDownIsDropped) {
  ASSERT_TRUE(
      store_->SetPlanned("alice", Planned("alice", Day(2026, 1, 5)), 0).ok());
  absl::StatusOr<std::vector<ReminderRecord>> late =
      store_->ClaimDue(kEndOfDay + absl::Minutes(1), 10);
  ASSERT_TRUE(late.ok());
  EXPECT_THAT(States(*late), ElementsAre(ReminderState::kCleared));
}

TEST_P(SchedulerStoreTest, ConcurrentClaimersFireEachReminderOnce) {
  constexpr int kPeople = 300;
  for (int i = 0; i < kPeople; ++i) {
    const std::string person = absl::StrCat("p", i);
    ASSERT_TRUE(
        store_
            ->SetPlanned(
                person,
                Planned(person, Day(2026, 1, 5), kDue + absl::Seconds(i)), 0)
            .ok());
  }
  absl::Mutex mu;
  std::map<std::string, int> fired;
  std::vector<std::thread> claimers;
  for (int t = 0; t < 4; ++t) {
    claimers.emplace_back([&] {
      for (;;) {
        absl::StatusOr<std::vector<ReminderRecord>> got =
            store_->ClaimDue(kDue + absl::Hours(1), 7);
        if (!got.ok() || got->empty()) return;
        absl::MutexLock lock(&mu);
        // Every transition claimed counts: a reminder claimed twice
        // would go on from due to cleared.
        for (const ReminderRecord& r : *got) {
          EXPECT_EQ(r.state, ReminderState::kDue) << r.person;
          ++fired[r.person];
        }
      }
    });
  }
  for (std::thread& t : claimers) t.join();
  ASSERT_EQ(fired.size(), static_cast<size_t>(kPeople));
  for (const auto& [person, times] : fired) {
    EXPECT_EQ(times, 1) << person;
  }
}

TEST_P(SchedulerStoreTest, PlanningNeverOverwritesAFiredReminder) {
  FireOne();
  ReminderRecord again =
      Planned("alice", Day(2026, 1, 5), kDue + absl::Hours(2));
  ASSERT_TRUE(store_->SetPlanned("alice", again, 0).ok());
  absl::StatusOr<std::vector<ReminderRecord>> list =
      store_->ListReminders("alice");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().state, ReminderState::kDue);
  EXPECT_EQ(list->front().due, kDue);
}

TEST_P(SchedulerStoreTest, AcknowledgementsDoneAndSnooze) {
  EXPECT_EQ(store_->Acknowledge("alice", "2026-01-05", {}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(
      store_->SetPlanned("alice", Planned("alice", Day(2026, 1, 5)), 0).ok());
  // Planned is not fired yet: nothing to acknowledge.
  EXPECT_EQ(store_->Acknowledge("alice", "2026-01-05", {}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_EQ(store_->ClaimDue(kDue, 10)->size(), 1u);

  const absl::Time until = kDue + absl::Minutes(10);
  absl::StatusOr<ReminderRecord> snoozed =
      store_->Acknowledge("alice", "2026-01-05", {true, until});
  ASSERT_TRUE(snoozed.ok()) << snoozed.status();
  EXPECT_EQ(snoozed->state, ReminderState::kSnoozed);
  EXPECT_EQ(snoozed->due, until);
  EXPECT_EQ(snoozed->snoozes, 1);
  EXPECT_THAT(*store_->ClaimDue(until - absl::Seconds(1), 10), IsEmpty());
  absl::StatusOr<std::vector<ReminderRecord>> back =
      store_->ClaimDue(until, 10);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(States(*back), ElementsAre(ReminderState::kDue));
  EXPECT_GT(back->front().version, snoozed->version);

  absl::StatusOr<ReminderRecord> done =
      store_->Acknowledge("alice", "2026-01-05", {});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, ReminderState::kDone);
  // Done twice (two devices) is fine and changes nothing.
  absl::StatusOr<ReminderRecord> twice =
      store_->Acknowledge("alice", "2026-01-05", {});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->version, done->version);
  EXPECT_EQ(
      store_->Acknowledge("alice", "2026-01-05", {true, until}).status().code(),
      absl::StatusCode::kFailedPrecondition);
  // A closed reminder never comes back.
  EXPECT_THAT(*store_->ClaimDue(kEndOfDay + absl::Hours(1), 10), IsEmpty());
  // Another person's reminder with the same id is not alice's.
  EXPECT_EQ(store_->Acknowledge("bob", "2026-01-05", {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SchedulerStoreTest, ASnoozePastTheEndOfTheDayStillComesBack) {
  FireOne();
  const absl::Time until = kEndOfDay + absl::Minutes(30);
  absl::StatusOr<ReminderRecord> snoozed =
      store_->Acknowledge("alice", "2026-01-05", {true, until});
  ASSERT_TRUE(snoozed.ok());
  EXPECT_EQ(snoozed->expires, until + kSnoozeLinger);
  absl::StatusOr<std::vector<ReminderRecord>> back =
      store_->ClaimDue(until, 10);
  ASSERT_TRUE(back.ok());
  EXPECT_THAT(States(*back), ElementsAre(ReminderState::kDue));
}

TEST_P(SchedulerStoreTest, ClearOpenClosesOnlyOpenReminders) {
  FireOne();
  ASSERT_TRUE(
      store_
          ->SetPlanned("alice",
                       Planned("alice", Day(2026, 1, 7), kDue + absl::Hours(48),
                               kEndOfDay + absl::Hours(48)),
                       0)
          .ok());
  ASSERT_TRUE(
      store_->ClearOpen("alice", {"2026-01-05", "2026-01-07", "nope"}).ok());
  absl::StatusOr<std::vector<ReminderRecord>> list =
      store_->ListReminders("alice");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(States(*list),
              ElementsAre(ReminderState::kCleared, ReminderState::kPlanned));
}

TEST_P(SchedulerStoreTest, FollowersHearEveryVisibleChangeUntilTheyStop) {
  Recorder recorder;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> watch =
      store_->FollowReminders("alice", &recorder);
  ASSERT_TRUE(watch.ok());
  Recorder bobs;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> bob_watch =
      store_->FollowReminders("bob", &bobs);
  ASSERT_TRUE(bob_watch.ok());
  // Stays on to the end: once it has heard a change, so would every other
  // watch that is still on (changes reach a person's watches together).
  Recorder witness;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> witness_watch =
      store_->FollowReminders("alice", &witness);
  ASSERT_TRUE(witness_watch.ok());
  FireOne();
  ASSERT_TRUE(
      store_
          ->Acknowledge("alice", "2026-01-05", {true, kDue + absl::Minutes(5)})
          .ok());
  ASSERT_TRUE(recorder.WaitFor(2));
  std::vector<ReminderRecord> seen = recorder.seen();
  EXPECT_THAT(States(seen),
              ElementsAre(ReminderState::kDue, ReminderState::kSnoozed));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_LT(seen[0].version, seen[1].version);
  EXPECT_EQ(seen[0].person, "alice");
  EXPECT_EQ(seen[0].id, "2026-01-05");
  watch->reset();
  ASSERT_EQ(store_->ClaimDue(kDue + absl::Minutes(5), 10)->size(), 1u);
  ASSERT_TRUE(witness.WaitFor(3));
  EXPECT_THAT(States(witness.seen()),
              ElementsAre(ReminderState::kDue, ReminderState::kSnoozed,
                          ReminderState::kDue));
  EXPECT_EQ(recorder.seen().size(), 2u);
  EXPECT_THAT(bobs.seen(), IsEmpty());
}

TEST_P(SchedulerStoreTest, AWatchHearsOnlyLaterChanges) {
  const ReminderRecord fired = FireOne();
  Recorder recorder;
  absl::StatusOr<std::unique_ptr<ReminderWatch>> watch =
      store_->FollowReminders("alice", &recorder);
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(store_->Acknowledge("alice", "2026-01-05", {}).ok());
  ASSERT_TRUE(recorder.WaitFor(1));
  // Had the firing (before the watch) been delivered, it would come first.
  EXPECT_THAT(States(recorder.seen()), ElementsAre(ReminderState::kDone));
  EXPECT_GT(recorder.seen().front().version, fired.version);
}

TEST_P(SchedulerStoreTest, RecordsKeepEveryField) {
  ReminderRecord planned = Planned("alice", Day(2026, 1, 5));
  planned.title = "Back | workout\n";
  planned.text = "3:2 of 3 \"done\"\nsee you";
  planned.ssml = "<speak>Time<break time=\"300ms\"/></speak>";
  planned.sessions_done = 2;
  planned.sessions_target = 3;
  ASSERT_TRUE(store_->SetPlanned("alice", planned, 0).ok());
  absl::StatusOr<std::vector<ReminderRecord>> fired =
      store_->ClaimDue(kDue, 10);
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  absl::StatusOr<std::vector<ReminderRecord>> list =
      store_->ListReminders("alice");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  for (const ReminderRecord& r : {fired->front(), list->front()}) {
    EXPECT_EQ(r.person, "alice");
    EXPECT_EQ(r.id, "2026-01-05");
    EXPECT_EQ(r.day, Day(2026, 1, 5));
    EXPECT_EQ(r.state, ReminderState::kDue);
    EXPECT_EQ(r.due, kDue);
    EXPECT_EQ(r.expires, kEndOfDay);
    EXPECT_EQ(r.title, planned.title);
    EXPECT_EQ(r.text, planned.text);
    EXPECT_EQ(r.ssml, planned.ssml);
    EXPECT_EQ(r.sessions_done, 2);
    EXPECT_EQ(r.sessions_target, 3);
    EXPECT_EQ(r.snoozes, 0);
  }
  EXPECT_EQ(fired->front().version, list->front().version);

  GoalRecord goal;
  goal.goal.set_time_zone("Australia/Lord_Howe");
  goal.goal.set_sessions_per_week(3);
  goal.goal.add_preferred_days(coach::v1::WEEKDAY_MONDAY);
  goal.goal.mutable_reminder_time()->set_hours(7);
  goal.goal.mutable_reminder_time()->set_minutes(30);
  goal.start_day = Day(2026, 1, 5);
  goal.targets = {{Day(2026, 1, 5), 2}, {Day(2026, 1, 12), 3}};
  goal.updated_at = Utc(2026, 1, 12, 9, 15) + absl::Microseconds(7);
  ASSERT_TRUE(store_->SaveGoal("alice", goal).ok());
  absl::StatusOr<GoalRecord> loaded = store_->LoadGoal("alice");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->goal.SerializeAsString(), goal.goal.SerializeAsString());
  EXPECT_EQ(loaded->start_day, goal.start_day);
  EXPECT_EQ(loaded->updated_at, goal.updated_at);
  ASSERT_EQ(loaded->targets.size(), 2u);
  EXPECT_EQ(loaded->targets[1].from_day, Day(2026, 1, 12));
  EXPECT_EQ(loaded->targets[1].sessions_per_week, 3);
}

TEST_P(SchedulerStoreTest, ClosedRemindersAreForgottenAfterAWhile) {
  FireOne();
  ASSERT_TRUE(store_->Acknowledge("alice", "2026-01-05", {}).ok());
  ASSERT_TRUE(store_->SetPlanned("alice", std::nullopt, Day(2026, 1, 5)).ok());
  EXPECT_EQ(store_->ListReminders("alice")->size(), 1u);
  ASSERT_TRUE(store_->SetPlanned("alice", std::nullopt, Day(2026, 1, 6)).ok());
  EXPECT_THAT(*store_->ListReminders("alice"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Stores, SchedulerStoreTest,
    ::testing::Values(
        StoreParam{"Memory",
                   [] { return std::make_unique<MemorySchedulerStore>(); }},
        StoreParam{"Redis", MakeRedisSessionStore}),
    [](const ::testing::TestParamInfo<StoreParam>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace coachd
