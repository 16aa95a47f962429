// coachd on a Redis that goes away: RPCs fail with UNAVAILABLE naming Redis,
// health turns NOT_SERVING, and both recover when Redis is back, without a
// restart of coachd.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/redis/redis_url.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/mixed_backend.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class RedisHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    MixedBackendOptions backend;
    backend.redis.client.address = *ParseRedisUrl(redis_->url());
    backend.redis.client.min_backoff = absl::Milliseconds(10);
    backend.redis.client.max_backoff = absl::Milliseconds(100);
    backend.sessions = true;
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.backend = std::make_unique<MixedBackend>(backend);
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    sessions_ = coach::v1::SessionService::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  grpc::Status StartSession() {
    grpc::ClientContext context;
    context.AddMetadata(
        "authorization",
        "Bearer " + MintToken(kTestSecret, Identity{"alice", Role::kUser},
                              clock_.Now(), clock_.Now() + absl::Hours(1)));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    coach::v1::StartSessionRequest request;
    request.set_routine_id("demo");
    coach::v1::SessionView view;
    return sessions_->StartSession(&context, request, &view);
  }

  // Watches health until it reports `want`; false if the stream ends first
  // (its deadline bounds a broken watcher, it is not a timing check).
  bool WaitForHealth(HealthCheckResponse::ServingStatus want) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    HealthCheckRequest request;
    auto stream = health_->Watch(&context, request);
    HealthCheckResponse response;
    while (stream->Read(&response)) {
      if (response.status() == want) {
        context.TryCancel();
        return true;
      }
    }
    return false;
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::SessionService::Stub> sessions_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(RedisHealthTest, NotServingAndUnavailableWhileRedisIsDownThenRecovers) {
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  grpc::Status up = StartSession();
  ASSERT_TRUE(up.ok()) << up.error_message();

  ASSERT_TRUE(redis_->Stop().ok());
  grpc::Status down = StartSession();
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(down.error_message(),
              HasSubstr(absl::StrCat("redis at 127.0.0.1:", redis_->port(),
                                     " unreachable")));
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));

  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  grpc::Status again = StartSession();
  EXPECT_TRUE(again.ok()) << again.error_message();
}

}  // namespace
}  // namespace coachd
