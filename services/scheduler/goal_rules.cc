#include "services/scheduler/goal_rules.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace coachd {
namespace {

constexpr int kMaxPauseNoteBytes = 200;

std::string Clock(const coach::v1::TimeOfDay& t) {
  return absl::StrFormat("%02d:%02d", t.hours(), t.minutes());
}

bool ValidTime(const coach::v1::TimeOfDay& t) {
  return t.hours() >= 0 && t.hours() <= 23 && t.minutes() >= 0 &&
         t.minutes() <= 59;
}

absl::Status ValidateDayList(const coach::v1::Goal& goal) {
  for (int day : goal.preferred_days()) {
    if (!coach::v1::Weekday_IsValid(day)) {
      return absl::InvalidArgumentError(
          absl::StrCat("goal.preferred_days: unknown value ", day));
    }
    if (day == coach::v1::WEEKDAY_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "goal.preferred_days: WEEKDAY_UNSPECIFIED is not a day");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePauses(const coach::v1::Goal& goal) {
  if (goal.pauses_size() > kMaxPauses) {
    return absl::InvalidArgumentError(absl::StrCat(
        "goal.pauses: at most ", kMaxPauses, ", got ", goal.pauses_size()));
  }
  for (int i = 0; i < goal.pauses_size(); ++i) {
    const coach::v1::Pause& pause = goal.pauses(i);
    const std::string field = absl::StrCat("goal.pauses[", i, "]");
    if (!pause.has_first_day()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".first_day: required"));
    }
    if (!pause.has_last_day()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".last_day: required"));
    }
    absl::StatusOr<DayNumber> first =
        DayOfDate(pause.first_day(), absl::StrCat(field, ".first_day"));
    if (!first.ok()) return first.status();
    absl::StatusOr<DayNumber> last =
        DayOfDate(pause.last_day(), absl::StrCat(field, ".last_day"));
    if (!last.ok()) return last.status();
    if (*last < *first) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".last_day: before first_day"));
    }
    if (*last - *first >= kMaxPauseDays) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".last_day: a pause lasts at most ", kMaxPauseDays, " days"));
    }
    if (pause.note().size() > kMaxPauseNoteBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".note: longer than ", kMaxPauseNoteBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<coach::v1::Goal> NormalizeGoal(const coach::v1::Goal& goal) {
  coach::v1::Goal out = goal;
  if (goal.has_sessions_per_week() &&
      (goal.sessions_per_week() < 1 || goal.sessions_per_week() > 7)) {
    return absl::InvalidArgumentError(
        absl::StrCat("goal.sessions_per_week: must be 1 to 7, got ",
                     goal.sessions_per_week()));
  }
  if (!goal.has_sessions_per_week()) {
    out.set_sessions_per_week(kDefaultSessionsPerWeek);
  }
  absl::Status days = ValidateDayList(goal);
  if (!days.ok()) return days;
  if (goal.has_reminder_time() && !ValidTime(goal.reminder_time())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "goal.reminder_time: hours must be 0 to 23 and minutes 0 to 59, got ",
        Clock(goal.reminder_time())));
  }
  if (goal.has_day_start() &&
      (!ValidTime(goal.day_start()) ||
       SinceMidnight(goal.day_start()) >= kMaxDayStart)) {
    return absl::InvalidArgumentError(
        absl::StrCat("goal.day_start: must be 00:00 to 11:59, got ",
                     Clock(goal.day_start())));
  }
  if (!coach::v1::Weekday_IsValid(goal.week_start())) {
    return absl::InvalidArgumentError(
        absl::StrCat("goal.week_start: unknown value ", goal.week_start()));
  }
  absl::Status pauses = ValidatePauses(goal);
  if (!pauses.ok()) return pauses;
  if (goal.week_start() == coach::v1::WEEKDAY_UNSPECIFIED) {
    out.set_week_start(coach::v1::WEEKDAY_MONDAY);
  }
  std::vector<int> preferred(goal.preferred_days().begin(),
                             goal.preferred_days().end());
  std::sort(preferred.begin(), preferred.end());
  preferred.erase(std::unique(preferred.begin(), preferred.end()),
                  preferred.end());
  out.clear_preferred_days();
  for (int day : preferred) {
    out.add_preferred_days(static_cast<coach::v1::Weekday>(day));
  }
  absl::StatusOr<WeekCalendar> calendar = CalendarOf(out);
  if (!calendar.ok()) return calendar.status();
  return out;
}

absl::StatusOr<WeekCalendar> CalendarOf(const coach::v1::Goal& goal) {
  absl::StatusOr<WeekCalendar> calendar =
      WeekCalendar::Create(goal.time_zone(), SinceMidnight(goal.day_start()),
                           ToAbslWeekday(goal.week_start()));
  if (!calendar.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("goal.", calendar.status().message()));
  }
  return calendar;
}

WeekCalendar DefaultCalendar() {
  return *WeekCalendar::Create("UTC", absl::ZeroDuration(),
                               absl::Weekday::monday);
}

absl::Weekday ToAbslWeekday(coach::v1::Weekday weekday) {
  switch (weekday) {
    case coach::v1::WEEKDAY_TUESDAY:
      return absl::Weekday::tuesday;
    case coach::v1::WEEKDAY_WEDNESDAY:
      return absl::Weekday::wednesday;
    case coach::v1::WEEKDAY_THURSDAY:
      return absl::Weekday::thursday;
    case coach::v1::WEEKDAY_FRIDAY:
      return absl::Weekday::friday;
    case coach::v1::WEEKDAY_SATURDAY:
      return absl::Weekday::saturday;
    case coach::v1::WEEKDAY_SUNDAY:
      return absl::Weekday::sunday;
    default:
      return absl::Weekday::monday;
  }
}

coach::v1::Weekday ToProtoWeekday(absl::Weekday weekday) {
  switch (weekday) {
    case absl::Weekday::monday:
      return coach::v1::WEEKDAY_MONDAY;
    case absl::Weekday::tuesday:
      return coach::v1::WEEKDAY_TUESDAY;
    case absl::Weekday::wednesday:
      return coach::v1::WEEKDAY_WEDNESDAY;
    case absl::Weekday::thursday:
      return coach::v1::WEEKDAY_THURSDAY;
    case absl::Weekday::friday:
      return coach::v1::WEEKDAY_FRIDAY;
    case absl::Weekday::saturday:
      return coach::v1::WEEKDAY_SATURDAY;
    case absl::Weekday::sunday:
      return coach::v1::WEEKDAY_SUNDAY;
  }
  return coach::v1::WEEKDAY_MONDAY;
}

absl::Duration SinceMidnight(const coach::v1::TimeOfDay& time) {
  return absl::Hours(time.hours()) + absl::Minutes(time.minutes());
}

absl::StatusOr<DayNumber> DayOfDate(const coach::v1::Date& date,
                                    absl::string_view field) {
  const absl::CivilDay civil(date.year(), date.month(), date.day());
  if (date.year() < 1970 || date.year() > 2200 || civil.year() != date.year() ||
      civil.month() != date.month() || civil.day() != date.day()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: not a date between 1970 and 2200, got %04d-%02d-%02d", field,
        date.year(), date.month(), date.day()));
  }
  return DayNumberOf(civil);
}

coach::v1::Date DateOf(DayNumber day) {
  const absl::CivilDay civil = CivilOf(day);
  coach::v1::Date date;
  date.set_year(static_cast<int32_t>(civil.year()));
  date.set_month(civil.month());
  date.set_day(civil.day());
  return date;
}

bool IsPaused(const coach::v1::Goal& goal, DayNumber day) {
  for (const coach::v1::Pause& pause : goal.pauses()) {
    absl::StatusOr<DayNumber> first = DayOfDate(pause.first_day(), "");
    absl::StatusOr<DayNumber> last = DayOfDate(pause.last_day(), "");
    if (first.ok() && last.ok() && day >= *first && day <= *last) return true;
  }
  return false;
}

GoalRecord UpdateGoalRecord(const GoalRecord* existing,
                            const coach::v1::Goal& goal,
                            const WeekCalendar& calendar, DayNumber today,
                            absl::Time now) {
  GoalRecord record;
  record.goal = goal;
  record.updated_at = now;
  const int target = goal.sessions_per_week();
  if (existing == nullptr || existing->targets.empty()) {
    record.start_day = today;
    record.targets.push_back({today, target});
    return record;
  }
  record.start_day = existing->start_day;
  record.targets = existing->targets;
  if (TargetForWeek(record, today) == target) return record;
  const DayNumber from = calendar.WeekOf(today);
  while (!record.targets.empty() && record.targets.back().from_day >= from) {
    record.targets.pop_back();
  }
  record.targets.push_back({from, target});
  return record;
}

int TargetForWeek(const GoalRecord& record, DayNumber last_day) {
  if (record.targets.empty()) return kDefaultSessionsPerWeek;
  int target = record.targets.front().sessions_per_week;
  for (const TargetChange& change : record.targets) {
    if (change.from_day > last_day) break;
    target = change.sessions_per_week;
  }
  return target;
}

}  // namespace coachd
