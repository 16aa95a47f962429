// The local calendar: logical days with a day-start offset, week boundaries
// for different week starts, and local clock times across DST changes.
#include "services/scheduler/week_calendar.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/scheduler/test_days.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using testing_days::Day;
using testing_days::Local;
using testing_days::Show;
using testing_days::Utc;

WeekCalendar Calendar(const char* zone, absl::Duration day_start,
                      absl::Weekday week_start = absl::Weekday::monday) {
  absl::StatusOr<WeekCalendar> calendar =
      WeekCalendar::Create(zone, day_start, week_start);
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *calendar;
}

TEST(WeekCalendarTest, CalendarDaysAreThoseOfYearsOneTo9999) {
  EXPECT_EQ(kEarliestDay, Day(1, 1, 1));
  EXPECT_EQ(kLatestDay, Day(9999, 12, 31));
  EXPECT_TRUE(IsCalendarDay(0));
  EXPECT_TRUE(IsCalendarDay(kEarliestDay));
  EXPECT_TRUE(IsCalendarDay(kLatestDay));
  EXPECT_FALSE(IsCalendarDay(kEarliestDay - 1));
  EXPECT_FALSE(IsCalendarDay(kLatestDay + 1));
}

TEST(WeekCalendarTest, DayStartOffsetMovesEarlyHoursToThePreviousDay) {
  const WeekCalendar cal = Calendar("America/New_York", absl::Hours(3));
  struct Case {
    int hh, mm;
    DayNumber want;
  } cases[] = {
      {0, 0, Day(2026, 1, 6)},   {1, 0, Day(2026, 1, 6)},
      {2, 59, Day(2026, 1, 6)},  {3, 0, Day(2026, 1, 7)},
      {23, 59, Day(2026, 1, 7)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("2026-01-07 ", c.hh, ":", c.mm, " New York"));
    EXPECT_EQ(cal.DayOf(Local("America/New_York", 2026, 1, 7, c.hh, c.mm)),
              c.want);
  }
  // Without an offset, 01:00 is already the new day.
  EXPECT_EQ(Calendar("America/New_York", absl::ZeroDuration())
                .DayOf(Local("America/New_York", 2026, 1, 7, 1, 0)),
            Day(2026, 1, 7));
}

TEST(WeekCalendarTest, WeeksBeginOnTheChosenWeekday) {
  struct Case {
    absl::Weekday start;
    DayNumber day;
    DayNumber want;
  } cases[] = {
      {absl::Weekday::monday, Day(2026, 1, 5), Day(2026, 1, 5)},   // Mon.
      {absl::Weekday::monday, Day(2026, 1, 11), Day(2026, 1, 5)},  // Sun.
      {absl::Weekday::monday, Day(2026, 1, 12), Day(2026, 1, 12)},
      {absl::Weekday::sunday, Day(2026, 1, 11), Day(2026, 1, 11)},
      {absl::Weekday::sunday, Day(2026, 1, 10), Day(2026, 1, 4)},  // Sat.
      {absl::Weekday::saturday, Day(2026, 1, 9), Day(2026, 1, 3)},
      // Across a year end.
      {absl::Weekday::monday, Day(2026, 1, 1), Day(2025, 12, 29)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(FormatDay(c.day));
    EXPECT_EQ(Calendar("UTC", absl::ZeroDuration(), c.start).WeekOf(c.day),
              c.want);
  }
}

TEST(WeekCalendarTest, WeekBoundaryFollowsTheDayStart) {
  // Monday 02:30 with days starting at 03:00 is still Sunday: last week.
  const WeekCalendar cal = Calendar("Europe/London", absl::Hours(3));
  const DayNumber day = cal.DayOf(Local("Europe/London", 2026, 1, 12, 2, 30));
  EXPECT_EQ(day, Day(2026, 1, 11));
  EXPECT_EQ(cal.WeekOf(day), Day(2026, 1, 5));
  EXPECT_EQ(cal.StartOfDay(Day(2026, 1, 12)), Utc(2026, 1, 12, 3, 0));
}

TEST(WeekCalendarTest, DaysAroundDstChangesHaveTheirRealLength) {
  struct Case {
    const char* zone;
    DayNumber day;
    absl::Duration length;
  } cases[] = {
      {"America/New_York", Day(2026, 3, 8), absl::Hours(23)},
      {"America/New_York", Day(2026, 11, 1), absl::Hours(25)},
      {"Europe/London", Day(2026, 3, 29), absl::Hours(23)},
      {"Australia/Lord_Howe", Day(2026, 4, 5), absl::Minutes(24 * 60 + 30)},
      {"Australia/Lord_Howe", Day(2026, 10, 4), absl::Minutes(24 * 60 - 30)},
      {"Australia/Lord_Howe", Day(2026, 6, 1), absl::Hours(24)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.zone, " ", FormatDay(c.day)));
    const WeekCalendar cal = Calendar(c.zone, absl::ZeroDuration());
    EXPECT_EQ(cal.StartOfDay(c.day + 1) - cal.StartOfDay(c.day), c.length);
  }
}

TEST(WeekCalendarTest, LocalTimesAcrossDstChanges) {
  const absl::Duration half_past_seven = absl::Hours(7) + absl::Minutes(30);
  struct Case {
    const char* zone;
    DayNumber day;
    absl::Duration at;
    std::string want;
  } cases[] = {
      {"America/New_York", Day(2026, 3, 7), half_past_seven,
       "2026-03-07 Sat 07:30 -0500"},
      {"America/New_York", Day(2026, 3, 8), half_past_seven,
       "2026-03-08 Sun 07:30 -0400"},
      // 02:30 does not exist that night: it moves forward by the gap.
      {"America/New_York", Day(2026, 3, 8), absl::Hours(2) + absl::Minutes(30),
       "2026-03-08 Sun 03:30 -0400"},
      // 01:30 happens twice: the first one counts.
      {"America/New_York", Day(2026, 11, 1), absl::Hours(1) + absl::Minutes(30),
       "2026-11-01 Sun 01:30 -0400"},
      {"Australia/Lord_Howe", Day(2026, 10, 4),
       absl::Hours(2) + absl::Minutes(15), "2026-10-04 Sun 02:45 +1100"},
      {"Australia/Lord_Howe", Day(2026, 4, 5), half_past_seven,
       "2026-04-05 Sun 07:30 +1030"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.zone, " ", c.want));
    const WeekCalendar cal = Calendar(c.zone, absl::ZeroDuration());
    EXPECT_EQ(Show(cal.AtLocalTime(c.day, c.at), c.zone), c.want);
  }
}

TEST(WeekCalendarTest, ATimeBeforeTheDayStartFallsOnTheNextDate) {
  const WeekCalendar cal = Calendar("Europe/London", absl::Hours(3));
  EXPECT_EQ(
      Show(cal.AtLocalTime(Day(2026, 1, 6), absl::Hours(1)), "Europe/London"),
      "2026-01-07 Wed 01:00 +0000");
  EXPECT_EQ(cal.DayOf(cal.AtLocalTime(Day(2026, 1, 6), absl::Hours(1))),
            Day(2026, 1, 6));
}

TEST(WeekCalendarTest, RejectsUnknownZonesAndOffsets) {
  struct Case {
    const char* zone;
    absl::Duration day_start;
    const char* field;
  } cases[] = {
      {"Mars/Olympus", absl::ZeroDuration(), "time_zone"},
      {"", absl::ZeroDuration(), "time_zone"},
      {"UTC", absl::Hours(12), "day_start"},
      {"UTC", -absl::Minutes(1), "day_start"},
      {"UTC", absl::Seconds(30), "day_start"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.zone);
    absl::StatusOr<WeekCalendar> cal =
        WeekCalendar::Create(c.zone, c.day_start, absl::Weekday::monday);
    EXPECT_EQ(cal.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cal.status().message(), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace coachd
