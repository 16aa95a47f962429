// The chaos mode's checkers, table-driven: each broken promise (a duplicate,
// a silent gap, a changed event, a command applied twice or lost, a
// reminder fired twice) is detected, and what the promises allow (a
// resume, a not-recovered snapshot, a new epoch, a reminder heard again on
// reconnect) is not counted against the service.
#include <string>
#include <vector>

#include "clients/loadgen/chaos_driver.h"
#include "clients/loadgen/chaos_ledger.h"
#include "clients/loadgen/chaos_report.h"
#include "clients/loadgen/command_check.h"
#include "clients/loadgen/reminder_ledger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One message a device read, in a table.
struct Msg {
  int device;
  std::string epoch;
  int64_t sequence;
  EventKind kind = EventKind::kEvent;
  uint64_t content = 0;  // 0: the content sequence*10 (the same everywhere).
  bool repeated_cue = false;
  bool paused = false;
  bool finished = false;
};

ObservedEvent Of(const Msg& m) {
  ObservedEvent o;
  o.epoch = m.epoch;
  o.sequence = m.sequence;
  o.kind = m.kind;
  o.fingerprint = m.content != 0 ? m.content : m.sequence * 10;
  o.repeated_cue = m.repeated_cue;
  o.paused = m.paused;
  o.finished = m.finished;
  return o;
}

constexpr EventKind kLost = EventKind::kSnapshotLost;

TEST(SessionLedgerTest, CountsWhatEachDeliveryBreaks) {
  struct Case {
    std::string name;
    std::vector<Msg> msgs;
    int64_t duplicates, silent_gaps, changed, not_recovered;
    std::string problem;  // Part of first_problem; empty: none.
  };
  const std::vector<Case> cases = {
      {"both devices in order",
       {{0, "a", 1}, {1, "a", 1}, {0, "a", 2}, {1, "a", 2}, {0, "a", 3}},
       0,
       0,
       0,
       0,
       ""},
      {"a duplicate",
       {{0, "a", 1}, {0, "a", 2}, {0, "a", 2}},
       1,
       0,
       0,
       0,
       "duplicate at {a, 2} on device 0"},
      {"a gap", {{0, "a", 1}, {0, "a", 3}}, 0, 1, 0, 0, "silent gap at {a, 3}"},
      {"a new epoch without a snapshot",
       {{0, "a", 1}, {0, "b", 2}},
       0,
       1,
       0,
       0,
       "silent gap at {b, 2}"},
      {"a new epoch announced by a not-recovered snapshot",
       {{0, "a", 1}, {0, "a", 2}, {0, "b", 2, kLost}, {0, "b", 3}},
       0,
       0,
       0,
       1,
       ""},
      {"a changed event across devices",
       {{0, "a", 1}, {1, "a", 1, EventKind::kEvent, 77}},
       0,
       0,
       1,
       0,
       "changed event at {a, 1} on device 1"},
      {"a changed event after a snapshot took the device back",
       {{0, "a", 1},
        {0, "a", 2},
        {0, "a", 1, kLost},
        {0, "a", 2, EventKind::kEvent, 5}},
       0,
       0,
       1,
       1,
       "changed event at {a, 2}"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SessionLedger ledger(2);
    ledger.Begin(0, "a", 0);
    ledger.Begin(1, "a", 0);
    for (const Msg& m : c.msgs) ledger.Observe(m.device, Of(m));
    const SessionTally t = ledger.Tally();
    EXPECT_EQ(t.duplicates, c.duplicates);
    EXPECT_EQ(t.silent_gaps, c.silent_gaps);
    EXPECT_EQ(t.changed, c.changed);
    EXPECT_EQ(t.not_recovered, c.not_recovered);
    if (c.problem.empty()) {
      EXPECT_THAT(t.first_problem, IsEmpty());
    } else {
      EXPECT_THAT(t.first_problem, HasSubstr(c.problem));
    }
  }
}

TEST(SessionLedgerTest, ResumesFromWhereTheDeviceWas) {
  SessionLedger ledger(1);
  ledger.Begin(0, "a", 0);
  EXPECT_TRUE(ledger.Observe(0, Of({0, "a", 1})));
  EXPECT_TRUE(ledger.Observe(0, Of({0, "a", 2})));
  EXPECT_EQ(ledger.Position(0), std::make_pair(std::string("a"), int64_t{2}));
  EXPECT_FALSE(ledger.Observe(0, Of({0, "a", 2})));  // A duplicate.
  EXPECT_TRUE(ledger.Observe(0, Of({0, "b", 4, kLost})));
  EXPECT_EQ(ledger.Position(0), std::make_pair(std::string("b"), int64_t{4}));
  EXPECT_FALSE(ledger.DeviceFinished(0));
  ledger.Observe(0, Of({0, "b", 5, EventKind::kEvent, 0, false, false, true}));
  EXPECT_TRUE(ledger.DeviceFinished(0));
  EXPECT_TRUE(ledger.Tally().finished);
}

TEST(SessionLedgerTest, TheFinalHistoryKeepsEachEpochUntilTheNextBegins) {
  // Epoch a: 1..4 seen, of which 3 and 4 were lost in a failover; epoch b
  // begins at 3 (its first event hidden behind the snapshot), then 4, 5.
  SessionLedger ledger(2);
  ledger.Begin(0, "a", 0);
  ledger.Begin(1, "a", 0);
  ledger.Observe(0, Of({0, "a", 1}));
  ledger.Observe(0, Of({0, "a", 2, EventKind::kEvent, 0, true}));  // repeat
  ledger.Observe(0, Of({0, "a", 3, EventKind::kEvent, 0, true}));  // lost
  ledger.Observe(0, Of({0, "a", 4, EventKind::kEvent, 0, false, true}));
  ledger.Observe(1, Of({1, "a", 1}));
  ledger.Observe(0, Of({0, "b", 3, kLost}));
  ledger.Observe(1, Of({1, "b", 3, kLost}));
  ledger.Observe(0, Of({0, "b", 4, EventKind::kEvent, 0, true}));
  ledger.Observe(1, Of({1, "b", 4, EventKind::kEvent, 0, true}));
  ledger.Observe(0, Of({0, "b", 5, EventKind::kEvent, 0, false, true}));
  const SessionTally t = ledger.Tally();
  EXPECT_EQ(t.epochs, 2);
  EXPECT_EQ(t.last_sequence, 5);
  EXPECT_EQ(t.repeats, 2);  // {a,2} and {b,4}; {a,3} was replaced.
  EXPECT_EQ(t.pauses, 1);   // {b,5}; {a,4} was replaced.
  EXPECT_EQ(t.hidden, 1);   // {b,3}: only a snapshot.
  EXPECT_EQ(t.not_recovered, 2);
  EXPECT_EQ(t.duplicates + t.silent_gaps + t.changed, 0);
}

TEST(SessionLedgerTest, AnAcknowledgedTailNoDeviceSawIsHiddenNotLost) {
  // The devices saw 1..3; then their streams broke (a proxy restarted) and
  // never came back, while a REPEAT was answered with last_sequence 5: its
  // effect is at 4 or 5, unseen. The check must not call it lost (the run
  // of 16:02 counted one such command as commands_lost=1), and must still
  // catch a lost command when the devices saw past the answer.
  struct Case {
    std::string name;
    int64_t seen_up_to;    // Events 1..seen_up_to seen by device 0.
    int64_t acknowledged;  // The answer's last_sequence (0: none).
    int64_t hidden;
    int64_t lost;  // Of one acknowledged REPEAT, none seen.
  };
  const std::vector<Case> cases = {
      {"the tail past what devices saw", 3, 5, 2, 0},
      {"devices saw past the answer", 6, 5, 0, 1},
      {"devices saw exactly up to it", 5, 5, 0, 1},
      {"no answer named a position", 3, 0, 0, 1},
      {"no device saw anything", 0, 2, 2, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SessionLedger ledger(2);
    ledger.Begin(0, "a", 0);
    ledger.Begin(1, "a", 0);
    for (int64_t q = 1; q <= c.seen_up_to; ++q)
      ledger.Observe(0, Of({0, "a", q}));
    if (c.acknowledged > 0) ledger.Acknowledged(c.acknowledged);
    ledger.Acknowledged(1);  // An older answer changes nothing.
    const SessionTally t = ledger.Tally();
    EXPECT_EQ(t.hidden, c.hidden);
    CommandLedger repeats;
    repeats.Add(CommandOutcome::kApplied);
    EXPECT_EQ(CheckCommands(repeats, t.repeats, t.hidden).lost, c.lost);
  }
}

TEST(ObserveEventTest, MapsTheEffectsAndTheSummary) {
  coach::v1::SessionEvent repeat;
  repeat.set_epoch("e");
  repeat.set_sequence(7);
  repeat.set_repeated_cue(true);
  repeat.mutable_rep()->set_rep(2);
  ObservedEvent o = ObserveEvent(repeat);
  EXPECT_EQ(o.kind, EventKind::kEvent);
  EXPECT_TRUE(o.repeated_cue);
  EXPECT_FALSE(o.paused);
  EXPECT_NE(o.fingerprint, 0u);

  coach::v1::SessionEvent other = repeat;
  other.mutable_rep()->set_rep(3);
  EXPECT_NE(ObserveEvent(other).fingerprint, o.fingerprint);

  coach::v1::SessionEvent paused;
  paused.mutable_paused()->set_remaining_ms(10);
  EXPECT_TRUE(ObserveEvent(paused).paused);
  coach::v1::SessionEvent resumed;
  resumed.mutable_resumed();
  EXPECT_TRUE(ObserveEvent(resumed).resumed);

  coach::v1::SessionEvent done;
  done.mutable_status()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  done.mutable_session_done()->mutable_summary()->set_pauses(4);
  done.mutable_session_done()->mutable_summary()->set_percent_done(30);
  o = ObserveEvent(done);
  EXPECT_TRUE(o.finished);
  EXPECT_EQ(o.summary_pauses, 4);
  EXPECT_EQ(o.percent_done, 30);

  coach::v1::SessionEvent snapshot;
  snapshot.mutable_snapshot()->set_recovered(false);
  EXPECT_EQ(ObserveEvent(snapshot).kind, EventKind::kSnapshotLost);
  snapshot.mutable_snapshot()->set_recovered(true);
  EXPECT_EQ(ObserveEvent(snapshot).kind, EventKind::kSnapshotRecovered);
}

TEST(CommandCheckTest, OutcomesOfTheLastTry) {
  struct Case {
    grpc::StatusCode last;
    bool ambiguous;
    CommandOutcome want;
  };
  const Case cases[] = {
      {grpc::StatusCode::OK, false, CommandOutcome::kApplied},
      {grpc::StatusCode::OK, true, CommandOutcome::kApplied},
      {grpc::StatusCode::FAILED_PRECONDITION, false, CommandOutcome::kRefused},
      {grpc::StatusCode::FAILED_PRECONDITION, true, CommandOutcome::kUnknown},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, false, CommandOutcome::kRefused},
      {grpc::StatusCode::UNAVAILABLE, false, CommandOutcome::kUnknown},
      {grpc::StatusCode::DEADLINE_EXCEEDED, false, CommandOutcome::kUnknown},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.last));
    EXPECT_EQ(OutcomeOf(grpc::Status(c.last, ""), c.ambiguous), c.want);
  }
}

TEST(CommandCheckTest, DetectsACommandAppliedTwiceOrLost) {
  struct Case {
    std::string name;
    int64_t applied, unknown, observed, hidden;
    int64_t twice, lost;
  };
  const std::vector<Case> cases = {
      {"each applied once", 3, 0, 3, 0, 0, 0},
      {"one applied twice", 3, 0, 4, 0, 1, 0},
      {"an unknown one applied", 3, 1, 4, 0, 0, 0},
      {"an unknown one not applied", 3, 1, 3, 0, 0, 0},
      {"an unknown one applied twice", 3, 1, 5, 0, 1, 0},
      {"an acknowledged one lost", 3, 0, 2, 0, 0, 1},
      {"one behind a snapshot", 3, 0, 2, 1, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CommandLedger sent;
    for (int i = 0; i < c.applied; ++i) sent.Add(CommandOutcome::kApplied);
    for (int i = 0; i < c.unknown; ++i) sent.Add(CommandOutcome::kUnknown);
    sent.Add(CommandOutcome::kRefused);  // Never counts either way.
    const CommandVerdict v = CheckCommands(sent, c.observed, c.hidden);
    EXPECT_EQ(v.applied_twice, c.twice);
    EXPECT_EQ(v.lost, c.lost);
  }
}

TEST(ReminderLedgerTest, ARedeliveryIsNotASecondFiring) {
  struct Heard {
    coach::v1::ReminderState state;
    int64_t version;
  };
  struct Case {
    std::string name;
    std::vector<Heard> heard;
    int64_t twice;
  };
  const auto kDue = coach::v1::REMINDER_STATE_DUE;
  const auto kDone = coach::v1::REMINDER_STATE_DONE;
  const std::vector<Case> cases = {
      {"once", {{kDue, 2}}, 0},
      {"again on reconnect", {{kDue, 2}, {kDue, 2}, {kDue, 2}}, 0},
      {"then acknowledged", {{kDue, 2}, {kDone, 3}}, 0},
      {"fired twice", {{kDue, 2}, {kDue, 4}}, 1},
      {"fired again after its close", {{kDone, 3}, {kDue, 5}}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ReminderLedger ledger;
    for (const Heard& h : c.heard)
      ledger.Observe("2026-12-07", h.state, h.version);
    EXPECT_EQ(ledger.FiredTwice(), c.twice);
    EXPECT_TRUE(ledger.Heard("2026-12-07"));
    EXPECT_FALSE(ledger.Heard("2026-12-08"));
  }
}

TEST(ChaosReportTest, ViolationsNameEachBrokenPromise) {
  ChaosReport ok;
  ok.delivered = 10;
  EXPECT_THAT(ChaosViolations(ok), IsEmpty());
  ok.commands_lost_in_failover = 2;  // Allowed: the history was replaced.
  ok.not_recovered = 3;              // Allowed: explicit.
  EXPECT_THAT(ChaosViolations(ok), IsEmpty());

  ChaosReport bad = ok;
  bad.sessions_unfinished = 2;
  bad.changed_events = 1;
  EXPECT_THAT(ChaosViolations(bad),
              ElementsAre(HasSubstr("sessions_unfinished=2"),
                          HasSubstr("changed_events=1")));
  ChaosReport empty;
  EXPECT_THAT(ChaosViolations(empty), ElementsAre(HasSubstr("delivered=0")));

  const std::string json = FormatChaosJson(bad);
  EXPECT_THAT(json, HasSubstr("\"mode\":\"chaos\""));
  EXPECT_THAT(json, HasSubstr("\"sessions_unfinished\":2"));
  EXPECT_THAT(json, HasSubstr("\"commands_lost_in_failover\":2"));
  EXPECT_THAT(json, ::testing::Not(HasSubstr("command_p99_ms")));  // -1.
}

TEST(RunChaosTest, RefusesABadConfigNamingTheFlag) {
  struct Case {
    std::string name;
    void (*change)(ChaosConfig*);
    std::string flag;
  };
  const std::vector<Case> cases = {
      {"not loopback", [](ChaosConfig* c) { c->target = "10.0.0.1:50051"; },
       "--target"},
      {"no households", [](ChaosConfig* c) { c->households = 0; },
       "--households"},
      {"negative grace", [](ChaosConfig* c) { c->grace = absl::Seconds(-1); },
       "--chaos_grace"},
      {"no interval",
       [](ChaosConfig* c) { c->command_interval = absl::ZeroDuration(); },
       "--command_interval"},
      {"a long run id",
       [](ChaosConfig* c) { c->run_id = std::string(30, 'r'); }, "--run_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ChaosConfig config;
    config.target = "127.0.0.1:1";
    config.secret = "s";
    c.change(&config);
    absl::StatusOr<ChaosReport> report = RunChaos(config);
    ASSERT_FALSE(report.ok());
    EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(report.status().message(), HasSubstr(c.flag));
  }
}

}  // namespace
}  // namespace coachd
