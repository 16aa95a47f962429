#include "services/scheduler/week_calendar.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/scheduler/time_zone_names.h"

namespace coachd {
namespace {

const absl::CivilDay kEpochDay(1970, 1, 1);

// Monday = 0 ... Sunday = 6.
int WeekdayIndex(absl::Weekday weekday) {
  switch (weekday) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

}  // namespace

absl::CivilDay CivilOf(DayNumber day) { return kEpochDay + day; }

DayNumber DayNumberOf(absl::CivilDay civil) { return civil - kEpochDay; }

std::string FormatDay(DayNumber day) {
  const absl::CivilDay civil = CivilOf(day);
  return absl::StrFormat("%04d-%02d-%02d", civil.year(), civil.month(),
                         civil.day());
}

absl::StatusOr<WeekCalendar> WeekCalendar::Create(absl::string_view time_zone,
                                                  absl::Duration day_start,
                                                  absl::Weekday week_start) {
  // Never a path, and never a name absl would cache for good.
  absl::Status valid = ValidateTimeZoneName(time_zone);
  if (!valid.ok()) return valid;
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(time_zone), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("time_zone: unknown IANA time zone \"", time_zone, "\""));
  }
  if (day_start < absl::ZeroDuration() || day_start >= kMaxDayStart ||
      day_start != absl::Floor(day_start, absl::Minutes(1))) {
    return absl::InvalidArgumentError(
        "day_start: must be whole minutes from 00:00 to 11:59");
  }
  return WeekCalendar(zone, day_start, week_start);
}

absl::Time WeekCalendar::Resolve(absl::CivilSecond civil) const {
  return zone_.At(civil).pre;
}

DayNumber WeekCalendar::DayOf(absl::Time t) const {
  const absl::CivilSecond local = absl::ToCivilSecond(t, zone_);
  const absl::CivilSecond shifted = local - absl::ToInt64Seconds(day_start_);
  return DayNumberOf(absl::CivilDay(shifted));
}

absl::Time WeekCalendar::StartOfDay(DayNumber day) const {
  return Resolve(absl::CivilSecond(CivilOf(day)) +
                 absl::ToInt64Seconds(day_start_));
}

absl::Time WeekCalendar::AtLocalTime(DayNumber day,
                                     absl::Duration time_of_day) const {
  absl::CivilSecond civil(CivilOf(day));
  if (time_of_day < day_start_) civil += 24 * 60 * 60;  // Past midnight.
  return Resolve(civil + absl::ToInt64Seconds(time_of_day));
}

DayNumber WeekCalendar::WeekOf(DayNumber day) const {
  const int back =
      (WeekdayIndex(WeekdayOf(day)) - WeekdayIndex(week_start_) + 7) % 7;
  return day - back;
}

absl::Weekday WeekCalendar::WeekdayOf(DayNumber day) {
  return absl::GetWeekday(CivilOf(day));
}

}  // namespace coachd
