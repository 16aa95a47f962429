// The session runner over the embedded store, a FakeClock and a TimerQueue:
// commands, timers, de-duplication, access and bad input.
#include "services/session/session_runner.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "services/catalog/routine_builder.h"
#include "services/common/clock.h"
#include "services/session/access_policy.h"
#include "services/session/timer_driver.h"
#include "services/session/timer_leases.h"
#include "services/session/timer_queue.h"
#include "services/store/memory_session_store.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::internal::SessionRecord;
using ::coach::v1::CommandType;
using ::coach::v1::SendCommandRequest;
using ::coach::v1::SendCommandResponse;
using ::coach::v1::SessionEvent;
using ::coach::v1::SessionView;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

const Identity kAlice{"alice", Role::kUser};
const Identity kAliceSpeaker{"alice", Role::kDevice};
const Identity kBob{"bob", Role::kUser};
const Identity kCoach{"carol", Role::kCoach};

coach::v1::StartSessionRequest Preset(const std::string& id) {
  coach::v1::StartSessionRequest request;
  request.set_routine_id(id);
  return request;
}

SendCommandRequest Cmd(const std::string& session_id,
                       const std::string& command_id, CommandType type,
                       const std::string& note = "") {
  SendCommandRequest request;
  request.set_session_id(session_id);
  request.set_command_id(command_id);
  request.set_command(type);
  request.set_note(note);
  return request;
}

// The embedded store, which can run something (another process's commit)
// just before the next Commit.
class InterferingStore : public MemorySessionStore {
 public:
  // Runs `hook` once, at the start of the next Commit.
  void BeforeNextCommit(std::function<void()> hook) {
    before_next_commit_ = std::move(hook);
  }

  // Changes every record Load returns from now on, as a corrupt or
  // foreign value in Redis would.
  void CorruptLoads(std::function<void(SessionRecord*)> corrupt) {
    corrupt_ = std::move(corrupt);
  }

  absl::StatusOr<SessionRecord> Load(absl::string_view session_id) override {
    absl::StatusOr<SessionRecord> record = MemorySessionStore::Load(session_id);
    if (record.ok() && corrupt_) corrupt_(&*record);
    return record;
  }

  absl::StatusOr<std::vector<StoredEvent>> Commit(
      int64_t expected_sequence, SessionRecord* record,
      std::vector<SessionEvent> events) override {
    if (before_next_commit_) {
      std::function<void()> hook = std::move(before_next_commit_);
      before_next_commit_ = nullptr;
      hook();
    }
    return MemorySessionStore::Commit(expected_sequence, record,
                                      std::move(events));
  }

 private:
  std::function<void(SessionRecord*)> corrupt_;

 private:
  std::function<void()> before_next_commit_;  // The test's thread only.
};

class SessionRunnerTest : public ::testing::Test {
 protected:
  SessionRunnerTest()
      : timers_(&clock_),
        driver_(&leases_, &store_, &timers_, nullptr, &clock_),
        runner_(&RealCatalog(), &store_, &clock_, &driver_, &policy_, {}) {}

  SessionView StartDemo(const Identity& who = kAlice) {
    absl::StatusOr<SessionView> view = runner_.Start(who, Preset("demo"));
    EXPECT_TRUE(view.ok()) << view.status();
    return view.ok() ? *view : SessionView();
  }

  // Moves the clock to the soonest timer and fires every session due then.
  // False when no timer is scheduled.
  bool FireNext() {
    const absl::Time next = timers_.NextDeadline();
    if (next == absl::InfiniteFuture()) return false;
    clock_.Set(next);
    for (const std::string& id : timers_.TakeDue()) {
      absl::Status ticked = runner_.Tick(id);
      EXPECT_TRUE(ticked.ok()) << ticked;
    }
    return true;
  }

  // Every stored event of the session, oldest first.
  std::vector<StoredEvent> History(const std::string& session_id) {
    absl::StatusOr<SessionRecord> record = store_.Load(session_id);
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok()) return {};
    absl::StatusOr<HistoryRead> read =
        store_.ReadHistory(session_id, record->epoch(), 0, 1000000);
    EXPECT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(read->complete);
    return read->events;
  }

  SessionRecord Stored(const std::string& session_id) {
    absl::StatusOr<SessionRecord> record = store_.Load(session_id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : SessionRecord();
  }

  // Checks that the session's history is 1..last with no gap or repeat.
  void ExpectContiguous(const std::string& session_id) {
    const SessionRecord record = Stored(session_id);
    const std::vector<StoredEvent> history = History(session_id);
    ASSERT_EQ(static_cast<int64_t>(history.size()), record.last_sequence());
    for (size_t i = 0; i < history.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_EQ(history[i]->sequence(), static_cast<int64_t>(i) + 1);
      EXPECT_EQ(history[i]->epoch(), record.epoch());
      EXPECT_EQ(history[i]->session_id(), session_id);
    }
  }

  FakeClock clock_;
  InterferingStore store_;
  TimerQueue timers_;
  MemoryTimerLeases leases_;
  TimerDriver driver_;
  OwnerOnlyPolicy policy_;
  SessionRunner runner_;
};

TEST_F(SessionRunnerTest, StartStoresTheFirstEventsAndSchedulesTheTimer) {
  const SessionView view = StartDemo();
  ASSERT_FALSE(view.session_id().empty());
  EXPECT_EQ(view.owner(), "alice");
  EXPECT_FALSE(view.epoch().empty());
  EXPECT_EQ(view.routine().id(), "demo");
  EXPECT_EQ(view.status().run_state(), coach::v1::RUN_STATE_RUNNING);
  EXPECT_EQ(view.status().step_kind(), coach::v1::STEP_KIND_WARMUP);
  const std::vector<StoredEvent> history = History(view.session_id());
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(view.last_sequence(), static_cast<int64_t>(history.size()));
  EXPECT_TRUE(history[0]->has_session_started());
  EXPECT_TRUE(history[1]->has_warmup_started());
  EXPECT_EQ(view.speech().text(), history.back()->speech().text());
  ExpectContiguous(view.session_id());
  // The warm-up's intro runs 15 s.
  EXPECT_EQ(timers_.NextDeadline(), clock_.Now() + absl::Seconds(15));
  EXPECT_EQ(timers_.size(), 1);
}

TEST_F(SessionRunnerTest, AWholeSessionHasContiguousSequencesFromOne) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  const absl::Time start = clock_.Now();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(FireNext());
  int n = 0;
  for (CommandType type :
       {coach::v1::COMMAND_TYPE_PAUSE, coach::v1::COMMAND_TYPE_REPEAT,
        coach::v1::COMMAND_TYPE_RESUME, coach::v1::COMMAND_TYPE_NEXT,
        coach::v1::COMMAND_TYPE_PREVIOUS}) {
    clock_.Advance(absl::Milliseconds(250));
    absl::StatusOr<SendCommandResponse> response =
        runner_.Command(kAlice, Cmd(id, absl::StrCat("c", ++n), type));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_FALSE(response->duplicate());
    EXPECT_EQ(response->last_sequence(), Stored(id).last_sequence());
  }
  while (FireNext()) {
  }
  const SessionRecord record = Stored(id);
  EXPECT_EQ(record.engine().run_state(), coach::v1::RUN_STATE_FINISHED);
  ExpectContiguous(id);
  const std::vector<StoredEvent> history = History(id);
  ASSERT_TRUE(history.back()->has_session_done());
  EXPECT_TRUE(history.back()->session_done().summary().completed());
  // Server times never go backwards.
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_LE(history[i - 1]->server_time().seconds(),
              history[i]->server_time().seconds());
  }
  EXPECT_GT(clock_.Now(), start);
  EXPECT_EQ(timers_.size(), 0);
  absl::StatusOr<std::vector<std::string>> live = store_.ListLive();
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
}

TEST_F(SessionRunnerTest, TimersFireAtTheirDeadlinesOnly) {
  const SessionView view = StartDemo();
  const int64_t before = view.last_sequence();
  // A tick before the deadline stores nothing.
  clock_.Advance(absl::Seconds(14));
  ASSERT_TRUE(runner_.Tick(view.session_id()).ok());
  EXPECT_EQ(Stored(view.session_id()).last_sequence(), before);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(timers_.TakeDue(), std::vector<std::string>{view.session_id()});
  ASSERT_TRUE(runner_.Tick(view.session_id()).ok());
  const std::vector<StoredEvent> history = History(view.session_id());
  ASSERT_GT(static_cast<int64_t>(history.size()), before);
  EXPECT_TRUE(history[before]->has_step_cue());  // The first warm-up move.
  EXPECT_EQ(history[before]->server_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
}

TEST_F(SessionRunnerTest, DuplicateCommandIdIsAppliedOnce) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<SendCommandResponse> first = runner_.Command(
      kAlice, Cmd(id, "pause-1", coach::v1::COMMAND_TYPE_PAUSE));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate());
  EXPECT_EQ(first->last_sequence(), view.last_sequence() + 1);
  EXPECT_EQ(first->status().run_state(), coach::v1::RUN_STATE_PAUSED);
  const SessionRecord after_first = Stored(id);

  // The same id again, even for another command and from a device of the
  // same person: applied once, answered with the current state.
  struct Retry {
    Identity who;
    CommandType type;
  };
  for (const Retry& retry :
       {Retry{kAlice, coach::v1::COMMAND_TYPE_PAUSE},
        Retry{kAliceSpeaker, coach::v1::COMMAND_TYPE_RESUME},
        Retry{kAlice, coach::v1::COMMAND_TYPE_END}}) {
    SCOPED_TRACE(coach::v1::CommandType_Name(retry.type));
    clock_.Advance(absl::Seconds(1));
    absl::StatusOr<SendCommandResponse> again =
        runner_.Command(retry.who, Cmd(id, "pause-1", retry.type));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate());
    EXPECT_EQ(again->last_sequence(), first->last_sequence());
    EXPECT_EQ(again->status().run_state(), coach::v1::RUN_STATE_PAUSED);
    EXPECT_TRUE(MessageDifferencer::Equals(Stored(id), after_first));
    EXPECT_EQ(static_cast<int64_t>(History(id).size()), first->last_sequence());
  }
  // A new id is a new command.
  absl::StatusOr<SendCommandResponse> resume = runner_.Command(
      kAlice, Cmd(id, "resume-1", coach::v1::COMMAND_TYPE_RESUME));
  ASSERT_TRUE(resume.ok()) << resume.status();
  EXPECT_FALSE(resume->duplicate());
  EXPECT_EQ(resume->last_sequence(), first->last_sequence() + 1);
}

TEST_F(SessionRunnerTest,
       ACommandIdIsADuplicateForTheWholeWindowOnEveryReplica) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  // Another replica: its own runner over the same store.
  TimerQueue other_timers(&clock_);
  MemoryTimerLeases other_leases;
  TimerDriver other_driver(&other_leases, &store_, &other_timers, nullptr,
                           &clock_);
  SessionRunner other(&RealCatalog(), &store_, &clock_, &other_driver, &policy_,
                      {});
  auto Toggle = [&](SessionRunner& runner, int n) {
    return runner.Command(kAlice,
                          Cmd(id, absl::StrCat("c", n),
                              n % 2 == 0 ? coach::v1::COMMAND_TYPE_PAUSE
                                         : coach::v1::COMMAND_TYPE_RESUME));
  };
  ASSERT_TRUE(Toggle(runner_, 0).ok());
  // 100 newer commands (more than the 64 ids kept before), alternating
  // replicas, over 9 minutes.
  for (int n = 1; n <= 100; ++n) {
    clock_.Advance(absl::Seconds(5));
    absl::StatusOr<SendCommandResponse> r =
        Toggle(n % 2 == 0 ? runner_ : other, n);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_FALSE(r->duplicate());
  }
  const int64_t last = Stored(id).last_sequence();
  for (SessionRunner* replica : {&runner_, &other}) {
    absl::StatusOr<SendCommandResponse> again = Toggle(*replica, 0);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate());
    EXPECT_EQ(Stored(id).last_sequence(), last);
  }
  // Past the window (10 minutes after it was applied) the id is forgotten:
  // the promise is a time window, and it is documented as one.
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(Toggle(other, 101).ok());  // Resumed, so c0 (pause) applies.
  absl::StatusOr<SendCommandResponse> late = Toggle(other, 0);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(late->duplicate());
  // What the record keeps is bounded by the window.
  EXPECT_LE(Stored(id).engine().applied_commands_size(), 102);
}

TEST_F(SessionRunnerTest, CommandsPastThePerSessionLimitAreRefusedNamingIt) {
  RunnerOptions options;
  options.max_commands_per_window = 10;
  options.command_id_window = absl::Minutes(1);
  SessionRunner runner(&RealCatalog(), &store_, &clock_, &driver_, &policy_,
                       options);
  absl::StatusOr<SessionView> view = runner.Start(kAlice, Preset("demo"));
  ASSERT_TRUE(view.ok()) << view.status();
  const std::string id = view->session_id();
  auto Toggle = [&](int n) {
    return runner.Command(kAlice,
                          Cmd(id, absl::StrCat("c", n),
                              n % 2 == 0 ? coach::v1::COMMAND_TYPE_PAUSE
                                         : coach::v1::COMMAND_TYPE_RESUME));
  };
  for (int n = 0; n < 10; ++n) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(Toggle(n).ok()) << n;
  }
  const int64_t last = Stored(id).last_sequence();
  absl::StatusOr<SendCommandResponse> refused = Toggle(10);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("limit of 10 commands per session in 1m "
                        "(max_commands_per_window) reached; retry in 51s"));
  EXPECT_EQ(Stored(id).last_sequence(), last);
  // A duplicate is still answered as one, and the limit frees as the
  // window moves on.
  absl::StatusOr<SendCommandResponse> dup = Toggle(9);
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_TRUE(dup->duplicate());
  clock_.Advance(absl::Seconds(51));
  EXPECT_TRUE(Toggle(10).ok());
}

TEST_F(SessionRunnerTest, RefusedCommandStoresNothingAndItsIdStaysFree) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  const SessionRecord before = Stored(id);
  absl::StatusOr<SendCommandResponse> response =
      runner_.Command(kAlice, Cmd(id, "r1", coach::v1::COMMAND_TYPE_RESUME));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(response.status().message(), HasSubstr("running"));
  EXPECT_TRUE(MessageDifferencer::Equals(Stored(id), before));
  // The id was not used up by the refusal.
  ASSERT_TRUE(
      runner_.Command(kAlice, Cmd(id, "p1", coach::v1::COMMAND_TYPE_PAUSE))
          .ok());
  absl::StatusOr<SendCommandResponse> retry =
      runner_.Command(kAlice, Cmd(id, "r1", coach::v1::COMMAND_TYPE_RESUME));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_FALSE(retry->duplicate());
  EXPECT_EQ(retry->status().run_state(), coach::v1::RUN_STATE_RUNNING);
}

TEST_F(SessionRunnerTest, OnlyTheOwnerReachesASession) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  const SessionRecord before = Stored(id);
  struct Case {
    std::string name;
    Identity who;
    std::string session_id;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"another person", kBob, id, absl::StatusCode::kPermissionDenied},
      {"a coach", kCoach, id, absl::StatusCode::kPermissionDenied},
      {"unknown session", kAlice, "no-such-session",
       absl::StatusCode::kNotFound},
      {"unknown session, another person", kBob, "no-such-session",
       absl::StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SendCommandResponse> command = runner_.Command(
        c.who, Cmd(c.session_id, "x1", coach::v1::COMMAND_TYPE_PAUSE));
    EXPECT_EQ(command.status().code(), c.code) << command.status();
    absl::StatusOr<SessionView> get = runner_.Get(c.who, c.session_id);
    EXPECT_EQ(get.status().code(), c.code) << get.status();
    absl::StatusOr<SessionRecord> read =
        runner_.LoadReadable(c.who, c.session_id);
    EXPECT_EQ(read.status().code(), c.code) << read.status();
    EXPECT_TRUE(MessageDifferencer::Equals(Stored(id), before));
  }
  // The owner's user and device tokens both reach it.
  for (const Identity& who : {kAlice, kAliceSpeaker}) {
    SCOPED_TRACE(RoleName(who.role));
    absl::StatusOr<SessionView> get = runner_.Get(who, id);
    ASSERT_TRUE(get.ok()) << get.status();
    EXPECT_EQ(get->session_id(), id);
    EXPECT_EQ(get->last_sequence(), before.last_sequence());
  }
  absl::StatusOr<SendCommandResponse> by_speaker = runner_.Command(
      kAliceSpeaker, Cmd(id, "s1", coach::v1::COMMAND_TYPE_PAUSE));
  EXPECT_TRUE(by_speaker.ok()) << by_speaker.status();
}

TEST_F(SessionRunnerTest, ACorruptStoredRecordIsRefusedWithDataLossNotPlayed) {
  // Found by tests/fuzz/stored_record_fuzzer: a record read back with its
  // step index outside the timeline or fewer item summaries than items was
  // played (out-of-bounds reads), and an absurd stored prescription
  // unrolled into billions of steps.
  struct Case {
    std::string name;
    std::function<void(SessionRecord*)> corrupt;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"step index",
       [](SessionRecord* r) { r->mutable_engine()->set_step_index(9999); },
       "engine.step_index 9999 is outside the timeline's"},
      {"negative step index",
       [](SessionRecord* r) { r->mutable_engine()->set_step_index(-1); },
       "engine.step_index -1"},
      {"tally marker",
       [](SessionRecord* r) { r->mutable_engine()->set_tallied_through(-7); },
       "engine.tallied_through -7"},
      {"summaries",
       [](SessionRecord* r) {
         r->mutable_engine()->mutable_summary()->clear_items();
       },
       "engine.summary has 0 items for"},
      {"run state",
       [](SessionRecord* r) {
         r->mutable_engine()->set_run_state(
             static_cast<coach::v1::RunState>(99));
       },
       "engine.run_state 99 is not a run state"},
      {"deadline",
       [](SessionRecord* r) { r->mutable_engine()->set_deadline_us(-5); },
       "engine.deadline_us -5 is not a time"},
      {"prescription",
       [](SessionRecord* r) {
         r->mutable_routine()
             ->mutable_items(1)
             ->mutable_prescription()
             ->set_sets(100000);
         // A new routine version: the runner builds a new engine for it.
         r->mutable_engine()->set_routine_version(7);
       },
       "routine.items[1].prescription: outside the limits"},
      {"time scale",
       [](SessionRecord* r) {
         r->set_time_scale(0);
         r->mutable_engine()->set_routine_version(8);
       },
       "time_scale: must be greater than 0"},
  };
  const SessionView view = StartDemo();
  const SessionRecord before = Stored(view.session_id());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    store_.CorruptLoads(c.corrupt);
    absl::StatusOr<SessionView> got = runner_.Get(kAlice, view.session_id());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(got.status().message(), HasSubstr(c.message));
    EXPECT_THAT(got.status().message(),
                HasSubstr("the stored record of session " + view.session_id() +
                          " is corrupt"));
    absl::StatusOr<SendCommandResponse> command = runner_.Command(
        kAlice,
        Cmd(view.session_id(), "c-" + c.name, coach::v1::COMMAND_TYPE_PAUSE));
    EXPECT_EQ(command.status().code(), absl::StatusCode::kDataLoss);
    store_.CorruptLoads(nullptr);
    EXPECT_TRUE(MessageDifferencer::Equals(Stored(view.session_id()), before));
  }
  // The record as stored still plays.
  EXPECT_TRUE(runner_.Get(kAlice, view.session_id()).ok());
}

TEST_F(SessionRunnerTest, CoachesCannotStartSessions) {
  absl::StatusOr<SessionView> view = runner_.Start(kCoach, Preset("demo"));
  EXPECT_EQ(view.status().code(), absl::StatusCode::kPermissionDenied);
  absl::StatusOr<std::vector<std::string>> live = store_.ListLive();
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
}

TEST_F(SessionRunnerTest, BadCommandInputIsRefusedNamingTheField) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  const SessionRecord before = Stored(id);
  struct Case {
    std::string name;
    SendCommandRequest request;
    std::string field;
  };
  std::vector<Case> cases = {
      {"empty session_id", Cmd("", "c1", coach::v1::COMMAND_TYPE_PAUSE),
       "session_id"},
      {"session_id too long",
       Cmd(std::string(129, 's'), "c1", coach::v1::COMMAND_TYPE_PAUSE),
       "session_id"},
      {"empty command_id", Cmd(id, "", coach::v1::COMMAND_TYPE_PAUSE),
       "command_id"},
      {"65-character command_id",
       Cmd(id, std::string(65, 'c'), coach::v1::COMMAND_TYPE_PAUSE),
       "command_id"},
      {"unspecified command",
       Cmd(id, "c1", coach::v1::COMMAND_TYPE_UNSPECIFIED), "command"},
      {"unknown command", Cmd(id, "c1", static_cast<CommandType>(99)),
       "command"},
      {"note too long",
       Cmd(id, "c1", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
           std::string(501, 'n')),
       "note"},
  };
  Case bad_kind{"unknown from_kind",
                Cmd(id, "c1", coach::v1::COMMAND_TYPE_PAUSE), "from_kind"};
  bad_kind.request.set_from_kind(static_cast<coach::v1::DeviceKind>(42));
  cases.push_back(bad_kind);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SendCommandResponse> response =
        runner_.Command(kAlice, c.request);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument)
        << response.status();
    EXPECT_TRUE(absl::StartsWith(response.status().message(),
                                 absl::StrCat(c.field, ": ")))
        << response.status();
    EXPECT_TRUE(MessageDifferencer::Equals(Stored(id), before));
  }
  // The limits themselves are fine: a 64-character id and a 500-character
  // note.
  absl::StatusOr<SendCommandResponse> longest =
      runner_.Command(kAlice, Cmd(id, std::string(64, 'c'),
                                  coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
                                  std::string(500, 'n')));
  EXPECT_TRUE(longest.ok()) << longest.status();
}

TEST_F(SessionRunnerTest, BadStartRequestsAreRefusedNamingTheField) {
  struct Case {
    std::string name;
    coach::v1::StartSessionRequest request;
    absl::StatusCode code;
    std::string message;
  };
  coach::v1::StartSessionRequest too_short;
  too_short.mutable_build()->set_minutes(1);
  const std::vector<Case> cases = {
      {"no routine", coach::v1::StartSessionRequest(),
       absl::StatusCode::kInvalidArgument, "routine_id or build"},
      {"empty routine_id", Preset(""), absl::StatusCode::kInvalidArgument,
       "routine_id"},
      {"unknown preset", Preset("nope"), absl::StatusCode::kNotFound,
       "routine_id"},
      {"minutes out of range", too_short, absl::StatusCode::kInvalidArgument,
       "minutes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<SessionView> view = runner_.Start(kAlice, c.request);
    EXPECT_EQ(view.status().code(), c.code) << view.status();
    EXPECT_THAT(view.status().message(), HasSubstr(c.message));
  }
  absl::StatusOr<std::vector<std::string>> live = store_.ListLive();
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());
  EXPECT_EQ(timers_.size(), 0);
}

TEST_F(SessionRunnerTest, PauseUnschedulesTheTimerAndResumeReschedulesIt) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(
      runner_.Command(kAlice, Cmd(id, "p", coach::v1::COMMAND_TYPE_PAUSE))
          .ok());
  EXPECT_EQ(timers_.size(), 0);
  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(
      runner_.Command(kAlice, Cmd(id, "r", coach::v1::COMMAND_TYPE_RESUME))
          .ok());
  // 10 s were left of the 15 s intro.
  EXPECT_EQ(timers_.NextDeadline(), clock_.Now() + absl::Seconds(10));
}

TEST_F(SessionRunnerTest, ASessionStartedPausedPlaysNothingUntilResumed) {
  coach::v1::StartSessionRequest request = Preset("demo");
  request.set_paused(true);
  absl::StatusOr<SessionView> view = runner_.Start(kAlice, request);
  ASSERT_TRUE(view.ok()) << view.status();
  const std::string id = view->session_id();
  EXPECT_EQ(view->status().run_state(), coach::v1::RUN_STATE_PAUSED);
  const std::vector<StoredEvent> history = History(id);
  ASSERT_EQ(view->last_sequence(), static_cast<int64_t>(history.size()));
  EXPECT_TRUE(history.front()->has_session_started());
  EXPECT_TRUE(history.back()->has_paused());
  // The whole 15 s intro is left, and no timer runs.
  EXPECT_EQ(history.back()->paused().remaining_ms(), 15000);
  EXPECT_EQ(timers_.size(), 0);
  clock_.Advance(absl::Minutes(10));
  EXPECT_FALSE(FireNext());
  EXPECT_EQ(Stored(id).last_sequence(), view->last_sequence());
  ASSERT_TRUE(
      runner_.Command(kAlice, Cmd(id, "r", coach::v1::COMMAND_TYPE_RESUME))
          .ok());
  EXPECT_EQ(timers_.NextDeadline(), clock_.Now() + absl::Seconds(15));
  ExpectContiguous(id);
}

TEST_F(SessionRunnerTest, SwitchToMobilityRebuildsTheSessionsTimeline) {
  const SessionView view = StartDemo();
  const std::string id = view.session_id();
  // Play until the band row's first set is under way.
  while (Stored(id).engine().run_state() == coach::v1::RUN_STATE_RUNNING) {
    ASSERT_TRUE(FireNext());
    absl::StatusOr<SessionView> now = runner_.Get(kAlice, id);
    ASSERT_TRUE(now.ok());
    if (now->status().exercise_id() == "band-row" &&
        now->status().step_kind() == coach::v1::STEP_KIND_REP) {
      break;
    }
  }
  ASSERT_TRUE(
      runner_
          .Command(kAlice,
                   Cmd(id, "hurt", coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
                       "left shoulder"))
          .ok());
  absl::StatusOr<SendCommandResponse> switched = runner_.Command(
      kAlice, Cmd(id, "switch", coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY));
  ASSERT_TRUE(switched.ok()) << switched.status();
  EXPECT_EQ(switched->status().exercise_id(), "cat-cow");
  const SessionRecord record = Stored(id);
  EXPECT_EQ(record.engine().routine_version(), 1);
  EXPECT_EQ(record.routine().items(2).exercise_id(), "cat-cow");
  ASSERT_EQ(record.engine().summary().discomfort_size(), 1);
  EXPECT_EQ(record.engine().summary().discomfort(0).note(), "left shoulder");
  while (FireNext()) {
  }
  ExpectContiguous(id);
  std::vector<std::string> intros;
  for (const StoredEvent& ev : History(id)) {
    if (ev->has_exercise_intro())
      intros.push_back(ev->exercise_intro().exercise_id());
  }
  EXPECT_THAT(intros, ::testing::ElementsAre("band-row", "cat-cow", "superman",
                                             "cat-cow"));
}

TEST_F(SessionRunnerTest, ResumeTimersSchedulesEveryLiveSession) {
  const SessionView a = StartDemo();
  const SessionView b = StartDemo(kBob);
  const SessionView c = StartDemo();
  ASSERT_TRUE(runner_
                  .Command(kBob, Cmd(b.session_id(), "p",
                                     coach::v1::COMMAND_TYPE_PAUSE))
                  .ok());
  ASSERT_TRUE(runner_
                  .Command(kAlice, Cmd(c.session_id(), "e",
                                       coach::v1::COMMAND_TYPE_END))
                  .ok());
  // Another process over the same store: only a's timer runs.
  TimerQueue timers(&clock_);
  MemoryTimerLeases leases;
  TimerDriver driver(&leases, &store_, &timers, nullptr, &clock_);
  ASSERT_TRUE(driver.Sweep().ok());
  EXPECT_EQ(timers.size(), 1);
  clock_.Advance(absl::Seconds(15));
  EXPECT_EQ(timers.TakeDue(), std::vector<std::string>{a.session_id()});
}

TEST_F(SessionRunnerTest, ASelfPacedSetStoresThatItWaitsForDone) {
  // Presets have no self-paced move: store one as another process would.
  coach::v1::Routine routine;
  routine.set_id("custom");
  coach::v1::RoutineItem* item = routine.add_items();
  item->set_exercise_id("glute-bridge");
  item->set_exercise_name("Glute Bridge");
  coach::v1::Prescription* p = item->mutable_prescription();
  p->set_sets(1);
  p->set_reps(8);
  p->set_tempo_seconds(3);
  p->set_self_paced(true);
  SessionRecord record;
  record.set_session_id("self-paced-1");
  record.set_owner("alice");
  record.set_time_scale(1);
  *record.mutable_routine() = routine;
  absl::StatusOr<std::unique_ptr<SessionEngine>> engine =
      SessionEngine::Create(&RealCatalog(), routine, 1);
  ASSERT_TRUE(engine.ok()) << engine.status();
  std::vector<SessionEvent> events = (*engine)->Start(clock_.Now(), &record);
  ASSERT_TRUE(store_.Create(&record, std::move(events)).ok());
  ASSERT_TRUE(driver_.Sweep().ok());
  const absl::Time start = clock_.Now();

  ASSERT_TRUE(FireNext());  // 15 s: "Set 1 of 1 ... say done".
  ASSERT_TRUE(FireNext());  // 18 s: waiting for done; no event to say.
  EXPECT_EQ(clock_.Now(), start + absl::Seconds(18));
  absl::StatusOr<SessionView> view = runner_.Get(kAlice, "self-paced-1");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->status().step_kind(), coach::v1::STEP_KIND_AWAIT_DONE);
  EXPECT_EQ(view->status().deadline().seconds(),
            absl::ToUnixSeconds(start + absl::Seconds(18 + 30)));
  EXPECT_EQ(timers_.NextDeadline(), start + absl::Seconds(48));

  ASSERT_TRUE(FireNext());
  EXPECT_TRUE(History("self-paced-1").back()->has_done_reminder());
  absl::StatusOr<SendCommandResponse> done = runner_.Command(
      kAlice, Cmd("self-paced-1", "d", coach::v1::COMMAND_TYPE_SET_DONE));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status().step_kind(), coach::v1::STEP_KIND_EXERCISE_DONE);
  while (FireNext()) {
  }
  ExpectContiguous("self-paced-1");
  EXPECT_EQ(
      History("self-paced-1").back()->session_done().summary().percent_done(),
      100);
}

TEST_F(SessionRunnerTest, ObserversSeeEveryCommit) {
  std::vector<StoredEvent> seen;
  runner_.AddObserverForTest([&seen](const SessionRecord& record,
                                     const std::vector<StoredEvent>& events) {
    seen.insert(seen.end(), events.begin(), events.end());
    EXPECT_EQ(record.last_sequence(), events.back()->sequence());
  });
  const SessionView view = StartDemo();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(FireNext());
  const int64_t last = Stored(view.session_id()).last_sequence();
  const std::vector<StoredEvent> history = History(view.session_id());
  ASSERT_EQ(static_cast<int64_t>(seen.size()), last);
  ASSERT_EQ(history.size(), seen.size());
  for (int64_t i = 0; i < last; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(seen[i]->sequence(), i + 1);
    // The bytes the store holds (serialized once), not copies of them.
    EXPECT_EQ(seen[i].Wire().get(), history[i].Wire().get());
  }
}

TEST_F(SessionRunnerTest, ACommitThatLostARaceIsRedoneWithFreshEvents) {
  const SessionView view = StartDemo();
  std::vector<StoredEvent> seen;
  runner_.AddObserverForTest(
      [&seen](const SessionRecord&, const std::vector<StoredEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
      });
  // Another process (its own runner, so its own locks) commits a cue just
  // before this runner's commit of the pause: that one is ABORTED, and the
  // pause is made again from the record with the cue.
  TimerQueue other_timers(&clock_);
  MemoryTimerLeases other_leases;
  TimerDriver other_driver(&other_leases, &store_, &other_timers, nullptr,
                           &clock_);
  SessionRunner other(&RealCatalog(), &store_, &clock_, &other_driver, &policy_,
                      {});
  store_.BeforeNextCommit([&] {
    EXPECT_TRUE(other.CoachCue(kCoach, view.session_id(), "Interloper").ok());
  });

  absl::StatusOr<SendCommandResponse> paused = runner_.Command(
      kAlice, Cmd(view.session_id(), "p", coach::v1::COMMAND_TYPE_PAUSE));

  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->last_sequence(), view.last_sequence() + 2);
  ExpectContiguous(view.session_id());
  const std::vector<StoredEvent> history = History(view.session_id());
  ASSERT_EQ(static_cast<int64_t>(history.size()), view.last_sequence() + 2);
  EXPECT_EQ(history[view.last_sequence()]->coach_cue().text(), "Interloper");
  EXPECT_TRUE(history.back()->has_paused());
  // This runner's observers saw its own commit, once.
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].Wire().get(), history.back().Wire().get());
}

TEST_F(SessionRunnerTest, CoachCueReachesLiveSessionsOnly) {
  const SessionView view = StartDemo();
  absl::StatusOr<int64_t> seq =
      runner_.CoachCue(kCoach, view.session_id(), "Keep breathing");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, view.last_sequence() + 1);
  EXPECT_EQ(History(view.session_id()).back()->coach_cue().coach_id(), "carol");
  ASSERT_TRUE(runner_
                  .Command(kAlice, Cmd(view.session_id(), "e",
                                       coach::v1::COMMAND_TYPE_END))
                  .ok());
  absl::StatusOr<int64_t> late =
      runner_.CoachCue(kCoach, view.session_id(), "Too late");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace coachd
