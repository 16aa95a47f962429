#include "services/common/stream_registry.h"

#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(StreamRegistryTest, CloseAllClosesEveryRegisteredStreamOnce) {
  StreamRegistry registry;
  int a = 0, b = 0;
  StreamRegistration ra = registry.Register("Subscribe", [&] { ++a; });
  StreamRegistration rb = registry.Register("Subscribe", [&] { ++b; });
  EXPECT_EQ(registry.size(), 2);
  registry.CloseAll();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 1);
}

TEST(StreamRegistryTest, CountsOpenStreamsByKind) {
  StreamRegistry registry;
  StreamRegistration a = registry.Register("Subscribe", [] {});
  StreamRegistration b = registry.Register("Subscribe", [] {});
  StreamRegistration c = registry.Register("WatchLive", [] {});
  EXPECT_EQ(registry.SizeByKind(), (absl::flat_hash_map<std::string, int>{
                                       {"Subscribe", 2}, {"WatchLive", 1}}));
  c.Reset();
  EXPECT_EQ(registry.SizeByKind(),
            (absl::flat_hash_map<std::string, int>{{"Subscribe", 2}}));
}

TEST(StreamRegistryTest, ResetStreamsAreNotClosed) {
  StreamRegistry registry;
  int a = 0;
  StreamRegistration ra = registry.Register("Subscribe", [&] { ++a; });
  ra.Reset();
  EXPECT_EQ(registry.size(), 0);
  registry.CloseAll();
  EXPECT_EQ(a, 0);
}

TEST(StreamRegistryTest, StreamsOpenedAfterCloseAllAreClosedAtOnce) {
  StreamRegistry registry;
  registry.CloseAll();
  int a = 0;
  StreamRegistration ra = registry.Register("Subscribe", [&] { ++a; });
  EXPECT_EQ(a, 1);
  EXPECT_EQ(registry.size(), 0);
}

TEST(StreamRegistryTest, MovedRegistrationUnregistersOnce) {
  StreamRegistry registry;
  int a = 0;
  StreamRegistration moved;
  {
    StreamRegistration r = registry.Register("Subscribe", [&] { ++a; });
    moved = std::move(r);
  }
  EXPECT_EQ(registry.size(), 1);
  moved.Reset();
  EXPECT_EQ(registry.size(), 0);
}

}  // namespace
}  // namespace coachd
