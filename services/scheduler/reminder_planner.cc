#include "services/scheduler/reminder_planner.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/scheduler/goal_rules.h"

namespace coachd {

std::optional<PlannedReminder> PlanNextReminder(
    const WeekLedger& ledger, absl::Time now,
    const absl::flat_hash_set<DayNumber>& handled) {
  const coach::v1::Goal& goal = ledger.goal().goal;
  if (!goal.has_reminder_time()) return std::nullopt;
  const WeekCalendar& calendar = ledger.calendar();
  const absl::Duration at = SinceMidnight(goal.reminder_time());
  const DayNumber today = calendar.DayOf(now);
  for (DayNumber day = today; day < today + kPlanHorizonDays; ++day) {
    if (goal.preferred_days_size() > 0) {
      const coach::v1::Weekday weekday =
          ToProtoWeekday(WeekCalendar::WeekdayOf(day));
      if (std::find(goal.preferred_days().begin(), goal.preferred_days().end(),
                    weekday) == goal.preferred_days().end()) {
        continue;
      }
    }
    if (ledger.Paused(day) || ledger.DoneOn(day) > 0 || handled.contains(day)) {
      continue;
    }
    const WeekTally week = ledger.WeekContaining(day, today);
    if (week.outcome == coach::v1::WEEK_OUTCOME_EXCUSED) continue;
    if (week.outcome == coach::v1::WEEK_OUTCOME_MET &&
        !goal.remind_when_met()) {
      continue;
    }
    const absl::Time due = calendar.AtLocalTime(day, at);
    if (due <= now) continue;
    PlannedReminder plan;
    plan.day = day;
    plan.due = due;
    plan.expires = calendar.StartOfDay(day + 1);
    plan.sessions_done = week.done;
    plan.sessions_target = week.target;
    return plan;
  }
  return std::nullopt;
}

ReminderRecord PlannedRecord(absl::string_view person,
                             const PlannedReminder& plan) {
  ReminderRecord record;
  record.person = std::string(person);
  record.id = FormatDay(plan.day);
  record.day = plan.day;
  record.state = ReminderState::kPlanned;
  record.due = plan.due;
  record.expires = plan.expires;
  record.sessions_done = plan.sessions_done;
  record.sessions_target = plan.sessions_target;
  record.title = "Back workout";
  const int left = std::max(0, plan.sessions_target - plan.sessions_done);
  std::string tally = absl::StrCat(plan.sessions_done, " of ",
                                   plan.sessions_target, " done this week");
  if (left == 0) {
    record.text = absl::StrCat("Time for your back workout. Goal met: ", tally,
                               ". Keep it going!");
  } else {
    record.text = absl::StrCat("Time for your back workout: ", tally, ".");
  }
  record.ssml =
      absl::StrCat("<speak>Time for your back workout.<break time=\"300ms\"/>",
                   tally, ".</speak>");
  return record;
}

}  // namespace coachd
