#include "services/scheduler/scheduler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/scheduler/goal_rules.h"
#include "services/scheduler/reminder_planner.h"

namespace coachd {
namespace {

constexpr int kMaxLogIdLength = 64;
constexpr int kMaxReminderIdLength = 32;
constexpr int kMaxSnoozeMinutes = 720;
constexpr absl::Duration kFutureSlack = absl::Minutes(1);
constexpr absl::Duration kMaxLogAge = absl::Hours(24 * 366);

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

coach::v1::ReminderState StateToProto(ReminderState state) {
  switch (state) {
    case ReminderState::kDue:
      return coach::v1::REMINDER_STATE_DUE;
    case ReminderState::kSnoozed:
      return coach::v1::REMINDER_STATE_SNOOZED;
    case ReminderState::kDone:
      return coach::v1::REMINDER_STATE_DONE;
    case ReminderState::kCleared:
      return coach::v1::REMINDER_STATE_CLEARED;
    case ReminderState::kPlanned:
      break;
  }
  return coach::v1::REMINDER_STATE_UNSPECIFIED;
}

bool IsOpen(const ReminderRecord& r) {
  return r.state == ReminderState::kDue || r.state == ReminderState::kSnoozed;
}

// The first day whose completions feed the ledger on `today`: the history
// streaks and the habit score look at, and the 6 days before it.
DayNumber HistoryStart(const GoalRecord& goal, const WeekCalendar& calendar,
                       DayNumber today) {
  const DayNumber oldest =
      calendar.WeekOf(today) - 7 * static_cast<DayNumber>(kMaxHistoryWeeks);
  return std::max(calendar.WeekOf(goal.start_day), oldest) - 7;
}

std::vector<DayNumber> DaysOf(const std::vector<CompletionRecord>& done) {
  std::vector<DayNumber> days;
  days.reserve(done.size());
  for (const CompletionRecord& c : done) days.push_back(c.day);
  return days;
}

}  // namespace

coach::v1::Reminder ReminderToProto(const ReminderRecord& r) {
  coach::v1::Reminder out;
  out.set_reminder_id(r.id);
  out.set_state(StateToProto(r.state));
  *out.mutable_day() = DateOf(r.day);
  *out.mutable_due_at() = ToTimestamp(r.due);
  *out.mutable_expires_at() = ToTimestamp(r.expires);
  out.set_title(r.title);
  out.set_text(r.text);
  out.mutable_speech()->set_text(r.text);
  out.mutable_speech()->set_ssml(r.ssml);
  out.set_sessions_done(r.sessions_done);
  out.set_sessions_target(r.sessions_target);
  out.set_version(r.version);
  return out;
}

Scheduler::Scheduler(SchedulerStore* store, const Clock* clock,
                     SchedulerOptions options)
    : store_(store), clock_(clock), options_(options) {}

absl::Mutex& Scheduler::LockFor(absl::string_view person) {
  return person_locks_[absl::Hash<absl::string_view>()(person) %
                       person_locks_.size()];
}

absl::StatusOr<std::string> Scheduler::PersonFor(const Identity& who,
                                                 absl::string_view person_id) {
  if (who.role == Role::kCoach) {
    return absl::PermissionDeniedError(
        "coach tokens cannot reach goals, progress or reminders yet; use the "
        "person's user or device token");
  }
  if (!person_id.empty() && person_id != who.subject) {
    return absl::PermissionDeniedError(
        "person_id: a token reaches only its own goal, progress and "
        "reminders");
  }
  return who.subject;
}

absl::StatusOr<coach::v1::Progress> Scheduler::BuildProgress(
    absl::string_view person, const GoalRecord& goal) {
  absl::StatusOr<WeekCalendar> calendar = CalendarOf(goal.goal);
  if (!calendar.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the stored goal's time zone no longer loads: ",
                     calendar.status().message()));
  }
  const absl::Time now = clock_->Now();
  const DayNumber today = calendar->DayOf(now);
  absl::StatusOr<std::vector<CompletionRecord>> done =
      store_->ListCompletions(person, HistoryStart(goal, *calendar, today));
  if (!done.ok()) return done.status();
  absl::StatusOr<std::vector<ReminderRecord>> reminders =
      store_->ListReminders(person);
  if (!reminders.ok()) return reminders.status();
  WeekLedger ledger(&goal, &*calendar, DaysOf(*done));
  coach::v1::Progress progress = ComputeProgress(ledger, now);
  std::optional<absl::Time> next;
  for (const ReminderRecord& r : *reminders) {
    if (r.state != ReminderState::kPlanned &&
        r.state != ReminderState::kSnoozed) {
      continue;
    }
    if (!next.has_value() || r.due < *next) next = r.due;
  }
  if (next.has_value()) *progress.mutable_next_reminder() = ToTimestamp(*next);
  return progress;
}

absl::StatusOr<coach::v1::SetGoalResponse> Scheduler::SetGoal(
    const Identity& who, const coach::v1::SetGoalRequest& request) {
  absl::StatusOr<std::string> person = PersonFor(who, request.person_id());
  if (!person.ok()) return person.status();
  if (!request.has_goal()) {
    return absl::InvalidArgumentError("goal: required");
  }
  absl::StatusOr<coach::v1::Goal> goal = NormalizeGoal(request.goal());
  if (!goal.ok()) return goal.status();
  absl::StatusOr<WeekCalendar> calendar = CalendarOf(*goal);
  if (!calendar.ok()) return calendar.status();
  const absl::Time now = clock_->Now();

  absl::MutexLock lock(&LockFor(*person));
  absl::StatusOr<GoalRecord> existing = store_->LoadGoal(*person);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  GoalRecord record =
      UpdateGoalRecord(existing.ok() ? &*existing : nullptr, *goal, *calendar,
                       calendar->DayOf(now), now);
  absl::Status saved = store_->SaveGoal(*person, record);
  if (!saved.ok()) return saved;
  if (!goal->has_reminder_time()) {
    // Reminders turned off: close the open ones too.
    absl::StatusOr<std::vector<ReminderRecord>> reminders =
        store_->ListReminders(*person);
    if (!reminders.ok()) return reminders.status();
    std::vector<std::string> open;
    for (const ReminderRecord& r : *reminders) {
      if (IsOpen(r)) open.push_back(r.id);
    }
    absl::Status cleared = store_->ClearOpen(*person, open);
    if (!cleared.ok()) return cleared;
  }
  absl::Status planned = ReplanLocked(*person);
  if (!planned.ok()) return planned;
  absl::StatusOr<coach::v1::Progress> progress = BuildProgress(*person, record);
  if (!progress.ok()) return progress.status();
  coach::v1::SetGoalResponse response;
  *response.mutable_progress() = *std::move(progress);
  return response;
}

absl::StatusOr<coach::v1::Progress> Scheduler::GetProgress(
    const Identity& who, const coach::v1::GetProgressRequest& request) {
  absl::StatusOr<std::string> person = PersonFor(who, request.person_id());
  if (!person.ok()) return person.status();
  return ProgressOf(*person);
}

absl::StatusOr<coach::v1::Progress> Scheduler::ProgressOf(
    absl::string_view person) {
  absl::StatusOr<GoalRecord> goal = store_->LoadGoal(person);
  if (!goal.ok()) return goal.status();
  return BuildProgress(person, *goal);
}

absl::StatusOr<coach::v1::LogWorkoutResponse> Scheduler::LogWorkout(
    const Identity& who, const coach::v1::LogWorkoutRequest& request) {
  absl::StatusOr<std::string> person = PersonFor(who, request.person_id());
  if (!person.ok()) return person.status();
  if (request.log_id().empty() || request.log_id().size() > kMaxLogIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log_id: required, 1 to ", kMaxLogIdLength, " characters"));
  }
  const absl::Time now = clock_->Now();
  absl::Time at = now;
  if (request.has_completed_at()) {
    const google::protobuf::Timestamp& ts = request.completed_at();
    if (ts.nanos() < 0 || ts.nanos() > 999999999) {
      return absl::InvalidArgumentError(
          "completed_at: nanos must be 0 to 999999999");
    }
    at = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
    if (at > now + kFutureSlack) {
      return absl::InvalidArgumentError("completed_at: in the future");
    }
    if (at < now - kMaxLogAge) {
      return absl::InvalidArgumentError("completed_at: more than 366 days ago");
    }
  }
  if (quotas_ != nullptr) {
    absl::Status quota = quotas_->Take(
        "LogWorkout", quotas_->options().workouts_logged, *person);
    if (!quota.ok()) return quota;
  }
  absl::StatusOr<bool> added =
      RecordCompletion(*person, absl::StrCat("log:", request.log_id()), at);
  if (!added.ok()) return added.status();
  coach::v1::LogWorkoutResponse response;
  response.set_duplicate(!*added);
  absl::StatusOr<GoalRecord> goal = store_->LoadGoal(*person);
  if (absl::IsNotFound(goal.status())) return response;
  if (!goal.ok()) return goal.status();
  absl::StatusOr<coach::v1::Progress> progress = BuildProgress(*person, *goal);
  if (!progress.ok()) return progress.status();
  *response.mutable_progress() = *std::move(progress);
  return response;
}

absl::StatusOr<coach::v1::Reminder> Scheduler::AckReminder(
    const Identity& who, const coach::v1::AckReminderRequest& request) {
  absl::StatusOr<std::string> person = PersonFor(who, request.person_id());
  if (!person.ok()) return person.status();
  if (request.reminder_id().empty() ||
      request.reminder_id().size() > kMaxReminderIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reminder_id: required, 1 to ", kMaxReminderIdLength, " characters"));
  }
  if (request.action() == coach::v1::ACK_ACTION_UNSPECIFIED) {
    return absl::InvalidArgumentError("action: required, done or snooze");
  }
  if (!coach::v1::AckAction_IsValid(request.action())) {
    return absl::InvalidArgumentError(
        absl::StrCat("action: unknown value ", request.action()));
  }
  ReminderAck ack;
  if (request.action() == coach::v1::ACK_ACTION_SNOOZE) {
    if (request.snooze_minutes() < 1 ||
        request.snooze_minutes() > kMaxSnoozeMinutes) {
      return absl::InvalidArgumentError(
          absl::StrCat("snooze_minutes: must be 1 to ", kMaxSnoozeMinutes,
                       " for a snooze, got ", request.snooze_minutes()));
    }
    ack.snooze = true;
    ack.until = clock_->Now() + absl::Minutes(request.snooze_minutes());
  }
  absl::StatusOr<ReminderRecord> record =
      store_->Acknowledge(*person, request.reminder_id(), ack);
  if (!record.ok()) return record.status();
  return ReminderToProto(*record);
}

absl::StatusOr<std::vector<ReminderRecord>> Scheduler::OpenReminders(
    absl::string_view person) {
  absl::StatusOr<std::vector<ReminderRecord>> all =
      store_->ListReminders(person);
  if (!all.ok()) return all.status();
  const absl::Time now = clock_->Now();
  std::vector<ReminderRecord> open;
  for (ReminderRecord& r : *all) {
    if (r.state == ReminderState::kDue && r.expires > now) {
      open.push_back(std::move(r));
    }
  }
  return open;
}

absl::StatusOr<bool> Scheduler::RecordCompletion(absl::string_view person,
                                                 absl::string_view key,
                                                 absl::Time at) {
  absl::MutexLock lock(&LockFor(person));
  absl::StatusOr<GoalRecord> goal = store_->LoadGoal(person);
  if (!goal.ok() && !absl::IsNotFound(goal.status())) return goal.status();
  absl::StatusOr<WeekCalendar> calendar = DefaultCalendar();
  if (goal.ok()) calendar = CalendarOf(goal->goal);
  if (!calendar.ok()) calendar = DefaultCalendar();
  CompletionRecord completion{std::string(key), at, calendar->DayOf(at)};
  absl::StatusOr<bool> added = store_->AddCompletion(person, completion);
  if (!added.ok() || !*added || !goal.ok()) return added;

  // Close the reminders this workout answers: those of its day, and those
  // of its week once the week's goal is met.
  const DayNumber week = calendar->WeekOf(completion.day);
  absl::StatusOr<std::vector<CompletionRecord>> done =
      store_->ListCompletions(person, week);
  if (!done.ok()) return done.status();
  WeekLedger ledger(&*goal, &*calendar, DaysOf(*done));
  const bool week_met =
      ledger.Week(week, calendar->DayOf(clock_->Now())).outcome ==
          coach::v1::WEEK_OUTCOME_MET &&
      !goal->goal.remind_when_met();
  absl::StatusOr<std::vector<ReminderRecord>> reminders =
      store_->ListReminders(person);
  if (!reminders.ok()) return reminders.status();
  std::vector<std::string> answered;
  for (const ReminderRecord& r : *reminders) {
    if (!IsOpen(r)) continue;
    if (r.day == completion.day ||
        (week_met && calendar->WeekOf(r.day) == week)) {
      answered.push_back(r.id);
    }
  }
  absl::Status cleared = store_->ClearOpen(person, answered);
  if (!cleared.ok()) return cleared;
  absl::Status planned = ReplanLocked(person);
  if (!planned.ok()) return planned;
  return true;
}

absl::Status Scheduler::Replan(absl::string_view person) {
  absl::MutexLock lock(&LockFor(person));
  return ReplanLocked(person);
}

absl::Status Scheduler::ReplanLocked(absl::string_view person) {
  const absl::Time now = clock_->Now();
  absl::StatusOr<GoalRecord> goal = store_->LoadGoal(person);
  if (absl::IsNotFound(goal.status())) {
    return store_->SetPlanned(
        person, std::nullopt,
        DefaultCalendar().DayOf(now) - options_.keep_closed_days);
  }
  if (!goal.ok()) return goal.status();
  absl::StatusOr<WeekCalendar> calendar = CalendarOf(goal->goal);
  if (!calendar.ok()) {
    LogWarning(absl::StrCat("no reminders for ", person, ": ",
                            calendar.status().message()));
    return store_->SetPlanned(
        person, std::nullopt,
        DefaultCalendar().DayOf(now) - options_.keep_closed_days);
  }
  const DayNumber today = calendar->DayOf(now);
  absl::StatusOr<std::vector<CompletionRecord>> done =
      store_->ListCompletions(person, calendar->WeekOf(today));
  if (!done.ok()) return done.status();
  absl::StatusOr<std::vector<ReminderRecord>> reminders =
      store_->ListReminders(person);
  if (!reminders.ok()) return reminders.status();
  absl::flat_hash_set<DayNumber> handled;
  for (const ReminderRecord& r : *reminders) {
    if (r.state != ReminderState::kPlanned) handled.insert(r.day);
  }
  WeekLedger ledger(&*goal, &*calendar, DaysOf(*done));
  std::optional<PlannedReminder> plan = PlanNextReminder(ledger, now, handled);
  std::optional<ReminderRecord> next;
  if (plan.has_value()) next = PlannedRecord(person, *plan);
  return store_->SetPlanned(person, next, today - options_.keep_closed_days);
}

absl::StatusOr<int> Scheduler::RunDue() {
  const absl::Time now = clock_->Now();
  const int batch = std::max(1, options_.claim_batch);
  absl::flat_hash_set<std::string> people;
  int changed = 0;
  for (;;) {
    absl::StatusOr<std::vector<ReminderRecord>> claimed =
        store_->ClaimDue(now, batch);
    if (!claimed.ok()) return claimed.status();
    changed += static_cast<int>(claimed->size());
    for (const ReminderRecord& r : *claimed) {
      people.insert(r.person);
      (r.state == ReminderState::kDue ? fired_ : expired_).fetch_add(1);
    }
    if (static_cast<int>(claimed->size()) < batch) break;
  }
  for (const std::string& person : people) {
    absl::Status planned = Replan(person);
    if (!planned.ok()) {
      LogWarning(absl::StrCat("planning the next reminder of ", person, ": ",
                              planned.message()));
    }
  }
  return changed;
}

}  // namespace coachd
