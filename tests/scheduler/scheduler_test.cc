// The scheduler's logic over the embedded store with a FakeClock and real
// zone data: reminders at the right local time across DST and time zone
// changes, the day-start offset, duplicates, acknowledgements, bad goals and
// who may reach what.
#include "services/scheduler/scheduler.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/scheduler/goal_rules.h"
#include "services/scheduler/memory_scheduler_store.h"
#include "services/scheduler/scheduler_progress_source.h"
#include "services/scheduler/session_completions.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_days::Local;
using testing_days::Show;
using testing_days::Utc;

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// A goal in `zone` with reminders at 07:30 on `days` (none: every day).
coach::v1::Goal GoalIn(const std::string& zone,
                       std::vector<coach::v1::Weekday> days = {}) {
  coach::v1::Goal goal;
  goal.set_time_zone(zone);
  goal.mutable_reminder_time()->set_hours(7);
  goal.mutable_reminder_time()->set_minutes(30);
  for (coach::v1::Weekday d : days) goal.add_preferred_days(d);
  return goal;
}

class SchedulerTest : public ::testing::Test {
 protected:
  absl::Status SetGoal(const coach::v1::Goal& goal,
                       const Identity* who = nullptr) {
    coach::v1::SetGoalRequest request;
    *request.mutable_goal() = goal;
    return scheduler_->SetGoal(who != nullptr ? *who : User(), request)
        .status();
  }

  coach::v1::Progress Progress() {
    absl::StatusOr<coach::v1::Progress> p =
        scheduler_->GetProgress(User(), coach::v1::GetProgressRequest());
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : coach::v1::Progress();
  }

  absl::StatusOr<coach::v1::LogWorkoutResponse> Log(const std::string& id) {
    coach::v1::LogWorkoutRequest request;
    request.set_log_id(id);
    return scheduler_->LogWorkout(User(), request);
  }

  absl::StatusOr<coach::v1::Reminder> Ack(const std::string& id,
                                          coach::v1::AckAction action,
                                          int snooze_minutes = 0) {
    coach::v1::AckReminderRequest request;
    request.set_reminder_id(id);
    request.set_action(action);
    request.set_snooze_minutes(snooze_minutes);
    return scheduler_->AckReminder(Device(), request);
  }

  int RunDue() {
    absl::StatusOr<int> n = scheduler_->RunDue();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  std::vector<ReminderRecord> Open() {
    absl::StatusOr<std::vector<ReminderRecord>> open =
        scheduler_->OpenReminders(person_);
    EXPECT_TRUE(open.ok());
    return open.ok() ? *open : std::vector<ReminderRecord>();
  }

  // Runs the clock from reminder to reminder `count` times, checking none
  // fires a second early; acknowledges each. Returns each shown in `zone`.
  std::vector<std::string> WalkReminders(int count, const char* zone) {
    std::vector<std::string> shown;
    for (int i = 0; i < count; ++i) {
      const coach::v1::Progress p = Progress();
      if (!p.has_next_reminder()) break;
      const absl::Time next = FromProto(p.next_reminder());
      clock_.Set(next - absl::Seconds(1));
      EXPECT_EQ(RunDue(), 0) << Show(next, zone);
      clock_.Set(next);
      EXPECT_EQ(RunDue(), 1) << Show(next, zone);
      std::vector<ReminderRecord> open = Open();
      if (open.size() != 1) {
        ADD_FAILURE() << open.size() << " open reminders at "
                      << Show(next, zone);
        break;
      }
      EXPECT_EQ(open[0].id, Show(next, zone).substr(0, 10));
      shown.push_back(Show(open[0].due, zone));
      EXPECT_TRUE(Ack(open[0].id, coach::v1::ACK_ACTION_DONE).ok());
    }
    return shown;
  }

  FakeClock clock_{Utc(2026, 1, 5, 7, 0)};  // Monday; 02:00 in New York.
  // Starts over with an empty store.
  void Reset() {
    scheduler_.reset();
    store_ = std::make_unique<MemorySchedulerStore>();
    scheduler_ =
        std::make_unique<Scheduler>(store_.get(), &clock_, SchedulerOptions());
  }

  std::unique_ptr<MemorySchedulerStore> store_ =
      std::make_unique<MemorySchedulerStore>();
  std::unique_ptr<Scheduler> scheduler_ =
      std::make_unique<Scheduler>(store_.get(), &clock_, SchedulerOptions());
  Identity User() const { return {person_, Role::kUser}; }
  Identity Device() const { return {person_, Role::kDevice}; }

  std::string person_ = "alice";
};

TEST_F(SchedulerTest, RemindersAtHalfPastSevenLocalAcrossDstChanges) {
  using coach::v1::WEEKDAY_MONDAY;
  using coach::v1::WEEKDAY_SUNDAY;
  using coach::v1::WEEKDAY_THURSDAY;
  struct Case {
    const char* zone;
    int y, m, d;  // A Monday, six days before a DST change.
    std::vector<std::string> want;
  } cases[] = {
      {"America/New_York",
       2026,
       3,
       2,
       {"2026-03-02 Mon 07:30 -0500", "2026-03-05 Thu 07:30 -0500",
        "2026-03-08 Sun 07:30 -0400", "2026-03-09 Mon 07:30 -0400",
        "2026-03-12 Thu 07:30 -0400"}},
      {"America/New_York",
       2026,
       10,
       26,
       {"2026-10-26 Mon 07:30 -0400", "2026-10-29 Thu 07:30 -0400",
        "2026-11-01 Sun 07:30 -0500", "2026-11-02 Mon 07:30 -0500",
        "2026-11-05 Thu 07:30 -0500"}},
      {"Europe/London",
       2026,
       3,
       23,
       {"2026-03-23 Mon 07:30 +0000", "2026-03-26 Thu 07:30 +0000",
        "2026-03-29 Sun 07:30 +0100", "2026-03-30 Mon 07:30 +0100",
        "2026-04-02 Thu 07:30 +0100"}},
      {"Europe/London",
       2026,
       10,
       19,
       {"2026-10-19 Mon 07:30 +0100", "2026-10-22 Thu 07:30 +0100",
        "2026-10-25 Sun 07:30 +0000", "2026-10-26 Mon 07:30 +0000",
        "2026-10-29 Thu 07:30 +0000"}},
      // Lord Howe moves its clocks by 30 minutes.
      {"Australia/Lord_Howe",
       2026,
       3,
       30,
       {"2026-03-30 Mon 07:30 +1100", "2026-04-02 Thu 07:30 +1100",
        "2026-04-05 Sun 07:30 +1030", "2026-04-06 Mon 07:30 +1030",
        "2026-04-09 Thu 07:30 +1030"}},
      {"Australia/Lord_Howe",
       2026,
       9,
       28,
       {"2026-09-28 Mon 07:30 +1030", "2026-10-01 Thu 07:30 +1030",
        "2026-10-04 Sun 07:30 +1100", "2026-10-05 Mon 07:30 +1100",
        "2026-10-08 Thu 07:30 +1100"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.zone, " from ", c.y, "-", c.m, "-", c.d));
    Reset();
    clock_.Set(Local(c.zone, c.y, c.m, c.d, 0, 0));
    ASSERT_TRUE(SetGoal(GoalIn(c.zone, {WEEKDAY_MONDAY, WEEKDAY_THURSDAY,
                                        WEEKDAY_SUNDAY}))
                    .ok());
    EXPECT_THAT(WalkReminders(static_cast<int>(c.want.size()), c.zone),
                ElementsAreArray(c.want));
  }
}

TEST_F(SchedulerTest, ATimeZoneChangeMovesFutureReminders) {
  ASSERT_TRUE(SetGoal(GoalIn("America/New_York")).ok());
  EXPECT_EQ(FromProto(Progress().next_reminder()), Utc(2026, 1, 5, 12, 30));
  // Flew to London: 07:30 there is still ahead today.
  ASSERT_TRUE(SetGoal(GoalIn("Europe/London")).ok());
  EXPECT_EQ(FromProto(Progress().next_reminder()), Utc(2026, 1, 5, 7, 30));
  // Then to Tokyo, where it is 16:00: tomorrow 07:30 there.
  ASSERT_TRUE(SetGoal(GoalIn("Asia/Tokyo")).ok());
  EXPECT_EQ(FromProto(Progress().next_reminder()), Utc(2026, 1, 5, 22, 30));
  clock_.Set(Utc(2026, 1, 5, 12, 30));  // New York's old time: nothing.
  EXPECT_EQ(RunDue(), 0);
  clock_.Set(Utc(2026, 1, 5, 22, 30));
  EXPECT_EQ(RunDue(), 1);
  std::vector<ReminderRecord> open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, "2026-01-06");
  EXPECT_EQ(Show(open[0].due, "Asia/Tokyo"), "2026-01-06 Tue 07:30 +0900");
}

TEST_F(SchedulerTest, AWorkoutBeforeTheDayStartCountsForThePreviousDay) {
  coach::v1::Goal goal = GoalIn("America/New_York");
  goal.mutable_day_start()->set_hours(3);
  ASSERT_TRUE(SetGoal(goal).ok());
  // Monday 01:00 in New York: still Sunday, the last day of the first week.
  clock_.Set(Local("America/New_York", 2026, 1, 12, 1, 0));
  absl::StatusOr<coach::v1::LogWorkoutResponse> logged = Log("late-night");
  ASSERT_TRUE(logged.ok()) << logged.status();
  EXPECT_EQ(logged->progress().today().day(), 11);
  EXPECT_EQ(logged->progress().this_week().first_day().day(), 5);
  EXPECT_EQ(logged->progress().this_week().sessions_done(), 1);
  // At 03:00 the new week begins; the workout stays in the old one.
  clock_.Set(Local("America/New_York", 2026, 1, 12, 3, 0));
  const coach::v1::Progress p = Progress();
  EXPECT_EQ(p.this_week().first_day().day(), 12);
  EXPECT_EQ(p.this_week().sessions_done(), 0);
  ASSERT_GE(p.recent_weeks_size(), 1);
  EXPECT_EQ(p.recent_weeks(0).sessions_done(), 1);
  EXPECT_EQ(FromProto(p.this_week().starts_at()), Utc(2026, 1, 12, 8, 0));
}

TEST_F(SchedulerTest, DuplicateCompletionsCountOnce) {
  ASSERT_TRUE(SetGoal(GoalIn("Europe/London")).ok());
  absl::StatusOr<coach::v1::LogWorkoutResponse> first = Log("run-1");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate());
  absl::StatusOr<coach::v1::LogWorkoutResponse> again = Log("run-1");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->progress().this_week().sessions_done(), 1);
  // A coached session counts once however often it is reported.
  const absl::Time now = clock_.Now();
  EXPECT_TRUE(*scheduler_->RecordCompletion("alice", "session:s1", now));
  EXPECT_FALSE(*scheduler_->RecordCompletion("alice", "session:s1", now));
  // A log id that happens to equal a session id is another workout.
  EXPECT_TRUE(*scheduler_->RecordCompletion("alice", "log:s1", now));
  EXPECT_EQ(Progress().this_week().sessions_done(), 3);
}

TEST_F(SchedulerTest, AWorkoutClearsTodaysReminderAndAMetWeekStopsThem) {
  ASSERT_TRUE(SetGoal(GoalIn("America/New_York", {coach::v1::WEEKDAY_MONDAY,
                                                  coach::v1::WEEKDAY_WEDNESDAY,
                                                  coach::v1::WEEKDAY_FRIDAY}))
                  .ok());
  clock_.Set(Utc(2026, 1, 5, 12, 30));
  ASSERT_EQ(RunDue(), 1);
  ASSERT_EQ(Open().size(), 1u);
  ASSERT_TRUE(Log("monday").ok());
  EXPECT_THAT(Open(), IsEmpty());
  EXPECT_EQ(store_->ListReminders("alice")->front().state,
            ReminderState::kCleared);
  EXPECT_EQ(Show(FromProto(Progress().next_reminder()), "America/New_York"),
            "2026-01-07 Wed 07:30 -0500");
  // Two more on Tuesday: the week is met, Wednesday and Friday stay quiet.
  clock_.Set(Utc(2026, 1, 6, 18, 0));
  ASSERT_TRUE(Log("tuesday-1").ok());
  ASSERT_TRUE(Log("tuesday-2").ok());
  EXPECT_EQ(Show(FromProto(Progress().next_reminder()), "America/New_York"),
            "2026-01-12 Mon 07:30 -0500");
}

TEST_F(SchedulerTest, SnoozeBringsAReminderBackAndDoneClosesIt) {
  ASSERT_TRUE(SetGoal(GoalIn("America/New_York")).ok());
  clock_.Set(Utc(2026, 1, 5, 12, 30));
  ASSERT_EQ(RunDue(), 1);
  absl::StatusOr<coach::v1::Reminder> snoozed =
      Ack("2026-01-05", coach::v1::ACK_ACTION_SNOOZE, 15);
  ASSERT_TRUE(snoozed.ok()) << snoozed.status();
  EXPECT_EQ(snoozed->state(), coach::v1::REMINDER_STATE_SNOOZED);
  EXPECT_EQ(FromProto(snoozed->due_at()), Utc(2026, 1, 5, 12, 45));
  EXPECT_THAT(Open(), IsEmpty());
  EXPECT_EQ(FromProto(Progress().next_reminder()), Utc(2026, 1, 5, 12, 45));
  clock_.Advance(absl::Minutes(14));
  EXPECT_EQ(RunDue(), 0);
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(RunDue(), 1);
  std::vector<ReminderRecord> open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_GT(open[0].version, snoozed->version());

  absl::StatusOr<coach::v1::Reminder> done =
      Ack("2026-01-05", coach::v1::ACK_ACTION_DONE);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), coach::v1::REMINDER_STATE_DONE);
  EXPECT_THAT(Open(), IsEmpty());
  EXPECT_TRUE(Ack("2026-01-05", coach::v1::ACK_ACTION_DONE).ok());
  EXPECT_EQ(Ack("2026-01-05", coach::v1::ACK_ACTION_SNOOZE, 5).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Ack("2026-01-09", coach::v1::ACK_ACTION_DONE).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SchedulerTest, BadAcknowledgementsNameTheField) {
  struct Case {
    std::string id;
    int action;
    int minutes;
    const char* field;
  } cases[] = {
      {"", coach::v1::ACK_ACTION_DONE, 0, "reminder_id"},
      {std::string(40, 'x'), coach::v1::ACK_ACTION_DONE, 0, "reminder_id"},
      {"2026-01-05", coach::v1::ACK_ACTION_UNSPECIFIED, 0, "action"},
      {"2026-01-05", 9, 0, "action"},
      {"2026-01-05", coach::v1::ACK_ACTION_SNOOZE, 0, "snooze_minutes"},
      {"2026-01-05", coach::v1::ACK_ACTION_SNOOZE, 721, "snooze_minutes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    absl::StatusOr<coach::v1::Reminder> r =
        Ack(c.id, static_cast<coach::v1::AckAction>(c.action), c.minutes);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.field));
  }
}

TEST_F(SchedulerTest, BadGoalsAreRejectedNamingTheField) {
  auto with = [](std::function<void(coach::v1::Goal*)> change) {
    coach::v1::Goal goal = GoalIn("Europe/London");
    change(&goal);
    return goal;
  };
  struct Case {
    const char* name;
    coach::v1::Goal goal;
    const char* field;
  } cases[] = {
      {"0 a week", with([](auto* g) { g->set_sessions_per_week(0); }),
       "goal.sessions_per_week"},
      {"8 a week", with([](auto* g) { g->set_sessions_per_week(8); }),
       "goal.sessions_per_week"},
      {"Mars", with([](auto* g) { g->set_time_zone("Mars/Olympus"); }),
       "goal.time_zone"},
      {"no zone", with([](auto* g) { g->clear_time_zone(); }),
       "goal.time_zone"},
      {"24:00",
       with([](auto* g) { g->mutable_reminder_time()->set_hours(24); }),
       "goal.reminder_time"},
      {"07:60",
       with([](auto* g) { g->mutable_reminder_time()->set_minutes(60); }),
       "goal.reminder_time"},
      {"-1:00",
       with([](auto* g) { g->mutable_reminder_time()->set_hours(-1); }),
       "goal.reminder_time"},
      {"day start 12:00",
       with([](auto* g) { g->mutable_day_start()->set_hours(12); }),
       "goal.day_start"},
      {"unspecified day", with([](auto* g) {
         g->add_preferred_days(coach::v1::WEEKDAY_UNSPECIFIED);
       }),
       "goal.preferred_days"},
      {"day 9", with([](auto* g) {
         g->add_preferred_days(static_cast<coach::v1::Weekday>(9));
       }),
       "goal.preferred_days"},
      {"week start 9", with([](auto* g) {
         g->set_week_start(static_cast<coach::v1::Weekday>(9));
       }),
       "goal.week_start"},
      {"pause backwards", with([](auto* g) {
         coach::v1::Pause* p = g->add_pauses();
         *p->mutable_first_day() =
             DateOf(DayNumberOf(absl::CivilDay(2026, 2, 10)));
         *p->mutable_last_day() =
             DateOf(DayNumberOf(absl::CivilDay(2026, 2, 1)));
       }),
       "goal.pauses[0].last_day"},
      {"30 February", with([](auto* g) {
         coach::v1::Pause* p = g->add_pauses();
         p->mutable_first_day()->set_year(2026);
         p->mutable_first_day()->set_month(2);
         p->mutable_first_day()->set_day(30);
         *p->mutable_last_day() =
             DateOf(DayNumberOf(absl::CivilDay(2026, 3, 5)));
       }),
       "goal.pauses[0].first_day"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status s = SetGoal(c.goal);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr(c.field));
  }
  coach::v1::SetGoalRequest empty;
  EXPECT_THAT(scheduler_->SetGoal(User(), empty).status().message(),
              HasSubstr("goal: required"));
  // Nothing was stored.
  EXPECT_EQ(scheduler_->GetProgress(User(), {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SchedulerTest, DefaultsAreFilledIn) {
  coach::v1::Goal goal;
  goal.set_time_zone("Europe/London");
  goal.add_preferred_days(coach::v1::WEEKDAY_FRIDAY);
  goal.add_preferred_days(coach::v1::WEEKDAY_MONDAY);
  goal.add_preferred_days(coach::v1::WEEKDAY_FRIDAY);
  ASSERT_TRUE(SetGoal(goal).ok());
  const coach::v1::Progress p = Progress();
  EXPECT_EQ(p.goal().sessions_per_week(), 3);
  EXPECT_EQ(p.goal().week_start(), coach::v1::WEEKDAY_MONDAY);
  EXPECT_THAT(
      p.goal().preferred_days(),
      ElementsAreArray({coach::v1::WEEKDAY_MONDAY, coach::v1::WEEKDAY_FRIDAY}));
  EXPECT_FALSE(p.has_next_reminder());  // No reminder time: no reminders.
  EXPECT_EQ(p.this_week().sessions_target(), 3);
}

TEST_F(SchedulerTest, ATokenReachesOnlyItsOwnPersonsData) {
  ASSERT_TRUE(SetGoal(GoalIn("Europe/London")).ok());
  const Identity bob{"bob", Role::kUser};
  const Identity coach{"carol", Role::kCoach};
  coach::v1::GetProgressRequest alices;
  alices.set_person_id("alice");
  EXPECT_TRUE(scheduler_->GetProgress(Device(), alices).ok());
  EXPECT_EQ(scheduler_->GetProgress(bob, alices).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(scheduler_->GetProgress(coach, alices).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(scheduler_->GetProgress(coach, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  coach::v1::SetGoalRequest set;
  set.set_person_id("alice");
  *set.mutable_goal() = GoalIn("Asia/Tokyo");
  EXPECT_EQ(scheduler_->SetGoal(bob, set).status().code(),
            absl::StatusCode::kPermissionDenied);
  coach::v1::LogWorkoutRequest log;
  log.set_person_id("alice");
  log.set_log_id("x");
  EXPECT_EQ(scheduler_->LogWorkout(bob, log).status().code(),
            absl::StatusCode::kPermissionDenied);
  coach::v1::AckReminderRequest ack;
  ack.set_person_id("alice");
  ack.set_reminder_id("2026-01-05");
  ack.set_action(coach::v1::ACK_ACTION_DONE);
  EXPECT_EQ(scheduler_->AckReminder(bob, ack).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Bob has no goal of his own, and Alice's is unchanged.
  EXPECT_EQ(scheduler_->GetProgress(bob, {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Progress().goal().time_zone(), "Europe/London");
}

TEST_F(SchedulerTest, LoggedWorkoutTimesAreChecked) {
  ASSERT_TRUE(SetGoal(GoalIn("Europe/London")).ok());
  struct Case {
    const char* name;
    std::string id;
    absl::Time at;
    const char* field;
  } cases[] = {
      {"no id", "", clock_.Now(), "log_id"},
      {"long id", std::string(65, 'x'), clock_.Now(), "log_id"},
      {"future", "a", clock_.Now() + absl::Hours(1), "completed_at"},
      {"too old", "b", clock_.Now() - absl::Hours(24 * 367), "completed_at"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    coach::v1::LogWorkoutRequest request;
    request.set_log_id(c.id);
    *request.mutable_completed_at() = ToProto(c.at);
    absl::StatusOr<coach::v1::LogWorkoutResponse> r =
        scheduler_->LogWorkout(User(), request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.field));
  }
  // Last Friday, logged today, lands in last week.
  coach::v1::LogWorkoutRequest friday;
  friday.set_log_id("friday");
  *friday.mutable_completed_at() = ToProto(Utc(2026, 1, 2, 18, 0));
  ASSERT_TRUE(scheduler_->LogWorkout(User(), friday).ok());
  EXPECT_EQ(Progress().this_week().sessions_done(), 0);
}

TEST_F(SchedulerTest, CoachesSeeAClientsWeekThroughTheProgressSource) {
  SchedulerProgressSource source(scheduler_.get());
  EXPECT_EQ(source.ProgressOf("alice").status().code(),
            absl::StatusCode::kNotFound);
  coach::v1::Goal goal = GoalIn("Europe/London");
  goal.set_sessions_per_week(2);
  ASSERT_TRUE(SetGoal(goal).ok());
  ASSERT_TRUE(Log("swim").ok());
  absl::StatusOr<coach::v1::ClientProgress> p = source.ProgressOf("alice");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->sessions_done_this_week(), 1);
  EXPECT_EQ(p->sessions_target_this_week(), 2);
  EXPECT_EQ(p->current_streak_weeks(), 0);
  // Two weeks on, the coach sees the complete weeks and 12-week adherence
  // as the person does.
  clock_.Set(clock_.Now() + absl::Hours(24 * 14));
  p = source.ProgressOf("alice");
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<coach::v1::Progress> own = scheduler_->ProgressOf("alice");
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_GE(own->recent_weeks_size(), 2);
  EXPECT_EQ(p->recent_weeks_size(), own->recent_weeks_size());
  EXPECT_EQ(p->recent_weeks(0).DebugString(),
            own->recent_weeks(0).DebugString());
  EXPECT_EQ(p->adherence_12_weeks(), own->adherence_12_weeks());
  EXPECT_GT(p->adherence_12_weeks(), 0);
}

TEST(SessionCompletionsTest, ASessionCountsWhenEnoughOfItWasDone) {
  coach::internal::SessionRecord record;
  record.set_session_id("s1");
  record.set_owner("alice");
  auto done_with = [](int percent) {
    coach::v1::SessionEvent event;
    event.mutable_server_time()->set_seconds(1767639600);
    event.mutable_session_done()->mutable_summary()->set_percent_done(percent);
    return StoredEvent::Make(std::move(event));
  };
  const StoredEvent other = StoredEvent::Make(coach::v1::SessionEvent());
  struct Case {
    int percent;
    bool counts;
  } cases[] = {{0, false}, {49, false}, {50, true}, {100, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.percent);
    std::optional<SessionCompletion> got =
        CompletionOf(record, {other, done_with(c.percent)}, 50);
    ASSERT_EQ(got.has_value(), c.counts);
    if (got) {
      EXPECT_EQ(got->person, "alice");
      EXPECT_EQ(got->key, "session:s1");
      EXPECT_EQ(got->at, absl::FromUnixSeconds(1767639600));
    }
  }
  EXPECT_FALSE(CompletionOf(record, {other}, 50));
}

TEST(SessionCompletionsTest, TheObserverRecordsOnTheExecutorOnce) {
  FakeClock clock(Utc(2026, 1, 5, 20, 0));
  MemorySchedulerStore store;
  Scheduler scheduler(&store, &clock, {});
  coach::internal::SessionRecord record;
  record.set_session_id("s1");
  record.set_owner("alice");
  coach::v1::SessionEvent event;
  event.mutable_server_time()->set_seconds(absl::ToUnixSeconds(clock.Now()));
  event.mutable_session_done()->mutable_summary()->set_percent_done(80);
  const StoredEvent done = StoredEvent::Make(std::move(event));
  {
    Executor executor(1);
    CommitObserver observer = MakeCompletionObserver(&scheduler, &executor);
    observer(record, {done});
    observer(record, {done});  // A replay, or another replica's report.
  }                            // The executor drains here.
  absl::StatusOr<std::vector<CompletionRecord>> all =
      store.ListCompletions("alice", 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().key, "session:s1");
}

}  // namespace
}  // namespace coachd
