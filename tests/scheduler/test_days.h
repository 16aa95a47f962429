// Small helpers shared by the scheduler tests: days and instants written the
// way people read them.
#ifndef TESTS_SCHEDULER_TEST_DAYS_H_
#define TESTS_SCHEDULER_TEST_DAYS_H_

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/scheduler/week_calendar.h"

namespace coachd {
namespace testing_days {

// The day number of a calendar date.
inline DayNumber Day(int y, int m, int d) {
  return DayNumberOf(absl::CivilDay(y, m, d));
}

// An instant given in UTC.
inline absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0),
                         absl::UTCTimeZone());
}

// An instant given as a wall-clock time in `zone` (must exist there).
inline absl::Time Local(const char* zone, int y, int m, int d, int hh, int mm) {
  absl::TimeZone tz;
  absl::LoadTimeZone(zone, &tz);
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), tz);
}

// "2026-03-08 Sun 07:30 -0400": date, weekday, clock and UTC offset of `t`
// in `zone`.
inline std::string Show(absl::Time t, const char* zone) {
  absl::TimeZone tz;
  absl::LoadTimeZone(zone, &tz);
  return absl::FormatTime("%Y-%m-%d %a %H:%M %z", t, tz);
}

}  // namespace testing_days
}  // namespace coachd

#endif  // TESTS_SCHEDULER_TEST_DAYS_H_
