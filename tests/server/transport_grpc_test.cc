// What reaches coachd before any handler: a request body that does not
// parse gets INVALID_ARGUMENT naming the method (and a log line), and a
// request above max_request_bytes gets RESOURCE_EXHAUSTED from gRPC before
// any of our code parses it. Real gRPC on loopback.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

class TransportGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = CoachServer::Start(LoopbackServerOptions(&clock_));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  // Calls `method` with `body` as the raw request bytes.
  grpc::Status RawCall(const std::string& method, const std::string& body) {
    grpc::GenericStub stub(channel_);
    auto context = TokenContext("alice", Role::kUser, clock_.Now());
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request,
                   &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    return done.get_future().get();
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(TransportGrpcTest,
       ABodyThatDoesNotParseIsInvalidArgumentNamingTheMethod) {
  // A field number 0 and a truncated varint: never a valid message.
  struct Case {
    const char* method;
    const char* message;
  } cases[] = {
      {"/coach.v1.SessionService/StartSession",
       "request: is not a serialized coach.v1.StartSessionRequest "
       "(/coach.v1.SessionService/StartSession)"},
      {"/coach.v1.SchedulerService/LogWorkout",
       "request: is not a serialized coach.v1.LogWorkoutRequest "
       "(/coach.v1.SchedulerService/LogWorkout)"},
      {"/coach.v1.CoachService/WatchMySessions",
       "request: is not a serialized coach.v1.WatchMySessionsRequest"},
      {"/coach.v1.SessionService/Subscribe",
       "request: is not a serialized coach.v1.SubscribeRequest"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method);
    const grpc::Status status =
        RawCall(c.method, std::string("\x00\xff\xff", 3));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
  }
  // A method that does not exist is still UNIMPLEMENTED.
  EXPECT_EQ(RawCall("/coach.v1.SessionService/NoSuchMethod", "").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // A body that parses still reaches the handler.
  coach::v1::StartSessionRequest good;
  good.set_routine_id("demo");
  EXPECT_TRUE(
      RawCall("/coach.v1.SessionService/StartSession", good.SerializeAsString())
          .ok());
}

TEST_F(TransportGrpcTest, ARequestAboveTheSizeLimitIsResourceExhausted) {
  coach::v1::StartSessionRequest big;
  big.set_routine_id(std::string(64 * 1024, 'x'));
  auto stub = coach::v1::SessionService::NewStub(channel_);
  coach::v1::SessionView view;
  const grpc::Status status = stub->StartSession(
      TokenContext("alice", Role::kUser, clock_.Now()).get(), big, &view);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("larger than max"));
  // Just under the limit it is ours to answer: the id is too long.
  big.set_routine_id(std::string(60 * 1024, 'x'));
  const grpc::Status ours = stub->StartSession(
      TokenContext("alice", Role::kUser, clock_.Now()).get(), big, &view);
  EXPECT_EQ(ours.error_code(), grpc::StatusCode::NOT_FOUND)
      << ours.error_message();
  EXPECT_LE(ours.error_message().size(), 1100u);
}

}  // namespace
}  // namespace coachd
