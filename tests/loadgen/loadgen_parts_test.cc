// The pure parts of loadgen: the loopback check, the latency histogram, the
// exactness tracker, /proc and INFO parsing, the report and the baseline's
// pre-serialized events.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "clients/loadgen/event_template.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/load_driver.h"
#include "clients/loadgen/load_report.h"
#include "clients/loadgen/proc_stats.h"
#include "clients/loadgen/redis_stats.h"
#include "clients/loadgen/sequence_tracker.h"
#include "clients/loadgen/target_check.h"
#include "coach/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(TargetCheckTest, AcceptsOnlyLoopback) {
  struct Case {
    std::string target;
    bool ok;
    std::string why;  // In the message when refused.
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:50051", true, ""},
      {"localhost:0", true, ""},
      {"[::1]:65535", true, ""},
      {"10.0.0.1:50051", false, "only loopback"},
      {"192.168.1.2:80", false, "only loopback"},
      {"example.com:443", false, "only loopback"},
      {"127.0.0.2:80", false, "only loopback"},
      {"0.0.0.0:80", false, "only loopback"},
      {"127.0.0.1", false, "HOST:PORT"},
      {"127.0.0.1:http", false, "port must be a number"},
      {"127.0.0.1:70000", false, "port must be a number"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const absl::Status status = CheckLoopbackTarget(c.target);
    if (c.ok) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(status.message(), HasSubstr("--target"));
      EXPECT_THAT(status.message(), HasSubstr(c.why));
    }
  }
}

TEST(LatencyHistogramTest, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Count(), 0);
  EXPECT_EQ(h.Percentile(0.99), 0);
  EXPECT_EQ(h.Mean(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExactAndNegativesCountAsZero) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(7);
  h.Record(63);
  EXPECT_EQ(h.Count(), 3);
  EXPECT_EQ(h.Percentile(0.0), 0);
  EXPECT_EQ(h.Percentile(0.5), 7);
  EXPECT_EQ(h.Percentile(1.0), 63);
  EXPECT_EQ(h.Max(), 63);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformSpreadAreWithinThreePercent) {
  LatencyHistogram h;
  for (int v = 1; v <= 100000; ++v) h.Record(v);
  struct Case {
    double q;
    double want;
  };
  for (const Case& c : std::vector<Case>{
           {0.5, 50000}, {0.99, 99000}, {0.999, 99900}, {1.0, 100000}}) {
    SCOPED_TRACE(c.q);
    EXPECT_NEAR(h.Percentile(c.q), c.want, c.want * 0.03);
  }
  EXPECT_EQ(h.Max(), 100000);
  EXPECT_NEAR(h.Mean(), 50000.5, 0.01);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
  for (int b = 1; b < LatencyHistogram::kBuckets - 1; ++b) {
    SCOPED_TRACE(b);
    ASSERT_EQ(LatencyHistogram::BucketLow(b),
              LatencyHistogram::BucketHigh(b - 1) + 1);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLow(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketHigh(b)), b);
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxMicros * 4),
            LatencyHistogram::kBuckets - 1);
}

// One received message in a tracker scenario.
struct Step {
  std::string epoch;
  int64_t sequence;
  EventKind kind;
};

TEST(SequenceTrackerTest, CountsNewDuplicatesAndGaps) {
  constexpr EventKind kEv = EventKind::kEvent;
  struct Case {
    std::string name;
    bool lost_expected;
    std::vector<Step> steps;
    int64_t delivered, duplicates, gaps, missing, lag_snapshots;
    int64_t last_sequence;
  };
  const std::vector<Case> cases = {
      {"in order",
       false,
       {{"e", 1, kEv}, {"e", 2, kEv}, {"e", 3, kEv}},
       3,
       0,
       0,
       0,
       0,
       3},
      {"repeat",
       false,
       {{"e", 1, kEv}, {"e", 2, kEv}, {"e", 2, kEv}},
       2,
       1,
       0,
       0,
       0,
       2},
      {"older",
       false,
       {{"e", 1, kEv}, {"e", 2, kEv}, {"e", 1, kEv}},
       2,
       1,
       0,
       0,
       0,
       2},
      {"jump", false, {{"e", 1, kEv}, {"e", 4, kEv}}, 2, 0, 1, 2, 0, 4},
      {"first is not 1", false, {{"e", 3, kEv}}, 1, 0, 1, 2, 0, 3},
      {"epoch change", false, {{"e", 1, kEv}, {"f", 5, kEv}}, 2, 0, 1, 4, 0, 5},
      {"lost snapshot is a gap",
       false,
       {{"e", 1, kEv}, {"e", 9, EventKind::kSnapshotLost}, {"e", 10, kEv}},
       2,
       0,
       1,
       0,
       0,
       10},
      {"lost snapshot when slow is intended",
       true,
       {{"e", 1, kEv}, {"e", 9, EventKind::kSnapshotLost}, {"e", 10, kEv}},
       2,
       0,
       0,
       0,
       1,
       10},
      {"recovered snapshot",
       false,
       {{"e", 4, EventKind::kSnapshotRecovered}, {"e", 5, kEv}},
       1,
       0,
       0,
       0,
       0,
       5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SequenceTracker t(c.lost_expected);
    t.Reset("e", 0);
    for (const Step& s : c.steps) t.Observe(s.epoch, s.sequence, s.kind);
    EXPECT_EQ(t.delivered(), c.delivered);
    EXPECT_EQ(t.duplicates(), c.duplicates);
    EXPECT_EQ(t.gaps(), c.gaps);
    EXPECT_EQ(t.missing(), c.missing);
    EXPECT_EQ(t.lag_snapshots(), c.lag_snapshots);
    EXPECT_EQ(t.last_sequence(), c.last_sequence);
  }
}

TEST(SequenceTrackerTest, ResumeContinuesFromThePosition) {
  SequenceTracker t;
  t.Reset("e", 7);
  EXPECT_EQ(t.Observe("e", 7, EventKind::kEvent), Verdict::kDuplicate);
  EXPECT_EQ(t.Observe("e", 8, EventKind::kEvent), Verdict::kNew);
  EXPECT_EQ(t.gaps(), 0);
  EXPECT_EQ(t.epoch(), "e");
}

TEST(ProcStatsTest, ParsesStatWithSpacesInTheCommandName) {
  // Fields 14 and 15 (utime, stime) are 250 and 150 ticks.
  const std::string stat =
      "1234 (co ach) d) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 "
      "0 9 0 555 1000 200 18446744073709551615";
  absl::StatusOr<double> cpu = ParseStatCpuSeconds(stat, 100);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_DOUBLE_EQ(*cpu, 4.0);
  EXPECT_EQ(ParseStatCpuSeconds("1234 no parens", 100).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ParseStatCpuSeconds("1 (x) S 1 2", 100).status().code(),
            absl::StatusCode::kInternal);
}

TEST(ProcStatsTest, ParsesStatus) {
  absl::StatusOr<ProcessStats> s = ParseStatus(
      "Name:\tcoachd\nVmHWM:\t   9000 kB\nVmRSS:\t   8192 kB\nThreads:\t12\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rss_kb, 8192);
  EXPECT_EQ(s->peak_rss_kb, 9000);
  EXPECT_EQ(s->threads, 12);
  EXPECT_EQ(ParseStatus("Name:\tx\n").status().code(),
            absl::StatusCode::kInternal);
}

TEST(ProcStatsTest, ReadsThisProcessAndRefusesAMissingOne) {
  absl::StatusOr<ProcessStats> self = ReadProcessStats(0);
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_GT(self->rss_kb, 0);
  EXPECT_GE(self->cpu_seconds, 0);
  absl::StatusOr<ProcessStats> same = ReadProcessStats(getpid());
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(ReadProcessStats(0x3fffffff).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RedisStatsTest, ParsesCommandStatsWithoutInfo) {
  absl::StatusOr<RedisCommandCounts> c = ParseCommandStats(
      "# Commandstats\r\n"
      "cmdstat_evalsha:calls=10,usec=50,usec_per_call=5.00,rejected_calls=0\r\n"
      "cmdstat_xread:calls=4,usec=8,usec_per_call=2.00\r\n"
      "cmdstat_info:calls=3,usec=9,usec_per_call=3.00\r\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->calls.at("evalsha"), 10);
  EXPECT_EQ(c->calls.at("xread"), 4);
  EXPECT_EQ(c->calls.at("info"), 3);
  EXPECT_EQ(c->total, 14);
  EXPECT_EQ(ParseCommandStats("cmdstat_get:usec=1\r\n").status().code(),
            absl::StatusCode::kInternal);
}

TEST(RedisStatsTest, DifferenceIsPerCommand) {
  RedisCommandCounts before;
  before.calls = {{"evalsha", 10}, {"xread", 4}};
  before.total = 14;
  RedisCommandCounts after;
  after.calls = {{"evalsha", 15}, {"xread", 4}, {"get", 2}};
  after.total = 21;
  const RedisCommandCounts d = Difference(after, before);
  EXPECT_EQ(d.total, 7);
  EXPECT_EQ(d.calls.at("evalsha"), 5);
  EXPECT_EQ(d.calls.at("get"), 2);
  EXPECT_EQ(d.calls.count("xread"), 0);
}

TEST(RedisStatsTest, UnreachableIsUnavailable) {
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(ReadRedisCommandCounts(1, absl::Milliseconds(500)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(LoadReportTest, JsonLeavesOutWhatWasNotMeasuredAndKeepsZeros) {
  LoadReport r;
  r.mode = "saturation";
  r.label = "co\"achd";
  r.gaps = 0;
  r.delivered = 12;
  const std::string json = FormatJson(r);
  EXPECT_THAT(json, HasSubstr("\"gaps\":0"));
  EXPECT_THAT(json, HasSubstr("\"delivered\":12"));
  EXPECT_THAT(json, HasSubstr("\"label\":\"co\\\"achd\""));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("server_cpu_s")));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("redis_top")));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_THAT(FormatTable(r), HasSubstr("delivered"));
}

TEST(LoadModeTest, ParsesEveryModeAndNamesTheFlag) {
  for (const char* name : {"saturation", "idle", "storm", "stalled", "live"}) {
    SCOPED_TRACE(name);
    absl::StatusOr<LoadMode> mode = ParseLoadMode(name);
    ASSERT_TRUE(mode.ok());
    EXPECT_STREQ(LoadModeName(*mode), name);
  }
  const absl::Status bad = ParseLoadMode("fast").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("--mode"));
}

TEST(EventTemplateTest, RendersAParsableEventOfTheTargetSize) {
  for (int target : {400, 477, 900, 2000}) {
    SCOPED_TRACE(target);
    EventTemplate t(target, "epoch-1");
    const std::string prefix = t.Prefix("0123456789abcdef");
    const absl::Time when = absl::FromUnixMicros(1764000000123456);
    const std::string bytes = t.Render(prefix, 100, when, false);
    EXPECT_NEAR(static_cast<double>(bytes.size()), target, 2);
    EXPECT_EQ(bytes.size(), t.RenderedSize(prefix, 100, when, false));
    coach::v1::SessionEvent ev;
    ASSERT_TRUE(ev.ParseFromString(bytes));
    EXPECT_EQ(ev.session_id(), "0123456789abcdef");
    EXPECT_EQ(ev.epoch(), "epoch-1");
    EXPECT_EQ(ev.sequence(), 100);
    EXPECT_EQ(ev.server_time().seconds(), 1764000000);
    EXPECT_EQ(ev.server_time().nanos(), 123456000);
    EXPECT_EQ(ev.status().run_state(), coach::v1::RUN_STATE_RUNNING);
    EXPECT_TRUE(ev.has_step_cue());
  }
}

TEST(EventTemplateTest, TheLastEventIsFinishedAndSequencesVary) {
  EventTemplate t(600, "epoch-1");
  const std::string prefix = t.Prefix("s");
  struct Case {
    int64_t sequence;
    bool last;
  };
  for (const Case& c : std::vector<Case>{
           {1, false}, {127, false}, {128, false}, {300000, true}}) {
    SCOPED_TRACE(c.sequence);
    coach::v1::SessionEvent ev;
    ASSERT_TRUE(ev.ParseFromString(
        t.Render(prefix, c.sequence, absl::FromUnixSeconds(5), c.last)));
    EXPECT_EQ(ev.sequence(), c.sequence);
    EXPECT_EQ(ev.server_time().seconds(), 5);
    EXPECT_EQ(ev.server_time().nanos(), 0);
    EXPECT_EQ(ev.status().run_state(), c.last ? coach::v1::RUN_STATE_FINISHED
                                              : coach::v1::RUN_STATE_RUNNING);
  }
}

}  // namespace
}  // namespace coachd
