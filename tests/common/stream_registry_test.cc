#include "services/common/stream_registry.h"

#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(StreamRegistryTest, CloseAllClosesEveryRegisteredStreamOnce) {
  StreamRegistry registry;
  int a = 0, b = 0;
  StreamRegistration ra = registry.Register([&] { ++a; });
  StreamRegistration rb = registry.Register([&] { ++b; });
  EXPECT_EQ(registry.size(), 2);
  registry.CloseAll();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
}

TEST(StreamRegistryTest, ResetStreamsAreNotClosed) {
  StreamRegistry registry;
  int a = 0;
  StreamRegistration ra = registry.Register([&] { ++a; });
  ra.Reset();
  EXPECT_EQ(registry.size(), 0);
  registry.CloseAll();
  EXPECT_EQ(a, 0);
}

TEST(StreamRegistryTest, StreamsOpenedAfterCloseAllAreClosedAtOnce) {
  StreamRegistry registry;
  registry.CloseAll();
  int a = 0;
  StreamRegistration ra = registry.Register([&] { ++a; });
  EXPECT_EQ(a, 1);
  EXPECT_EQ(registry.size(), 0);
}

TEST(StreamRegistryTest, MovedRegistrationUnregistersOnce) {
  StreamRegistry registry;
  int a = 0;
  StreamRegistration moved;
  {
    StreamRegistration r = registry.Register([&] { ++a; });
    moved = std::move(r);
  }
  EXPECT_EQ(registry.size(), 1);
  moved.Reset();
  EXPECT_EQ(registry.size(), 0);
}

}  // namespace
}  // namespace coachd
