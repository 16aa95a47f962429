// The fault windows of a chaos run (clients/loadgen/fault_windows.h): the
// file deploy/chaos.sh writes, parsed or refused naming the line, and the
// latency samples split by window, the quiet rest apart; the report's
// fields for them.
#include "clients/loadgen/fault_windows.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "clients/loadgen/chaos_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time At(double seconds) {
  return absl::FromUnixMicros(static_cast<int64_t>(seconds * 1e6));
}

TEST(ParseFaultWindowsTest, ReadsEachWindowAndTheEnd) {
  absl::StatusOr<FaultWindows> w = ParseFaultWindows(
      "100.5 106.25 kill -9 coachd-2\n"
      "\n"
      "  110 110 nginx restart  \n"
      "done\n");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->done);
  ASSERT_EQ(w->windows.size(), 2u);
  EXPECT_EQ(w->windows[0].name, "kill -9 coachd-2");
  EXPECT_EQ(w->windows[0].start, At(100.5));
  EXPECT_EQ(w->windows[0].end, At(106.25));
  EXPECT_EQ(w->windows[1].name, "nginx restart");
  EXPECT_EQ(w->windows[1].start, w->windows[1].end);

  absl::StatusOr<FaultWindows> open = ParseFaultWindows("1 2 a\n");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_FALSE(open->done);  // chaos.sh is not finished yet.
  EXPECT_TRUE(ParseFaultWindows("")->windows.empty());
}

TEST(ParseFaultWindowsTest, RefusesABadLineNamingItAndWhy) {
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"1 2\n", "line 1: want \"START END NAME\" or \"done\""},
      {"1 2 a\nx 2 b\n", "line 2: START \"x\" is not Unix seconds"},
      {"1 -2 a\n", "line 1: END \"-2\" is not Unix seconds"},
      {"3 2 a\n", "line 1: END is before START"},
      {"done\n1 2 a\n", "line 2: after \"done\""},
      {"1 2    \n", "line 1: want"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<FaultWindows> w = ParseFaultWindows(c.text);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(w.status().message(), HasSubstr(c.message));
  }
}

TEST(P99Test, IsTheNearestRank) {
  struct Case {
    std::vector<int64_t> micros;
    int64_t p99;
  };
  std::vector<int64_t> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  std::vector<int64_t> hundred_one = hundred;
  hundred_one.push_back(1000);
  const std::vector<Case> cases = {
      {{}, -1},           {{7}, 7},
      {{5, 1, 9}, 9},     {hundred, 99},  // Rank 99 of 100.
      {hundred_one, 100},  // Rank 100 of 101: the outlier is the 1%.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.micros.size());
    EXPECT_EQ(P99(c.micros), c.p99);
  }
}

TEST(LatencyByWindowTest, SplitsSamplesByWhenTheyBegan) {
  const absl::Time origin = At(1000);
  const std::vector<FaultWindow> windows = {
      {"kill", At(1010), At(1020)},
      {"nginx", At(1030), At(1035)},
      {"overlapping", At(1034), At(1040)},
  };
  struct Case {
    std::string name;
    std::vector<TimedSample> commands;
    std::vector<TimedSample> events;
    // Per window then quiet: {commands, command p99, events, event p99}.
    std::vector<std::vector<int64_t>> want;
  };
  const std::vector<Case> cases = {
      {"nothing: every window empty",
       {},
       {},
       {{0, -1, 0, -1}, {0, -1, 0, -1}, {0, -1, 0, -1}, {0, -1, 0, -1}}},
      {"start inclusive, end exclusive",
       {{At(1010), 5}, {At(1020), 7}},
       {{At(1019.999), 3}},
       {{1, 5, 1, 3}, {0, -1, 0, -1}, {0, -1, 0, -1}, {1, 7, 0, -1}}},
      {"before the first and after the last are quiet",
       {{At(900), 1}, {At(1050), 2}},
       {{At(1000), 4}},
       {{0, -1, 0, -1}, {0, -1, 0, -1}, {0, -1, 0, -1}, {2, 2, 1, 4}}},
      {"a sample in two windows counts in both, not in quiet",
       {{At(1034.5), 900}},
       {{At(1036), 11}, {At(1031), 12}},
       {{0, -1, 0, -1}, {1, 900, 1, 12}, {1, 900, 1, 11}, {0, -1, 0, -1}}},
      {"the slow one in a window does not move quiet's p99",
       {{At(1012), 9000000}, {At(1013), 20}, {At(1001), 10}, {At(1002), 11}},
       {},
       {{2, 9000000, 0, -1}, {0, -1, 0, -1}, {0, -1, 0, -1}, {2, 11, 0, -1}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<WindowLatency> by =
        LatencyByWindow(origin, windows, c.commands, c.events);
    ASSERT_EQ(by.size(), c.want.size());
    for (size_t i = 0; i < by.size(); ++i) {
      SCOPED_TRACE(by[i].name);
      EXPECT_EQ(by[i].commands, c.want[i][0]);
      EXPECT_EQ(by[i].command_p99_us, c.want[i][1]);
      EXPECT_EQ(by[i].events, c.want[i][2]);
      EXPECT_EQ(by[i].event_p99_us, c.want[i][3]);
    }
    EXPECT_EQ(by[0].name, "kill");
    EXPECT_DOUBLE_EQ(by[0].from_s, 10);
    EXPECT_DOUBLE_EQ(by[0].to_s, 20);
    EXPECT_EQ(by.back().name, "quiet");
    EXPECT_EQ(by.back().from_s, -1);
  }
}

TEST(ChaosReportTest, WindowsAreFlatFieldsInTheTableAndTheJson) {
  ChaosReport r;
  r.windows =
      LatencyByWindow(At(0), {{"nginx restart", At(10), At(12.5)}},
                      {{At(11), 2500000}, {At(1), 3000}}, {{At(11), 700}});
  const std::string json = FormatChaosJson(r);
  EXPECT_THAT(json, HasSubstr("\"w1_name\":\"nginx restart\""));
  EXPECT_THAT(json, HasSubstr("\"w1_from_s\":10.000"));
  EXPECT_THAT(json, HasSubstr("\"w1_to_s\":12.500"));
  EXPECT_THAT(json, HasSubstr("\"w1_commands\":1,\"w1_command_p99_ms\":2500"));
  EXPECT_THAT(json, HasSubstr("\"w1_events\":1,\"w1_event_p99_us\":700"));
  EXPECT_THAT(json,
              HasSubstr("\"quiet_commands\":1,\"quiet_command_p99_ms\":3"));
  EXPECT_THAT(json, HasSubstr("\"quiet_events\":0"));
  EXPECT_THAT(json, Not(HasSubstr("quiet_event_p99_us")));  // Not measured.
  EXPECT_THAT(FormatChaosTable(r), HasSubstr("w1_command_p99_ms"));
  EXPECT_THAT(FormatChaosJson(ChaosReport{}), Not(HasSubstr("quiet")));
}

}  // namespace
}  // namespace coachd
