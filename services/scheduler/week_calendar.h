// A person's calendar: which local day an instant belongs to, where weeks
// begin, and which instant a local clock time on a given day is. Days are
// "logical": they begin at the person's day-start time, so a workout at
// 01:00 with a day start of 03:00 belongs to the previous day. Time zones are
// IANA zones loaded by absl::LoadTimeZone from the system's zoneinfo, so
// daylight-saving changes (including Lord Howe's 30-minute one) are exact.
//
//   absl::StatusOr<WeekCalendar> cal = WeekCalendar::Create(
//       "Europe/London", absl::Hours(3), absl::Weekday::monday);
//   DayNumber today = cal->DayOf(clock.Now());
//   absl::Time reminder = cal->AtLocalTime(today, absl::Hours(7) +
//                                                 absl::Minutes(30));
#ifndef SERVICES_SCHEDULER_WEEK_CALENDAR_H_
#define SERVICES_SCHEDULER_WEEK_CALENDAR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace coachd {

// A local calendar day, counted in days from 1970-01-01 (day 0). Plain
// integers make week arithmetic and storage trivial.
using DayNumber = int64_t;

// The days a calendar handles: those of years 1 to 9999. Every day coachd
// computes from a clock or a request lies within; a stored record holding
// one outside is corrupt (and week arithmetic on it could overflow).
inline constexpr DayNumber kEarliestDay = -719162;  // 0001-01-01
inline constexpr DayNumber kLatestDay = 2932896;    // 9999-12-31

// True when kEarliestDay <= day <= kLatestDay.
inline bool IsCalendarDay(DayNumber day) {
  return day >= kEarliestDay && day <= kLatestDay;
}

// The civil day of `day`.
absl::CivilDay CivilOf(DayNumber day);

// The day number of `civil`.
DayNumber DayNumberOf(absl::CivilDay civil);

// "YYYY-MM-DD" of `day`.
std::string FormatDay(DayNumber day);

// The longest day start accepted: a day begins before noon.
inline constexpr absl::Duration kMaxDayStart = absl::Hours(12);

// Immutable and cheap to copy; thread-safe.
class WeekCalendar {
 public:
  // A calendar in the IANA zone `time_zone` whose days begin `day_start`
  // after local midnight (0 <= day_start < 12h, whole minutes) and whose
  // weeks begin on `week_start`. INVALID_ARGUMENT naming "time_zone" for an
  // unknown or empty zone name, "day_start" for an offset out of range.
  static absl::StatusOr<WeekCalendar> Create(absl::string_view time_zone,
                                             absl::Duration day_start,
                                             absl::Weekday week_start);

  // The logical local day that instant `t` falls in.
  DayNumber DayOf(absl::Time t) const;

  // The instant logical day `day` begins (its day-start on its calendar
  // date). A start that falls in a DST gap moves forward by the gap.
  absl::Time StartOfDay(DayNumber day) const;

  // The instant within logical day `day` at which the local clock reads
  // `time_of_day` (0 <= time_of_day < 24h). A time before the day start
  // lies on the next calendar date, still within the logical day. A time
  // skipped by a DST change moves forward by the gap; a repeated time
  // takes its first occurrence.
  absl::Time AtLocalTime(DayNumber day, absl::Duration time_of_day) const;

  // The first day of the week containing `day`.
  DayNumber WeekOf(DayNumber day) const;

  // The weekday of `day`.
  static absl::Weekday WeekdayOf(DayNumber day);

  const absl::TimeZone& zone() const { return zone_; }
  absl::Duration day_start() const { return day_start_; }
  absl::Weekday week_start() const { return week_start_; }

 private:
  WeekCalendar(absl::TimeZone zone, absl::Duration day_start,
               absl::Weekday week_start)
      : zone_(zone), day_start_(day_start), week_start_(week_start) {}

  // The instant `civil` (a local wall-clock time) names: the pre-transition
  // reading in a gap or an overlap.
  absl::Time Resolve(absl::CivilSecond civil) const;

  absl::TimeZone zone_;
  absl::Duration day_start_;
  absl::Weekday week_start_;
};

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_WEEK_CALENDAR_H_
