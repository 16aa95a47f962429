// Time zone names: IANA names only, never a path (a FIFO must never block a
// worker), and nothing kept in memory for a name that is refused.
#include "services/scheduler/time_zone_names.h"

#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scheduler/week_calendar.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TimeZoneNamesTest, AcceptsIanaZonesAndLinks) {
  for (const char* name :
       {"Europe/London", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+5",
        "US/Eastern", "Asia/Kolkata", "EST5EDT"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(ValidateTimeZoneName(name).ok()) << ValidateTimeZoneName(name);
    EXPECT_TRUE(
        WeekCalendar::Create(name, absl::ZeroDuration(), absl::Weekday::monday)
            .ok());
  }
}

TEST(TimeZoneNamesTest, RefusesPathsAndOddBytesBeforeAnyFileIsOpened) {
  const std::string dir = ::testing::TempDir();
  const std::string fifo = absl::StrCat(dir, "/tz_fifo_", getpid());
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string name;
    const char* why;
  } cases[] = {
      {"/usr/share/zoneinfo/Europe/London", "not an IANA name"},
      {"../zoneinfo/Europe/London", "not an IANA name"},
      {"Europe/../Europe/London", "not an IANA name"},
      {"file:/usr/share/zoneinfo/UTC", "not an IANA name"},
      {std::string("Europe/London\0x", 15), "not an IANA name"},
      {"Europe/London\n", "not an IANA name"},
      {"/dev/stdin", "not an IANA name"},
      {fifo, "not an IANA name"},
      {"Europe//London", "not an IANA name"},
      {"Mars/Olympus", "unknown IANA time zone"},
      {"posixrules", "unknown IANA time zone"},
      {"Europe/London/Extra/Part", "not an IANA name"},
      {std::string(65, 'A'), "longer than 64"},
      {"", "required"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<WeekCalendar> cal = WeekCalendar::Create(
        c.name, absl::ZeroDuration(), absl::Weekday::monday);
    EXPECT_EQ(cal.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cal.status().message(), HasSubstr("time_zone"));
    EXPECT_THAT(cal.status().message(), HasSubstr(c.why));
    EXPECT_THAT(cal.status().message(), Not(HasSubstr("\n")));
  }
  unlink(fifo.c_str());
}

TEST(TimeZoneNamesTest, RefusedNamesLeaveNothingInMemory) {
  // absl keeps every name LoadTimeZone was ever given; refused names must
  // never reach it. 50 names of 200 KB would keep 10 MB.
  auto Create = [](int i) {
    std::string name = absl::StrCat("Europe/", i);
    name.append(200 * 1024, 'x');
    return WeekCalendar::Create(name, absl::ZeroDuration(),
                                absl::Weekday::monday)
        .status();
  };
  Create(-1).IgnoreError();  // Warm up (the known list is read once).
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Create(i).code(), absl::StatusCode::kInvalidArgument);
  }
  const size_t after = mallinfo2().uordblks;
  EXPECT_LT(after, before + 1024 * 1024) << "grew by " << after - before;
}

TEST(TimeZoneNamesTest, ShapeAndTzdataParsingArePure) {
  EXPECT_TRUE(HasTimeZoneNameShape("America/Indiana/Indianapolis"));
  EXPECT_FALSE(HasTimeZoneNameShape("a/b/c/d"));
  EXPECT_FALSE(HasTimeZoneNameShape("Europe/Lon don"));
  EXPECT_FALSE(HasTimeZoneNameShape("9Europe/London"));
  const auto names = ParseTzdataNames(
      "# version\nZ Europe/London -0:1:15 - LMT 1847 D\nR x 1 2 - Ja 1 0 0 -\n"
      "L Europe/London GB\nL Europe/London ../bad\n");
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("Europe/London", "GB"));
  EXPECT_GT(KnownTimeZoneNames().size(), 400u);
}

}  // namespace
}  // namespace coachd
