// SessionService over real gRPC channels on loopback, with a FakeClock
// driving the session timers: fan-out, resume, snapshots, slow devices,
// access and bad input.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/backend/memory_backend.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace {

using coach::v1::SessionEvent;
using ::testing::HasSubstr;

class SessionGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}, /*window=*/512, /*queue=*/256); }

  void StartServer(MemorySessionStoreOptions memory, int window,
                   int max_queue) {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.backend = std::make_unique<MemoryBackend>(memory);
    options.hub.window = window;
    options.max_stream_queue = max_queue;
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = coach::v1::SessionService::NewStub(channel_);
  }

  std::string Token(const std::string& sub, Role role = Role::kDevice) {
    return MintToken(kTestSecret, Identity{sub, role}, clock_.Now(),
                     clock_.Now() + absl::Hours(1));
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& sub,
                                               Role role = Role::kDevice) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + Token(sub, role));
    return context;
  }

  coach::v1::SessionView Start(const std::string& sub = "alice") {
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    auto context = Context(sub);
    grpc::Status s = stub_->StartSession(context.get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  coach::v1::SessionView Get(const std::string& id) {
    coach::v1::GetSessionRequest request;
    request.set_session_id(id);
    coach::v1::SessionView view;
    auto context = Context("alice");
    grpc::Status s = stub_->GetSession(context.get(), request, &view);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return view;
  }

  grpc::Status Command(const std::string& id, coach::v1::CommandType type,
                       const std::string& command_id,
                       coach::v1::SendCommandResponse* response = nullptr) {
    coach::v1::SendCommandRequest request;
    request.set_session_id(id);
    request.set_command(type);
    request.set_command_id(command_id);
    coach::v1::SendCommandResponse unused;
    auto context = Context("alice");
    return stub_->SendCommand(context.get(), request,
                              response != nullptr ? response : &unused);
  }

  // A subscription and its context (which must outlive the reader).
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<SessionEvent>> reader;
  };

  Stream Subscribe(const std::string& id, coach::v1::DeviceKind kind,
                   const coach::v1::ResumePosition* resume = nullptr,
                   coach::v1::SessionService::Stub* stub = nullptr) {
    coach::v1::SubscribeRequest request;
    request.set_session_id(id);
    request.set_kind(kind);
    if (resume != nullptr) *request.mutable_resume() = *resume;
    Stream stream;
    stream.context = Context("alice");
    stream.reader = (stub != nullptr ? stub : stub_.get())
                        ->Subscribe(stream.context.get(), request);
    return stream;
  }

  // Reads events until one with `sequence` (inclusive).
  static std::vector<SessionEvent> ReadThrough(Stream& stream,
                                               int64_t sequence) {
    std::vector<SessionEvent> events;
    SessionEvent event;
    while (stream.reader->Read(&event)) {
      events.push_back(event);
      if (!event.has_snapshot() && event.sequence() >= sequence) break;
      if (event.has_snapshot() && event.sequence() >= sequence) break;
    }
    return events;
  }

  // Moves the clock `seconds` forward one second at a time, firing timers.
  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      server_->RunDueTimersForTest();
    }
  }

  static void ExpectContiguous(const std::vector<SessionEvent>& events,
                               int64_t first) {
    int64_t want = first;
    for (const SessionEvent& e : events) {
      ASSERT_FALSE(e.has_snapshot());
      ASSERT_EQ(e.sequence(), want);
      ++want;
    }
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> stub_;
};

coach::v1::ResumePosition From(const std::string& epoch, int64_t last) {
  coach::v1::ResumePosition p;
  p.set_epoch(epoch);
  p.set_last_sequence(last);
  return p;
}

TEST_F(SessionGrpcTest, TwoSubscribersSeeTheSameContiguousSequence) {
  coach::v1::SessionView view = Start();
  coach::v1::ResumePosition start = From(view.epoch(), 0);
  Stream speaker =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_VOICE, &start);
  Stream display =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &start);
  Play(400);
  const int64_t last = Get(view.session_id()).last_sequence();
  ASSERT_GT(last, view.last_sequence());
  std::vector<SessionEvent> a = ReadThrough(speaker, last);
  std::vector<SessionEvent> b = ReadThrough(display, last);
  ExpectContiguous(a, 1);
  ExpectContiguous(b, 1);
  ASSERT_EQ(a.size(), static_cast<size_t>(last));
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].SerializeAsString(), b[i].SerializeAsString()) << i;
  }
  EXPECT_TRUE(a.front().has_session_started());
  EXPECT_FALSE(a[1].speech().text().empty());
  EXPECT_FALSE(a[1].card().title().empty());
}

TEST_F(SessionGrpcTest, WholeSessionStreamsToTheEndAndFinishesTheStream) {
  coach::v1::SessionView view = Start();
  coach::v1::ResumePosition start = From(view.epoch(), 0);
  Stream speaker =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_VOICE, &start);
  Play(view.routine().estimated_seconds() + 5);
  coach::v1::SessionView done = Get(view.session_id());
  EXPECT_EQ(done.status().run_state(), coach::v1::RUN_STATE_FINISHED);
  std::vector<SessionEvent> events;
  SessionEvent e;
  while (speaker.reader->Read(&e)) events.push_back(e);
  EXPECT_TRUE(speaker.reader->Finish().ok());
  ExpectContiguous(events, 1);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().has_session_done());
  EXPECT_TRUE(events.back().session_done().summary().completed());
}

TEST_F(SessionGrpcTest,
       SubscriberCutOffMidSessionResumesWithNothingLostOrRepeated) {
  coach::v1::SessionView view = Start();
  coach::v1::ResumePosition start = From(view.epoch(), 0);
  Stream first =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &start);
  Play(360);
  const int64_t mid = Get(view.session_id()).last_sequence();
  std::vector<SessionEvent> before = ReadThrough(first, mid);
  ExpectContiguous(before, 1);
  // The device vanishes mid-stream; the session goes on without it.
  first.context->TryCancel();
  SessionEvent drain;
  while (first.reader->Read(&drain)) {
  }
  EXPECT_EQ(first.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  Play(120);
  const int64_t later = Get(view.session_id()).last_sequence();
  ASSERT_GT(later, mid);

  coach::v1::ResumePosition where = From(view.epoch(), mid);
  Stream again =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &where);
  std::vector<SessionEvent> after = ReadThrough(again, later);
  ExpectContiguous(after, mid + 1);
  EXPECT_EQ(after.back().sequence(), later);
}

TEST_F(SessionGrpcTest, StaleEpochGetsNotRecoveredSnapshotThenLiveEvents) {
  coach::v1::SessionView view = Start();
  Play(30);
  coach::v1::ResumePosition stale = From("not-the-epoch", 3);
  Stream s = Subscribe(view.session_id(), coach::v1::DEVICE_KIND_VOICE, &stale);
  const int64_t now = Get(view.session_id()).last_sequence();
  SessionEvent snapshot;
  ASSERT_TRUE(s.reader->Read(&snapshot));
  ASSERT_TRUE(snapshot.has_snapshot());
  EXPECT_FALSE(snapshot.snapshot().recovered());
  EXPECT_THAT(snapshot.snapshot().reason(), HasSubstr("epoch"));
  EXPECT_EQ(snapshot.sequence(), now);
  EXPECT_EQ(snapshot.epoch(), view.epoch());
  EXPECT_EQ(snapshot.snapshot().session().routine().items_size(),
            view.routine().items_size());
  Play(400);
  const int64_t later = Get(view.session_id()).last_sequence();
  ASSERT_GT(later, now);
  std::vector<SessionEvent> live = ReadThrough(s, later);
  ExpectContiguous(live, now + 1);
}

TEST_F(SessionGrpcTest, TrimmedHistoryGetsNotRecoveredSnapshot) {
  server_.reset();
  StartServer(MemorySessionStoreOptions{/*max_history=*/10}, /*window=*/4,
              /*queue=*/256);
  coach::v1::SessionView view = Start();
  Play(400);
  const int64_t now = Get(view.session_id()).last_sequence();
  ASSERT_GT(now, 20);
  coach::v1::ResumePosition old = From(view.epoch(), 2);
  Stream s = Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &old);
  SessionEvent snapshot;
  ASSERT_TRUE(s.reader->Read(&snapshot));
  ASSERT_TRUE(snapshot.has_snapshot());
  EXPECT_FALSE(snapshot.snapshot().recovered());
  EXPECT_THAT(snapshot.snapshot().reason(), HasSubstr("history"));
  EXPECT_EQ(snapshot.sequence(), now);

  // A position inside the kept history (but outside the hub's window) is
  // still resumed event by event from the store.
  coach::v1::ResumePosition recent = From(view.epoch(), now - 8);
  Stream r =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &recent);
  std::vector<SessionEvent> events = ReadThrough(r, now);
  ExpectContiguous(events, now - 7);
}

TEST_F(SessionGrpcTest, JoiningWithoutPositionStartsWithSnapshot) {
  coach::v1::SessionView view = Start();
  Play(10);
  Stream s = Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY);
  SessionEvent snapshot;
  ASSERT_TRUE(s.reader->Read(&snapshot));
  ASSERT_TRUE(snapshot.has_snapshot());
  EXPECT_TRUE(snapshot.snapshot().recovered());
  EXPECT_FALSE(snapshot.card().title().empty());
}

TEST_F(SessionGrpcTest, StalledSubscriberDoesNotDelayAnotherAndIsCaughtUp) {
  server_.reset();
  StartServer({}, /*window=*/512, /*queue=*/64);
  coach::v1::SessionView view = Start();
  // A device on its own connection with tiny flow-control windows that
  // never reads: the server's writes to it stall.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt("grpc.testing.fixed_reconnect_backoff_ms", 100);
  auto slow_channel =
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                grpc::InsecureChannelCredentials(), args);
  auto slow_stub = coach::v1::SessionService::NewStub(slow_channel);
  coach::v1::ResumePosition start = From(view.epoch(), 0);
  Stream stalled = Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY,
                             &start, slow_stub.get());
  Stream healthy =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_VOICE, &start);
  // The healthy device keeps up, like a real speaker: it reads every event
  // of each second before the clock moves on.
  std::vector<SessionEvent> all;
  int64_t last = 0;
  for (int second = 0; second < 500; ++second) {
    Play(1);
    last = server_->store().Load(view.session_id())->last_sequence();
    if (all.empty() || all.back().sequence() < last) {
      for (SessionEvent& e : ReadThrough(healthy, last)) all.push_back(e);
    }
  }
  ASSERT_GT(last, 100);
  // It got every event, in order, while the other device was stuck.
  ExpectContiguous(all, 1);
  ASSERT_EQ(all.back().sequence(), last);

  // When the stalled device reads again, it is told it fell behind and gets
  // a snapshot instead of an unbounded backlog, then contiguous events.
  std::vector<SessionEvent> caught_up;
  SessionEvent e;
  int64_t expected_next = 1;
  bool saw_snapshot = false;
  while (stalled.reader->Read(&e)) {
    if (e.has_snapshot()) {
      EXPECT_FALSE(e.snapshot().recovered());
      EXPECT_THAT(e.snapshot().reason(), HasSubstr("behind"));
      saw_snapshot = true;
      expected_next = e.sequence() + 1;
    } else {
      ASSERT_EQ(e.sequence(), expected_next);
      ++expected_next;
    }
    if (e.sequence() >= last) break;
  }
  EXPECT_TRUE(saw_snapshot);
  EXPECT_EQ(expected_next, last + 1);
}

TEST_F(SessionGrpcTest, OtherPeopleAndCoachesAreDenied) {
  coach::v1::SessionView view = Start("alice");
  {
    coach::v1::GetSessionRequest request;
    request.set_session_id(view.session_id());
    coach::v1::SessionView out;
    auto context = Context("bob");
    grpc::Status s = stub_->GetSession(context.get(), request, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    coach::v1::SendCommandRequest request;
    request.set_session_id(view.session_id());
    request.set_command(coach::v1::COMMAND_TYPE_PAUSE);
    request.set_command_id("c1");
    coach::v1::SendCommandResponse out;
    auto context = Context("bob", Role::kUser);
    EXPECT_EQ(stub_->SendCommand(context.get(), request, &out).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    coach::v1::SubscribeRequest request;
    request.set_session_id(view.session_id());
    request.set_kind(coach::v1::DEVICE_KIND_VOICE);
    auto context = Context("bob");
    auto reader = stub_->Subscribe(context.get(), request);
    SessionEvent e;
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    coach::v1::SubscribeRequest request;
    request.set_session_id(view.session_id());
    request.set_kind(coach::v1::DEVICE_KIND_COACH);
    auto context = Context("coach-carol", Role::kCoach);
    auto reader = stub_->Subscribe(context.get(), request);
    SessionEvent e;
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_EQ(reader->Finish().error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Nothing changed for alice.
  EXPECT_EQ(Get(view.session_id()).last_sequence(), view.last_sequence());
}

TEST_F(SessionGrpcTest, CommandsAreAppliedOnceAndForbiddenOnesNameTheState) {
  coach::v1::SessionView view = Start();
  coach::v1::SendCommandResponse first, second;
  ASSERT_TRUE(
      Command(view.session_id(), coach::v1::COMMAND_TYPE_PAUSE, "p1", &first)
          .ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(first.status().run_state(), coach::v1::RUN_STATE_PAUSED);
  ASSERT_TRUE(
      Command(view.session_id(), coach::v1::COMMAND_TYPE_PAUSE, "p1", &second)
          .ok());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.last_sequence(), first.last_sequence());

  grpc::Status again =
      Command(view.session_id(), coach::v1::COMMAND_TYPE_PAUSE, "p2");
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), HasSubstr("paused"));
  EXPECT_EQ(Get(view.session_id()).last_sequence(), first.last_sequence());

  ASSERT_TRUE(
      Command(view.session_id(), coach::v1::COMMAND_TYPE_RESUME, "r1").ok());
  grpc::Status resume =
      Command(view.session_id(), coach::v1::COMMAND_TYPE_RESUME, "r2");
  EXPECT_EQ(resume.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(resume.error_message(), HasSubstr("running"));
}

struct BadInput {
  std::string name;
  std::function<grpc::Status(SessionGrpcTest*, const std::string& session)>
      call;
  grpc::StatusCode code;
  std::string message;
};

TEST_F(SessionGrpcTest, BadInputGetsSpecificStatusNamingTheField) {
  coach::v1::SessionView view = Start();
  auto start = [this](coach::v1::StartSessionRequest request) {
    coach::v1::SessionView out;
    auto context = Context("alice");
    return stub_->StartSession(context.get(), request, &out);
  };
  auto command = [this](coach::v1::SendCommandRequest request) {
    coach::v1::SendCommandResponse out;
    auto context = Context("alice");
    return stub_->SendCommand(context.get(), request, &out);
  };
  auto subscribe = [this](coach::v1::SubscribeRequest request) {
    auto context = Context("alice");
    auto reader = stub_->Subscribe(context.get(), request);
    SessionEvent e;
    while (reader->Read(&e)) {
    }
    return reader->Finish();
  };
  auto valid_command = [&view] {
    coach::v1::SendCommandRequest r;
    r.set_session_id(view.session_id());
    r.set_command_id("x1");
    r.set_command(coach::v1::COMMAND_TYPE_PAUSE);
    return r;
  };
  std::vector<BadInput> cases = {
      {"start without routine",
       [&](SessionGrpcTest*, const std::string&) { return start({}); },
       grpc::StatusCode::INVALID_ARGUMENT, "routine_id or build"},
      {"unknown preset",
       [&](SessionGrpcTest*, const std::string&) {
         coach::v1::StartSessionRequest r;
         r.set_routine_id("no-such-routine");
         return start(r);
       },
       grpc::StatusCode::NOT_FOUND, "routine_id"},
      {"impossible build",
       [&](SessionGrpcTest*, const std::string&) {
         coach::v1::StartSessionRequest r;
         r.mutable_build()->set_minutes(3);
         return start(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "minutes"},
      {"command without session",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.clear_session_id();
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "session_id"},
      {"command without id",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.clear_command_id();
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "command_id"},
      {"command id too long",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.set_command_id(std::string(65, 'x'));
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "command_id"},
      {"command unspecified",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.set_command(coach::v1::COMMAND_TYPE_UNSPECIFIED);
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "command"},
      {"command unknown value",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.set_command(static_cast<coach::v1::CommandType>(99));
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "command: unknown value 99"},
      {"note too long",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.set_note(std::string(501, 'n'));
         return command(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "note"},
      {"command unknown session",
       [&](SessionGrpcTest*, const std::string&) {
         auto r = valid_command();
         r.set_session_id("nope");
         return command(r);
       },
       grpc::StatusCode::NOT_FOUND, "nope"},
      {"subscribe without session",
       [&](SessionGrpcTest*, const std::string&) {
         coach::v1::SubscribeRequest r;
         r.set_kind(coach::v1::DEVICE_KIND_VOICE);
         return subscribe(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "session_id"},
      {"subscribe without kind",
       [&](SessionGrpcTest*, const std::string& id) {
         coach::v1::SubscribeRequest r;
         r.set_session_id(id);
         return subscribe(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "kind"},
      {"subscribe resume without epoch",
       [&](SessionGrpcTest*, const std::string& id) {
         coach::v1::SubscribeRequest r;
         r.set_session_id(id);
         r.set_kind(coach::v1::DEVICE_KIND_VOICE);
         r.mutable_resume()->set_last_sequence(3);
         return subscribe(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "resume.epoch"},
      {"subscribe negative position",
       [&](SessionGrpcTest*, const std::string& id) {
         coach::v1::SubscribeRequest r;
         r.set_session_id(id);
         r.set_kind(coach::v1::DEVICE_KIND_VOICE);
         r.mutable_resume()->set_epoch("e");
         r.mutable_resume()->set_last_sequence(-1);
         return subscribe(r);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "resume.last_sequence"},
      {"subscribe unknown session",
       [&](SessionGrpcTest*, const std::string&) {
         coach::v1::SubscribeRequest r;
         r.set_session_id("nope");
         r.set_kind(coach::v1::DEVICE_KIND_VOICE);
         return subscribe(r);
       },
       grpc::StatusCode::NOT_FOUND, "nope"},
      {"subscribe with bytes that are not a SubscribeRequest",
       [&](SessionGrpcTest*, const std::string&) {
         // A raw call: a truncated varint cannot parse.
         const std::string junk = "\x0a\xff\xff";
         grpc::Slice slice(junk.data(), junk.size());
         grpc::ByteBuffer raw(&slice, 1);
         auto context = Context("alice");
         grpc::internal::RpcMethod method(
             "/coach.v1.SessionService/Subscribe",
             grpc::internal::RpcMethod::SERVER_STREAMING);
         std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
             grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
                 channel_.get(), method, context.get(), raw));
         grpc::ByteBuffer e;
         while (reader->Read(&e)) {
         }
         return reader->Finish();
       },
       grpc::StatusCode::INVALID_ARGUMENT, "request: is not a serialized"},
      {"get without session",
       [&](SessionGrpcTest*, const std::string&) {
         coach::v1::SessionView out;
         auto context = Context("alice");
         return stub_->GetSession(context.get(), {}, &out);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "session_id"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = c.call(this, view.session_id());
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
  // None of it changed the session.
  EXPECT_EQ(Get(view.session_id()).last_sequence(), view.last_sequence());
}

}  // namespace
}  // namespace coachd

namespace coachd {
namespace {

TEST_F(SessionGrpcTest, ShutdownEndsOpenStreamsWithUnavailableAtOnce) {
  coach::v1::SessionView view = Start();
  Stream s = Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY);
  SessionEvent snapshot;
  ASSERT_TRUE(s.reader->Read(&snapshot));  // Attached.
  // A grace far longer than the test's timeout: Shutdown only returns
  // because the stream is ended rather than waited for.
  server_->Shutdown(absl::Hours(1));
  SessionEvent e;
  while (s.reader->Read(&e)) {
  }
  grpc::Status status = s.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace coachd

namespace coachd {
namespace {

TEST_F(SessionGrpcTest, ReplayLongerThanTheQueueIsDeliveredWhole) {
  coach::v1::StartSessionRequest request;
  request.set_routine_id("strength-3-3-3");
  coach::v1::SessionView view;
  auto context = Context("alice");
  ASSERT_TRUE(stub_->StartSession(context.get(), request, &view).ok());
  Play(900);
  const int64_t last = Get(view.session_id()).last_sequence();
  ASSERT_GT(last, 256);  // More than max_stream_queue.
  coach::v1::ResumePosition start = From(view.epoch(), 0);
  Stream s =
      Subscribe(view.session_id(), coach::v1::DEVICE_KIND_DISPLAY, &start);
  std::vector<SessionEvent> events = ReadThrough(s, last);
  ExpectContiguous(events, 1);  // No "fell behind" snapshot: history held it.
  EXPECT_EQ(events.back().sequence(), last);
}

}  // namespace
}  // namespace coachd
