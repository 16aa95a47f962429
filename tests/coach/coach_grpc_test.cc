// CoachService, and coaches on SessionService, over real gRPC channels on
// loopback with a FakeClock driving the session timers: links by consent
// (the coach's code, once, for a day; either side ends them) and access,
// unlink closing open streams, cues reaching every device as one sequenced
// event, discomfort first on the live board, resuming WatchLive, summaries,
// cue limits and bad input.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "coach/v1/coach.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#ifdef COACHD_COACH_TEST_ON_REDIS
#include "tests/coach/coach_redis_testing.h"
#endif

namespace coachd {
namespace {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;
using ::testing::HasSubstr;

constexpr char kCoach[] = "coach-bob";

class CoachGrpcTest : public ::testing::Test {
 protected:
  template <typename T>
  using Stream = TestStream<T>;

  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
#ifdef COACHD_COACH_TEST_ON_REDIS
    // The same tests with sessions, links and boards in a real redis-server.
    absl::Status redis = UseSharedRedisForCoaching(&options);
    ASSERT_TRUE(redis.ok()) << redis;
#endif
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<CoachTestClient>(server_->port(), &clock_);
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role) {
    return client_->Context(sub, role);
  }

  coach::v1::SessionView Start(const std::string& person) {
    return client_->Start(person);
  }

  grpc::Status Link(const std::string& person, const std::string& coach,
                    bool unlink = false,
                    coach::v1::LinkCoachResponse* out = nullptr) {
    return client_->Link(person, coach, unlink, out);
  }

  grpc::Status GetAs(const std::string& sub, Role role, const std::string& id,
                     coach::v1::SessionView* out) {
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    auto context = Context(sub, role);
    return client_->sessions().GetSession(context.get(), request, out);
  }

  // The owner's view of `id`.
  coach::v1::SessionView Get(const std::string& person, const std::string& id) {
    coach::v1::SessionView view;
    grpc::Status s = GetAs(person, Role::kDevice, id, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  grpc::Status Command(const std::string& sub, Role role, const std::string& id,
                       coach::v1::CommandType type,
                       const std::string& note = "") {
    return client_->Command(sub, role, id, type, note);
  }

  void Do(const std::string& person, const std::string& id,
          coach::v1::CommandType type, const std::string& note = "") {
    client_->Do(person, id, type, note);
  }

  grpc::Status Cue(const std::string& coach, const std::string& id,
                   const std::string& text,
                   coach::v1::SendCueResponse* out = nullptr,
                   Role role = Role::kCoach) {
    coach::v1::SendCueRequest request;
    request.set_session_id(id);
    request.set_text(text);
    coach::v1::SendCueResponse unused;
    auto context = Context(coach, role);
    return client_->coaches().SendCue(context.get(), request,
                                      out != nullptr ? out : &unused);
  }

  grpc::Status Summary(const std::string& sub, Role role, const std::string& id,
                       coach::v1::SessionSummaryView* out) {
    coach::v1::GetSessionSummaryRequest request;
    request.set_session_id(id);
    auto context = Context(sub, role);
    return client_->coaches().GetSessionSummary(context.get(), request, out);
  }

  grpc::Status ListClients(const std::string& sub, Role role,
                           coach::v1::ListClientsResponse* out) {
    return client_->ListClients(sub, role, out);
  }

  Stream<LiveUpdate> Watch(const std::string& coach,
                           const coach::v1::ResumePosition* resume = nullptr,
                           Role role = Role::kCoach) {
    return client_->Watch(coach, resume, role);
  }

  Stream<SessionEvent> Subscribe(
      const std::string& sub, Role role, const std::string& id,
      coach::v1::DeviceKind kind,
      const coach::v1::ResumePosition* resume = nullptr) {
    return client_->Subscribe(sub, role, id, kind, resume);
  }

  // The coach's board as of now (after everything committed so far).
  LiveUpdate BoardNow(const std::string& coach) {
    server_->board().Drain();
    Stream<LiveUpdate> probe = Watch(coach);
    LiveUpdate snapshot;
    EXPECT_TRUE(probe.reader->Read(&snapshot));
    probe.context->TryCancel();
    probe.Drain();
    return snapshot;
  }

  // Moves the clock `seconds` forward one second at a time, firing timers.
  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      server_->RunDueTimersForTest();
    }
  }

  static coach::v1::ResumePosition From(const std::string& epoch,
                                        int64_t last) {
    coach::v1::ResumePosition p;
    p.set_epoch(epoch);
    p.set_last_sequence(last);
    return p;
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::unique_ptr<CoachTestClient> client_;
};

TEST_F(CoachGrpcTest, CoachSeesLinkedClientsSessionsAndNothingOfOthers) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  Stream<LiveUpdate> board = Watch(kCoach);
  std::vector<LiveUpdate> first =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT));
  EXPECT_TRUE(first.back().board().recovered());

  coach::v1::SessionView alice = Start("alice");
  coach::v1::SessionView carol = Start("carol");
  std::vector<LiveUpdate> started =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED));
  EXPECT_EQ(started.back().person_id(), "alice");
  EXPECT_EQ(started.back().session_id(), alice.session_id());
  // Carol's pause is committed first: had it reached the board, it would
  // come before alice's.
  Do("carol", carol.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  Do("alice", alice.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  std::vector<LiveUpdate> paused =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED));
  for (const LiveUpdate& u : paused) EXPECT_EQ(u.person_id(), "alice");
  EXPECT_EQ(paused.back().session().run_state(), coach::v1::RUN_STATE_PAUSED);

  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    grpc::StatusCode want;
  };
  coach::v1::SessionView view;
  coach::v1::SessionSummaryView summary;
  const std::vector<Case> cases = {
      {"get a linked client's session",
       [&] { return GetAs(kCoach, Role::kCoach, alice.session_id(), &view); },
       grpc::StatusCode::OK},
      {"get another person's session",
       [&] { return GetAs(kCoach, Role::kCoach, carol.session_id(), &view); },
       grpc::StatusCode::PERMISSION_DENIED},
      {"summary of a linked client's session",
       [&] {
         return Summary(kCoach, Role::kCoach, alice.session_id(), &summary);
       },
       grpc::StatusCode::OK},
      {"summary of another person's session",
       [&] {
         return Summary(kCoach, Role::kCoach, carol.session_id(), &summary);
       },
       grpc::StatusCode::PERMISSION_DENIED},
      {"cue into another person's session",
       [&] { return Cue(kCoach, carol.session_id(), "hello"); },
       grpc::StatusCode::PERMISSION_DENIED},
      {"subscribe to another person's session",
       [&] {
         return Subscribe(kCoach, Role::kCoach, carol.session_id(),
                          coach::v1::DEVICE_KIND_COACH)
             .Drain();
       },
       grpc::StatusCode::PERMISSION_DENIED},
      {"a coach never commands, even a linked client's session",
       [&] {
         return Command(kCoach, Role::kCoach, alice.session_id(),
                        coach::v1::COMMAND_TYPE_RESUME);
       },
       grpc::StatusCode::PERMISSION_DENIED},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), c.want) << s.error_message();
  }

  // Following the linked client's session in full works.
  Stream<SessionEvent> follow = Subscribe(
      kCoach, Role::kCoach, alice.session_id(), coach::v1::DEVICE_KIND_COACH);
  SessionEvent snapshot;
  ASSERT_TRUE(follow.reader->Read(&snapshot));
  EXPECT_TRUE(snapshot.has_snapshot());
  EXPECT_EQ(snapshot.snapshot().session().owner(), "alice");

  server_->board().Drain();
  coach::v1::ListClientsResponse clients;
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &clients).ok());
  ASSERT_EQ(clients.clients_size(), 1);
  EXPECT_EQ(clients.clients(0).person_id(), "alice");
  ASSERT_EQ(clients.clients(0).live_size(), 1);
  EXPECT_EQ(clients.clients(0).live(0).session_id(), alice.session_id());
  EXPECT_EQ(clients.clients(0).live(0).run_state(),
            coach::v1::RUN_STATE_PAUSED);
  EXPECT_FALSE(clients.clients(0).has_progress());  // No progress source yet.

  LiveUpdate now = BoardNow(kCoach);
  ASSERT_EQ(now.board().sessions_size(), 1);
  EXPECT_EQ(now.board().sessions(0).person_id(), "alice");
}

TEST_F(CoachGrpcTest, UnlinkEndsAccessAtOnceIncludingOpenStreams) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  ASSERT_TRUE(Link("dave", kCoach).ok());
  coach::v1::SessionView alice = Start("alice");
  coach::v1::SessionView dave = Start("dave");
  server_->board().Drain();
  Stream<LiveUpdate> board = Watch(kCoach);
  LiveUpdate snapshot;
  ASSERT_TRUE(board.reader->Read(&snapshot));
  EXPECT_EQ(snapshot.board().sessions_size(), 2);
  Stream<SessionEvent> follow = Subscribe(
      kCoach, Role::kCoach, alice.session_id(), coach::v1::DEVICE_KIND_COACH);
  SessionEvent first;
  ASSERT_TRUE(follow.reader->Read(&first));  // Attached: the snapshot.

  coach::v1::LinkCoachResponse unlinked;
  ASSERT_TRUE(Link("alice", kCoach, /*unlink=*/true, &unlinked).ok());
  EXPECT_TRUE(unlinked.changed());
  EXPECT_EQ(unlinked.coaches_size(), 0);

  // The open follow stream has ended, denied, without any more events.
  grpc::Status ended = follow.Drain();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ended.error_message(), HasSubstr("revoked"));

  // The board drops alice, and no later update of hers reaches it: dave's
  // pause is committed after hers.
  std::vector<LiveUpdate> gone =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED));
  EXPECT_EQ(gone.back().person_id(), "alice");
  Do("alice", alice.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  Do("dave", dave.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  std::vector<LiveUpdate> after =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_PAUSED));
  for (const LiveUpdate& u : after) EXPECT_EQ(u.person_id(), "dave");

  coach::v1::SessionView view;
  coach::v1::SessionSummaryView summary;
  EXPECT_EQ(GetAs(kCoach, Role::kCoach, alice.session_id(), &view).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Summary(kCoach, Role::kCoach, alice.session_id(), &summary).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Cue(kCoach, alice.session_id(), "still there?").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Subscribe(kCoach, Role::kCoach, alice.session_id(),
                      coach::v1::DEVICE_KIND_COACH)
                .Drain()
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  coach::v1::ListClientsResponse clients;
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &clients).ok());
  ASSERT_EQ(clients.clients_size(), 1);
  EXPECT_EQ(clients.clients(0).person_id(), "dave");
  EXPECT_EQ(BoardNow(kCoach).board().sessions_size(), 1);
}

TEST_F(CoachGrpcTest, CueReachesSpeakerAndDisplayAsTheSameSequencedEvent) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  coach::v1::SessionView started = Start("alice");
  Play(5);
  coach::v1::SessionView view = Get("alice", started.session_id());
  coach::v1::ResumePosition here = From(view.epoch(), view.last_sequence());
  Stream<SessionEvent> speaker =
      Subscribe("alice", Role::kDevice, view.session_id(),
                coach::v1::DEVICE_KIND_VOICE, &here);
  Stream<SessionEvent> display =
      Subscribe("alice", Role::kDevice, view.session_id(),
                coach::v1::DEVICE_KIND_DISPLAY, &here);
  Stream<SessionEvent> coach =
      Subscribe(kCoach, Role::kCoach, view.session_id(),
                coach::v1::DEVICE_KIND_COACH, &here);

  const std::string text = "Slow down on the way back, keep your chin tucked";
  coach::v1::SendCueResponse sent;
  grpc::Status s = Cue(kCoach, view.session_id(), text, &sent);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sent.sequence(), view.last_sequence() + 1);
  EXPECT_EQ(sent.epoch(), view.epoch());

  std::vector<SessionEvent> cues;
  for (Stream<SessionEvent>* stream : {&speaker, &display, &coach}) {
    std::vector<SessionEvent> events = ReadThrough(*stream, sent.sequence());
    ASSERT_EQ(events.size(), 1u);
    cues.push_back(events.back());
  }
  const SessionEvent& cue = cues[0];
  EXPECT_EQ(cue.sequence(), sent.sequence());
  EXPECT_EQ(cue.epoch(), view.epoch());
  ASSERT_TRUE(cue.has_coach_cue());
  EXPECT_EQ(cue.coach_cue().coach_id(), kCoach);
  EXPECT_EQ(cue.coach_cue().text(), text);
  EXPECT_THAT(cue.speech().text(), HasSubstr(text));
  EXPECT_THAT(cue.card().banner(), HasSubstr(text));
  EXPECT_EQ(cues[1].SerializeAsString(), cue.SerializeAsString());
  EXPECT_EQ(cues[2].SerializeAsString(), cue.SerializeAsString());
  EXPECT_EQ(Get("alice", view.session_id()).last_sequence(), sent.sequence());
}

TEST_F(CoachGrpcTest, DiscomfortReachesWatchLiveAheadOfRoutineUpdates) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  Stream<LiveUpdate> board = Watch(kCoach);
  ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT));
  coach::v1::SessionView view = Start("alice");
  ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_STARTED));

  // The warm-up runs out while no timer fires; the report then commits the
  // overdue steps (the first exercise begins) and the report in one batch.
  clock_.Advance(
      absl::Seconds(view.routine().items(0).estimated_seconds() + 2));
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
     "a twinge in my lower back");
  std::vector<LiveUpdate> batch =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_EXERCISE_CHANGED));
  ASSERT_GE(batch.size(), 2u);
  const LiveUpdate& flagged = batch.front();
  EXPECT_EQ(flagged.kind(), coach::v1::LIVE_UPDATE_KIND_DISCOMFORT);
  EXPECT_TRUE(flagged.flagged());
  EXPECT_EQ(flagged.note(), "a twinge in my lower back");
  EXPECT_EQ(flagged.exercise_id(), view.routine().items(1).exercise_id());
  EXPECT_EQ(flagged.session().run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_EQ(flagged.session().last_discomfort().note(),
            "a twinge in my lower back");
  for (size_t i = 1; i < batch.size(); ++i) {
    EXPECT_FALSE(batch[i].flagged());
    EXPECT_EQ(batch[i].sequence(),
              flagged.sequence() + static_cast<int64_t>(i));
  }
  EXPECT_EQ(batch.back().exercise_id(), view.routine().items(1).exercise_id());
}

TEST_F(CoachGrpcTest, ReconnectingWatchLiveResumesWithNothingLost) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  Stream<LiveUpdate> steady = Watch(kCoach);
  Stream<LiveUpdate> flaky = Watch(kCoach);
  const std::string epoch =
      ReadUntil(flaky, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT))
          .back()
          .epoch();
  coach::v1::SessionView view = Start("alice");
  Play(90);
  const int64_t seen = BoardNow(kCoach).sequence();
  ASSERT_GE(seen, 2);
  ReadUntil(flaky, Through(seen));
  flaky.context->TryCancel();
  EXPECT_EQ(flaky.Drain().error_code(), grpc::StatusCode::CANCELLED);

  // While the dashboard is away the session goes on.
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  clock_.Advance(absl::Seconds(20));
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_RESUME);
  Play(120);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_SKIP_EXERCISE);
  Play(60);
  const int64_t last = BoardNow(kCoach).sequence();
  ASSERT_GT(last, seen + 4);

  coach::v1::ResumePosition where = From(epoch, seen);
  Stream<LiveUpdate> again = Watch(kCoach, &where);
  std::vector<LiveUpdate> missed = ReadUntil(again, Through(last));
  ASSERT_EQ(missed.size(), static_cast<size_t>(last - seen));
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_NE(missed[i].kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
    EXPECT_EQ(missed[i].sequence(), seen + 1 + static_cast<int64_t>(i));
    EXPECT_EQ(missed[i].epoch(), epoch);
  }
  // Exactly what a dashboard that never dropped saw.
  std::vector<LiveUpdate> all = ReadUntil(steady, Through(last));
  ASSERT_GE(all.size(), missed.size());
  for (size_t i = 0; i < missed.size(); ++i) {
    EXPECT_EQ(all[all.size() - missed.size() + i].SerializeAsString(),
              missed[i].SerializeAsString());
  }

  // A position from another epoch gets the whole board, not recovered.
  coach::v1::ResumePosition stale = From("another-epoch", seen);
  Stream<LiveUpdate> lost = Watch(kCoach, &stale);
  LiveUpdate snapshot;
  ASSERT_TRUE(lost.reader->Read(&snapshot));
  EXPECT_EQ(snapshot.kind(), coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  EXPECT_FALSE(snapshot.board().recovered());
  EXPECT_EQ(snapshot.sequence(), last);
  ASSERT_EQ(snapshot.board().sessions_size(), 1);
  EXPECT_EQ(snapshot.board().sessions(0).session_id(), view.session_id());
}

TEST_F(CoachGrpcTest, SummaryMatchesWhatTheEngineRecorded) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  coach::v1::SessionView view = Start("alice");
  const absl::Time started = clock_.Now();
  coach::v1::ResumePosition all = From(view.epoch(), 0);
  Stream<SessionEvent> speaker =
      Subscribe("alice", Role::kDevice, view.session_id(),
                coach::v1::DEVICE_KIND_VOICE, &all);
  Stream<LiveUpdate> board = Watch(kCoach);

  Play(view.routine().items(0).estimated_seconds() + 15);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_PAUSE);
  clock_.Advance(absl::Seconds(30));
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_RESUME);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
     "sharp");
  coach::v1::SessionSummaryView live;
  ASSERT_TRUE(Summary(kCoach, Role::kCoach, view.session_id(), &live).ok());
  EXPECT_EQ(live.run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_FALSE(live.has_ended_at());
  EXPECT_EQ(live.duration_ms(),
            absl::ToInt64Milliseconds(clock_.Now() - started));
  EXPECT_EQ(live.summary().pauses(), 1);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_SKIP_EXERCISE);
  Play(view.routine().estimated_seconds() + 30);

  coach::v1::SessionView done = Get("alice", view.session_id());
  ASSERT_EQ(done.status().run_state(), coach::v1::RUN_STATE_FINISHED);
  coach::v1::SessionSummaryView summary;
  ASSERT_TRUE(Summary(kCoach, Role::kCoach, view.session_id(), &summary).ok());
  // The engine's tallies, as recorded and as announced at the end.
  EXPECT_EQ(summary.summary().SerializeAsString(),
            done.summary().SerializeAsString());
  SessionEvent e, last_event;
  while (speaker.reader->Read(&e)) last_event = e;
  ASSERT_TRUE(last_event.has_session_done());
  EXPECT_EQ(summary.summary().SerializeAsString(),
            last_event.session_done().summary().SerializeAsString());
  std::vector<LiveUpdate> ended =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_ENDED));
  EXPECT_EQ(ended.back().summary().SerializeAsString(),
            summary.summary().SerializeAsString());

  EXPECT_EQ(summary.person_id(), "alice");
  EXPECT_EQ(summary.run_state(), coach::v1::RUN_STATE_FINISHED);
  EXPECT_EQ(summary.duration_ms(), summary.summary().duration_ms());
  EXPECT_EQ(summary.ended_at().seconds() - summary.started_at().seconds(),
            summary.duration_ms() / 1000);
  EXPECT_EQ(summary.summary().pauses(), 1);
  EXPECT_EQ(summary.summary().skips(), 1);
  EXPECT_TRUE(summary.summary().completed());  // Reached the end, skip and all.
  const coach::v1::RoutineItem& hurt = view.routine().items(1);
  ASSERT_EQ(summary.discomfort_size(), 1);
  EXPECT_EQ(summary.discomfort(0).exercise_id(), hurt.exercise_id());
  EXPECT_EQ(summary.discomfort(0).exercise_name(), hurt.exercise_name());
  EXPECT_EQ(summary.discomfort(0).note(), "sharp");
  ASSERT_EQ(summary.summary().items_size(), view.routine().items_size());
  EXPECT_TRUE(summary.summary().items(1).skipped());
  EXPECT_TRUE(summary.summary().items(1).discomfort());
  EXPECT_LT(summary.summary().items(1).reps_done(),
            summary.summary().items(1).reps_prescribed());
  for (int i = 2; i < summary.summary().items_size(); ++i) {
    const coach::v1::ItemSummary& item = summary.summary().items(i);
    SCOPED_TRACE(item.exercise_id());
    EXPECT_FALSE(item.skipped());
    EXPECT_EQ(item.sets_done(), item.sets_prescribed());
    EXPECT_EQ(item.reps_done(), item.reps_prescribed());
    EXPECT_EQ(item.holds_kept(), item.holds_prescribed());
  }
}

TEST_F(CoachGrpcTest, CueLengthAndRateLimitGetTheirCodes) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  ASSERT_TRUE(Link("alice", "coach-eve").ok());
  coach::v1::SessionView view = Start("alice");

  grpc::Status oversize = Cue(kCoach, view.session_id(), std::string(201, 'a'));
  EXPECT_EQ(oversize.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(oversize.error_message(), HasSubstr("text"));
  EXPECT_THAT(oversize.error_message(), HasSubstr("200"));
  std::string accents;
  for (int i = 0; i < 200; ++i) accents += "\xC3\xA9";  // 200 x "é".
  EXPECT_TRUE(Cue(kCoach, view.session_id(), accents).ok());

  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(Cue(kCoach, view.session_id(), "keep breathing").ok());
  }
  grpc::Status limited = Cue(kCoach, view.session_id(), "one more");
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("retry in 12s"));
  EXPECT_TRUE(Cue("coach-eve", view.session_id(), "my own quota").ok());
  clock_.Advance(absl::Seconds(12));
  EXPECT_TRUE(Cue(kCoach, view.session_id(), "one more").ok());
}

TEST_F(CoachGrpcTest, LinksAndClientListShowLiveStatusAndLastDiscomfort) {
  coach::v1::LinkCoachResponse linked;
  ASSERT_TRUE(Link("alice", kCoach, false, &linked).ok());
  EXPECT_TRUE(linked.changed());
  ASSERT_EQ(linked.coaches_size(), 1);
  EXPECT_EQ(linked.coaches(0).coach_id(), kCoach);
  EXPECT_EQ(linked.coaches(0).linked_at().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  ASSERT_TRUE(Link("alice", kCoach, false, &linked).ok());
  EXPECT_FALSE(linked.changed());
  ASSERT_TRUE(Link("carol", kCoach).ok());

  coach::v1::SessionView view = Start("alice");
  Play(view.routine().items(0).estimated_seconds() + 15);
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT,
     "neck");
  server_->board().Drain();
  coach::v1::ListClientsResponse list;
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &list).ok());
  ASSERT_EQ(list.clients_size(), 2);
  const coach::v1::ClientStatus& alice = list.clients(0);
  EXPECT_EQ(alice.person_id(), "alice");
  ASSERT_EQ(alice.live_size(), 1);
  EXPECT_EQ(alice.live(0).run_state(), coach::v1::RUN_STATE_DISCOMFORT);
  EXPECT_EQ(alice.live(0).exercise_id(), view.routine().items(1).exercise_id());
  EXPECT_FALSE(alice.live(0).exercise_name().empty());
  EXPECT_EQ(alice.live(0).items(), view.routine().items_size());
  EXPECT_EQ(alice.last_discomfort().note(), "neck");
  EXPECT_EQ(alice.last_discomfort().session_id(), view.session_id());
  EXPECT_EQ(alice.last_discomfort().exercise_name(),
            view.routine().items(1).exercise_name());
  const coach::v1::ClientStatus& carol = list.clients(1);
  EXPECT_EQ(carol.person_id(), "carol");
  EXPECT_EQ(carol.live_size(), 0);
  EXPECT_FALSE(carol.has_last_discomfort());

  // Once the session is over the client is idle; the report stays.
  Do("alice", view.session_id(), coach::v1::COMMAND_TYPE_END);
  server_->board().Drain();
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &list).ok());
  EXPECT_EQ(list.clients(0).live_size(), 0);
  EXPECT_EQ(list.clients(0).last_discomfort().note(), "neck");
  EXPECT_EQ(Cue(kCoach, view.session_id(), "well done").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(CoachGrpcTest, BadInputGetsSpecificStatusNamingTheField) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  coach::v1::SessionView view = Start("alice");
  const std::string id = view.session_id();
  auto link_as = [this](const std::string& sub, Role role,
                        const std::string& code) {
    coach::v1::LinkCoachRequest request;
    request.set_code(code);
    coach::v1::LinkCoachResponse out;
    auto context = Context(sub, role);
    return client_->coaches().LinkCoach(context.get(), request, &out);
  };
  auto link = [this](const std::string& code, const std::string& coach_id) {
    coach::v1::LinkCoachRequest request;
    request.set_code(code);
    request.set_coach_id(coach_id);
    return client_->LinkCoach("alice", request);
  };
  auto unlink = [this](const std::string& coach_id, const std::string& code) {
    coach::v1::LinkCoachRequest request;
    request.set_coach_id(coach_id);
    request.set_code(code);
    request.set_unlink(true);
    return client_->LinkCoach("alice", request);
  };
  // A live code of alice's own (her sub, as a coach).
  coach::v1::CreateLinkCodeResponse own;
  ASSERT_TRUE(client_->CreateLinkCode("alice", &own).ok());
  coach::v1::CreateLinkCodeResponse live;
  ASSERT_TRUE(client_->CreateLinkCode("coach-eve", &live).ok());
  coach::v1::CreateLinkCodeResponse made;
  auto watch = [this](const coach::v1::ResumePosition& where, Role role) {
    return Watch(kCoach, &where, role).Drain();
  };
  coach::v1::SessionSummaryView summary;
  coach::v1::ListClientsResponse list;
  struct Case {
    std::string name;
    std::function<grpc::Status()> call;
    grpc::StatusCode want;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {"link without a code (a coach_id alone)",
       [&] { return link("", kCoach); }, grpc::StatusCode::INVALID_ARGUMENT,
       "code: required"},
      {"link with a code and a coach_id",
       [&] { return link(live.code(), kCoach); },
       grpc::StatusCode::INVALID_ARGUMENT, "coach_id"},
      {"link with a malformed code", [&] { return link("hello!", ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "code"},
      {"link with an unknown code", [&] { return link("CDF-GHJK", ""); },
       grpc::StatusCode::NOT_FOUND, "code: CDF-GHJK"},
      {"link yourself with your own code", [&] { return link(own.code(), ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "code"},
      {"unlink without coach_id", [&] { return unlink("", ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "coach_id"},
      {"unlink a coach_id too long",
       [&] { return unlink(std::string(129, 'c'), ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "coach_id"},
      {"unlink with a code", [&] { return unlink(kCoach, live.code()); },
       grpc::StatusCode::INVALID_ARGUMENT, "code"},
      {"link with a device token",
       [&] { return link_as("alice", Role::kDevice, live.code()); },
       grpc::StatusCode::PERMISSION_DENIED, "user token"},
      {"link with a coach token",
       [&] { return link_as(kCoach, Role::kCoach, live.code()); },
       grpc::StatusCode::PERMISSION_DENIED, "user token"},
      {"make a link code with a user token",
       [&] {
         auto context = Context("alice", Role::kUser);
         return client_->coaches().CreateLinkCode(context.get(), {}, &made);
       },
       grpc::StatusCode::PERMISSION_DENIED, "is for coaches (a coach token"},
      {"unlink a client with a user token",
       [&] {
         coach::v1::UnlinkClientRequest request;
         request.set_person_id("alice");
         coach::v1::UnlinkClientResponse out;
         auto context = Context("alice", Role::kUser);
         return client_->coaches().UnlinkClient(context.get(), request, &out);
       },
       grpc::StatusCode::PERMISSION_DENIED, "is for coaches (a coach token"},
      {"unlink a client without person_id",
       [&] { return client_->UnlinkClient(kCoach, ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "person_id"},
      {"cue without session_id", [&] { return Cue(kCoach, "", "hi"); },
       grpc::StatusCode::INVALID_ARGUMENT, "session_id"},
      {"cue without text", [&] { return Cue(kCoach, id, ""); },
       grpc::StatusCode::INVALID_ARGUMENT, "text"},
      {"cue of only blanks", [&] { return Cue(kCoach, id, "   "); },
       grpc::StatusCode::INVALID_ARGUMENT, "text"},
      {"cue with a line break", [&] { return Cue(kCoach, id, "a\nb"); },
       grpc::StatusCode::INVALID_ARGUMENT, "text"},
      {"cue into an unknown session",
       [&] { return Cue(kCoach, "no-such-session", "hi"); },
       grpc::StatusCode::NOT_FOUND, "no-such-session"},
      {"cue with a user token",
       [&] { return Cue("alice", id, "hi", nullptr, Role::kUser); },
       grpc::StatusCode::PERMISSION_DENIED, "is for coaches (a coach token"},
      {"summary without session_id",
       [&] { return Summary(kCoach, Role::kCoach, "", &summary); },
       grpc::StatusCode::INVALID_ARGUMENT, "session_id"},
      {"summary of an unknown session",
       [&] { return Summary(kCoach, Role::kCoach, "nope", &summary); },
       grpc::StatusCode::NOT_FOUND, "nope"},
      {"list clients with a user token",
       [&] { return ListClients("alice", Role::kUser, &list); },
       grpc::StatusCode::PERMISSION_DENIED, "is for coaches (a coach token"},
      {"watch with a device token",
       [&] { return Watch("alice", nullptr, Role::kDevice).Drain(); },
       grpc::StatusCode::PERMISSION_DENIED, "is for coaches (a coach token"},
      {"watch resume without epoch",
       [&] { return watch(From("", 3), Role::kCoach); },
       grpc::StatusCode::INVALID_ARGUMENT, "resume.epoch"},
      {"watch resume with a negative sequence",
       [&] { return watch(From("e", -1), Role::kCoach); },
       grpc::StatusCode::INVALID_ARGUMENT, "resume.last_sequence"},
      {"no token at all",
       [&] {
         grpc::ClientContext context;
         coach::v1::ListClientsResponse out;
         return client_->coaches().ListClients(&context, {}, &out);
       },
       grpc::StatusCode::UNAUTHENTICATED, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), c.want) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.mentions));
  }
  // None of it reached the session, and the refused links used no code.
  EXPECT_EQ(Get("alice", id).last_sequence(), view.last_sequence());
  coach::v1::LinkCoachRequest request;
  request.set_code(live.code());
  EXPECT_TRUE(client_->LinkCoach("alice", request).ok());
}

TEST_F(CoachGrpcTest, ALinkNeedsTheCoachsCodeWhichWorksOnceAndExpires) {
  coach::v1::CreateLinkCodeResponse code;
  ASSERT_TRUE(client_->CreateLinkCode(kCoach, &code).ok());
  EXPECT_THAT(code.code(), ::testing::MatchesRegex("[A-Z0-9]{3}-[A-Z0-9]{4}"));
  EXPECT_EQ(code.expires_in_seconds(), 24 * 3600);

  // Typed in lower case, without the dash: alice links the coach.
  std::string typed = absl::AsciiStrToLower(code.code());
  typed.erase(3, 1);
  coach::v1::LinkCoachRequest request;
  request.set_code(typed);
  coach::v1::LinkCoachResponse linked;
  ASSERT_TRUE(client_->LinkCoach("alice", request, &linked).ok());
  EXPECT_TRUE(linked.changed());
  ASSERT_EQ(linked.coaches_size(), 1);
  EXPECT_EQ(linked.coaches(0).coach_id(), kCoach);

  // The code worked once: carol cannot use it.
  grpc::Status again = client_->LinkCoach("carol", request);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND)
      << again.error_message();
  coach::v1::ListClientsResponse list;
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &list).ok());
  ASSERT_EQ(list.clients_size(), 1);
  EXPECT_EQ(list.clients(0).person_id(), "alice");

  // A code works for 24 hours, not a second more.
  coach::v1::CreateLinkCodeResponse late;
  ASSERT_TRUE(client_->CreateLinkCode(kCoach, &late).ok());
  coach::v1::CreateLinkCodeResponse in_time;
  ASSERT_TRUE(client_->CreateLinkCode(kCoach, &in_time).ok());
  clock_.Advance(absl::Hours(24) - absl::Seconds(1));
  request.set_code(in_time.code());
  EXPECT_TRUE(client_->LinkCoach("dave", request).ok());
  clock_.Advance(absl::Seconds(1));
  request.set_code(late.code());
  grpc::Status expired = client_->LinkCoach("carol", request);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::NOT_FOUND)
      << expired.error_message();
  ASSERT_TRUE(ListClients(kCoach, Role::kCoach, &list).ok());
  ASSERT_EQ(list.clients_size(), 2);
  EXPECT_EQ(list.clients(1).person_id(), "dave");
}

TEST_F(CoachGrpcTest, TheCoachEndsALinkAndTheirStreamsOfItEndAtOnce) {
  ASSERT_TRUE(Link("alice", kCoach).ok());
  coach::v1::SessionView alice = Start("alice");
  server_->board().Drain();
  Stream<LiveUpdate> board = Watch(kCoach);
  ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT));
  Stream<SessionEvent> follow = Subscribe(
      kCoach, Role::kCoach, alice.session_id(), coach::v1::DEVICE_KIND_COACH);
  SessionEvent first;
  ASSERT_TRUE(follow.reader->Read(&first));

  coach::v1::UnlinkClientResponse ended;
  ASSERT_TRUE(client_->UnlinkClient(kCoach, "alice", &ended).ok());
  EXPECT_TRUE(ended.changed());
  EXPECT_EQ(follow.Drain().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::vector<LiveUpdate> gone =
      ReadUntil(board, IsKind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED));
  EXPECT_EQ(gone.back().person_id(), "alice");

  // Alice has no coach now; ending it again changes nothing.
  coach::v1::LinkCoachResponse hers;
  ASSERT_TRUE(Link("alice", kCoach, /*unlink=*/true, &hers).ok());
  EXPECT_FALSE(hers.changed());
  EXPECT_EQ(hers.coaches_size(), 0);
  ASSERT_TRUE(client_->UnlinkClient(kCoach, "alice", &ended).ok());
  EXPECT_FALSE(ended.changed());
  coach::v1::SessionView view;
  EXPECT_EQ(GetAs(kCoach, Role::kCoach, alice.session_id(), &view).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace coachd
