#include "clients/common/reconnect.h"

#include "gtest/gtest.h"

namespace coachd {
namespace {

ReconnectOptions NoWait(int max_retries) {
  return {max_retries, absl::ZeroDuration(), absl::ZeroDuration()};
}

TEST(ReconnectTest, StatusesThatAskingAgainCannotFixEndTheLoop) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::PERMISSION_DENIED,
        grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::INVALID_ARGUMENT,
        grpc::StatusCode::FAILED_PRECONDITION}) {
    SCOPED_TRACE(code);
    Reconnect reconnect(NoWait(5));
    absl::Status s = reconnect.AfterStreamEnded(grpc::Status(code, "why"));
    EXPECT_EQ(static_cast<int>(s.code()), static_cast<int>(code));
    EXPECT_EQ(s.message(), "why");
    EXPECT_EQ(reconnect.reconnects(), 0);
  }
}

TEST(ReconnectTest, TransientFailuresReopenUntilTooManyInARow) {
  Reconnect reconnect(NoWait(2));
  const grpc::Status down(grpc::StatusCode::UNAVAILABLE, "restarting");
  EXPECT_TRUE(reconnect.AfterStreamEnded(down).ok());
  EXPECT_TRUE(reconnect.AfterStreamEnded(down).ok());
  absl::Status gave_up = reconnect.AfterStreamEnded(down);
  EXPECT_EQ(gave_up.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(gave_up.message(), "gave up reconnecting: restarting");
  EXPECT_EQ(reconnect.reconnects(), 2);
}

TEST(ReconnectTest, AnEventInBetweenStartsTheCountAfresh) {
  Reconnect reconnect(NoWait(1));
  const grpc::Status down(grpc::StatusCode::UNAVAILABLE, "restarting");
  EXPECT_TRUE(reconnect.AfterStreamEnded(down).ok());
  reconnect.Reset();
  EXPECT_TRUE(reconnect.AfterStreamEnded(down).ok());
  EXPECT_FALSE(reconnect.AfterStreamEnded(down).ok());
}

}  // namespace
}  // namespace coachd
