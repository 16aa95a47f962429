// Streams live no longer than their token, over real gRPC: revoking a
// device ends its live Subscribe and WatchReminders within a second (in
// one coachd, and across two replicas sharing a real redis-server), and an
// access token expiring mid-stream ends it with UNAUTHENTICATED, after
// which a refresh and a resume lose and repeat nothing.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/redis/redis_url.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"
#include "tests/pairing/pairing_testing.h"

namespace coachd {
namespace {

using coach::v1::Credentials;
using coach::v1::SessionEvent;
using ::testing::HasSubstr;
using testing_pairing::PairOver;
using testing_pairing::RevokeOver;
using testing_pairing::With;

// The bound the issue sets: revocation reaches every stream within 1 s.
constexpr absl::Duration kRevocationBound = absl::Seconds(1);

// One coachd (or a replica) and its stubs.
struct Replica {
  std::unique_ptr<CoachServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions;
  std::unique_ptr<coach::v1::SchedulerService::Stub> scheduler;
  std::unique_ptr<coach::v1::AuthService::Stub> auth;
};

std::unique_ptr<Replica> StartReplica(ServerOptions options) {
  auto replica = std::make_unique<Replica>();
  absl::StatusOr<std::unique_ptr<CoachServer>> server =
      CoachServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  replica->server = *std::move(server);
  replica->channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", replica->server->port()),
                          grpc::InsecureChannelCredentials());
  replica->sessions = coach::v1::SessionService::NewStub(replica->channel);
  replica->scheduler = coach::v1::SchedulerService::NewStub(replica->channel);
  replica->auth = coach::v1::AuthService::NewStub(replica->channel);
  return replica;
}

// A stream and its context (which must outlive the reader).
template <typename T>
struct Stream {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<T>> reader;
};

Stream<SessionEvent> Subscribe(Replica& replica, const std::string& token,
                               const std::string& session_id,
                               const coach::v1::ResumePosition& from) {
  coach::v1::SubscribeRequest request;
  request.set_session_id(session_id);
  request.set_kind(coach::v1::DEVICE_KIND_VOICE);
  *request.mutable_resume() = from;
  Stream<SessionEvent> stream{With(token), nullptr};
  stream.reader = replica.sessions->Subscribe(stream.context.get(), request);
  return stream;
}

Stream<coach::v1::Reminder> WatchReminders(Replica& replica,
                                           const std::string& token) {
  coach::v1::WatchRemindersRequest request;
  request.set_kind(coach::v1::DEVICE_KIND_DISPLAY);
  Stream<coach::v1::Reminder> stream{With(token), nullptr};
  stream.reader =
      replica.scheduler->WatchReminders(stream.context.get(), request);
  return stream;
}

coach::v1::SessionView StartSession(Replica& replica,
                                    const std::string& token) {
  coach::v1::StartSessionRequest request;
  request.set_routine_id("demo");
  coach::v1::SessionView view;
  grpc::Status s =
      replica.sessions->StartSession(With(token).get(), request, &view);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return view;
}

// Reads `stream` to its end; returns its status and (in *events) what came.
template <typename T>
grpc::Status Drain(Stream<T>& stream, std::vector<T>* events = nullptr) {
  T item;
  while (stream.reader->Read(&item)) {
    if (events != nullptr) events->push_back(item);
  }
  return stream.reader->Finish();
}

// Waits until `replica` has `n` streams open for lifetimes (the server
// registers them when each call starts); a bound for a broken server.
bool AwaitStreams(Replica& replica, int n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (replica.server->lifetimes().size() != n) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Revokes `device` through `from`, then checks that `subscribe` and
// `reminders` (open elsewhere, maybe) end UNAUTHENTICATED within the bound.
void ExpectRevocationEnds(Replica& from, const std::string& device_id,
                          absl::Time now, Stream<SessionEvent>& subscribe,
                          Stream<coach::v1::Reminder>& reminders) {
  const absl::Time revoked = absl::Now();
  ASSERT_TRUE(RevokeOver(from.channel, "alice", device_id, now).ok());
  grpc::Status s1 = Drain(subscribe);
  grpc::Status s2 = Drain(reminders);
  const absl::Duration took = absl::Now() - revoked;
  EXPECT_EQ(s1.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s1.error_message(), HasSubstr("revoked"));
  EXPECT_EQ(s2.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s2.error_message(), HasSubstr("revoked"));
  EXPECT_LT(took, kRevocationBound);
}

// A device's live streams on `replica`: a session it started, followed
// from its first event (already read into `first`), and its reminders.
struct DeviceStreams {
  coach::v1::SessionView view;
  Stream<SessionEvent> subscribe;
  Stream<coach::v1::Reminder> reminders;
  SessionEvent first;
};

DeviceStreams OpenDeviceStreams(Replica& replica, const std::string& token) {
  DeviceStreams streams;
  streams.view = StartSession(replica, token);
  coach::v1::ResumePosition from;
  from.set_epoch(streams.view.epoch());
  streams.subscribe =
      Subscribe(replica, token, streams.view.session_id(), from);
  streams.reminders = WatchReminders(replica, token);
  EXPECT_TRUE(streams.subscribe.reader->Read(&streams.first));  // Delivering.
  EXPECT_TRUE(AwaitStreams(replica, 2));
  return streams;
}

class StreamLifetimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.pairing.access_lifetime = absl::Minutes(1);
    replica_ = StartReplica(std::move(options));
    ASSERT_NE(replica_, nullptr);
  }

  // Moves the clock `seconds` forward one second at a time, firing timers.
  void Play(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      clock_.Advance(absl::Seconds(1));
      replica_->server->RunDueTimersForTest();
    }
  }

  FakeClock clock_;
  std::unique_ptr<Replica> replica_;
};

TEST_F(StreamLifetimeTest,
       RevokingADeviceEndsItsSubscribeAndWatchRemindersWithinASecond) {
  Credentials device = PairOver(replica_->channel, "alice", clock_.Now());
  DeviceStreams streams = OpenDeviceStreams(*replica_, device.access_token());
  ExpectRevocationEnds(*replica_, device.device_id(), clock_.Now(),
                       streams.subscribe, streams.reminders);
  EXPECT_EQ(replica_->server->lifetimes().size(), 0);
}

TEST_F(StreamLifetimeTest,
       AnExpiringTokenEndsTheStreamAndARefreshResumesWithNothingLost) {
  Credentials device = PairOver(replica_->channel, "alice", clock_.Now());
  DeviceStreams streams = OpenDeviceStreams(*replica_, device.access_token());
  const coach::v1::SessionView& view = streams.view;
  Play(61);  // Events flow; the token expires at 60 s.
  std::vector<SessionEvent> before = {streams.first};
  grpc::Status ended = Drain(streams.subscribe, &before);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(ended.error_message(), HasSubstr("expired"));
  EXPECT_EQ(Drain(streams.reminders).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The device refreshes and resumes where it was.
  coach::v1::RefreshTokenRequest refresh;
  refresh.set_refresh_token(device.refresh_token());
  Credentials next;
  ASSERT_TRUE(
      replica_->auth->RefreshToken(With("").get(), refresh, &next).ok());
  Play(30);
  coach::v1::ResumePosition from;
  from.set_epoch(view.epoch());
  from.set_last_sequence(before.back().sequence());
  auto resumed =
      Subscribe(*replica_, next.access_token(), view.session_id(), from);
  coach::v1::GetSessionRequest get;
  get.set_session_id(view.session_id());
  coach::v1::SessionView now;
  ASSERT_TRUE(
      replica_->sessions->GetSession(With(next.access_token()).get(), get, &now)
          .ok());
  std::vector<SessionEvent> after;
  SessionEvent event;
  while (after.size() < static_cast<size_t>(now.last_sequence() -
                                            before.back().sequence()) &&
         resumed.reader->Read(&event)) {
    after.push_back(event);
  }
  // Every event from 1 to the last, each once.
  std::vector<SessionEvent> all = before;
  all.insert(all.end(), after.begin(), after.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(now.last_sequence()));
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_FALSE(all[i].has_snapshot()) << i;
    ASSERT_EQ(all[i].sequence(), static_cast<int64_t>(i + 1));
  }
  resumed.context->TryCancel();
}

// Two replicas sharing one redis-server for sessions, reminders and
// pairing: a device revoked through one has its streams on the other end.
class StreamLifetimeRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    a_ = StartReplica(Options());
    b_ = StartReplica(Options());
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  // Sessions, reminders and pairing in the Redis; timers stay local.
  ServerOptions Options() {
    ServerOptions options = LoopbackServerOptions(&clock_);
    MixedBackendOptions parts;
    parts.redis.client.address = *ParseRedisUrl(redis_->url());
    parts.sessions = true;
    parts.scheduler = true;
    parts.pairing = true;
    options.backend = std::make_unique<MixedBackend>(parts);
    return options;
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Replica> a_;
  std::unique_ptr<Replica> b_;
};

TEST_F(StreamLifetimeRedisTest,
       RevokingThroughOneReplicaEndsTheDevicesStreamsOnTheOtherWithinASecond) {
  // Paired through a, streaming from b.
  Credentials device = PairOver(a_->channel, "alice", clock_.Now());
  DeviceStreams streams = OpenDeviceStreams(*b_, device.access_token());
  ExpectRevocationEnds(*a_, device.device_id(), clock_.Now(), streams.subscribe,
                       streams.reminders);
  // And b refuses the token from now on.
  coach::v1::GetSessionRequest get;
  get.set_session_id(streams.view.session_id());
  coach::v1::SessionView unused;
  EXPECT_EQ(
      b_->sessions->GetSession(With(device.access_token()).get(), get, &unused)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace coachd
