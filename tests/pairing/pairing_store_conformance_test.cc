// One suite, two stores: everything PairingStore documents, checked against
// the embedded MemoryPairingStore and against RedisPairingStore on a real
// redis-server. Times come from the test (a fixed start), never a clock.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/pairing/memory_pairing_store.h"
#include "services/pairing/redis_pairing_store.h"
#include "services/redis/redis_connection.h"
#include "services/redis/redis_url.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/common/shared_redis.h"

namespace coachd {
namespace {

using coach::internal::DeviceRecord;
using coach::internal::PairingRecord;
using coach::internal::RefreshRecord;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1767596400);

struct MemoryFactory {
  static std::unique_ptr<PairingStore> Make() {
    return std::make_unique<MemoryPairingStore>();
  }
};

::testing::Environment* const shared_redis =
    ::testing::AddGlobalTestEnvironment(new SharedRedis);

struct RedisFactory {
  static std::unique_ptr<PairingStore> Make() {
    RedisServer* server = SharedRedis::Get();
    if (server == nullptr) return nullptr;
    absl::StatusOr<RedisAddress> address = ParseRedisUrl(server->url());
    if (!address.ok()) return nullptr;
    RedisConnection admin(RedisConnectionOptions{*address});
    if (!admin.Command({"FLUSHALL"}).ok()) return nullptr;
    RedisClientOptions client;
    client.address = *address;
    return std::make_unique<WithOwnClient<RedisPairingStore>>(
        client, RedisPairingStoreOptions{});
  }
};

PairingRecord Pending(const std::string& code, absl::Time now) {
  PairingRecord record;
  record.set_user_code(code);
  record.set_device_code_hash("hash-of-" + code);
  record.set_created_us(absl::ToUnixMicros(now));
  record.set_expires_us(absl::ToUnixMicros(now + absl::Minutes(10)));
  record.set_interval_us(5000000);
  return record;
}

DeviceRecord Device(const std::string& subject, const std::string& id,
                    absl::Time paired) {
  DeviceRecord device;
  device.set_device_id(id);
  device.set_subject(subject);
  device.set_role("device");
  device.set_name("speaker " + id);
  device.set_kind(1);
  device.set_paired_us(absl::ToUnixMicros(paired));
  return device;
}

RefreshRecord Token(const std::string& device_id, const std::string& hash,
                    absl::Time now) {
  RefreshRecord token;
  token.set_token_hash(hash);
  token.set_device_id(device_id);
  token.set_subject("alice");
  token.set_issued_us(absl::ToUnixMicros(now));
  token.set_expires_us(absl::ToUnixMicros(now + absl::Hours(24)));
  return token;
}

std::vector<std::string> Ids(const std::vector<DeviceRecord>& devices) {
  std::vector<std::string> ids;
  for (const DeviceRecord& d : devices) ids.push_back(d.device_id());
  return ids;
}

template <typename Factory>
class PairingStoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::Make();
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<PairingStore> store_;
};

struct Names {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryFactory> ? "Memory" : "Redis";
  }
};
using Factories = ::testing::Types<MemoryFactory, RedisFactory>;
TYPED_TEST_SUITE(PairingStoreConformanceTest, Factories, Names);

TYPED_TEST(PairingStoreConformanceTest, APairingIsFoundByItsCodeWithVersion1) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePairing(Pending("KQ74PMX", kStart), kStart).ok());
  absl::StatusOr<PairingRecord> got = store.GetPairing("KQ74PMX", kStart);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->device_code_hash(), "hash-of-KQ74PMX");
  EXPECT_EQ(got->version(), 1);
  EXPECT_TRUE(absl::IsNotFound(store.GetPairing("CDFGHJK", kStart).status()));
}

TYPED_TEST(PairingStoreConformanceTest, AKeptCodeCannotBeCreatedTwice) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePairing(Pending("KQ74PMX", kStart), kStart).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      store.CreatePairing(Pending("KQ74PMX", kStart), kStart)));
}

TYPED_TEST(PairingStoreConformanceTest,
           APairingIsKeptTenMinutesPastItsExpiryThenForgotten) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePairing(Pending("KQ74PMX", kStart), kStart).ok());
  const absl::Time expiry = kStart + absl::Minutes(10);
  EXPECT_TRUE(store
                  .GetPairing("KQ74PMX", expiry + PairingStore::kKeepExpired -
                                             absl::Seconds(1))
                  .ok());
  const absl::Time gone = expiry + PairingStore::kKeepExpired;
  EXPECT_TRUE(absl::IsNotFound(store.GetPairing("KQ74PMX", gone).status()));
  // Forgotten codes can be drawn again.
  EXPECT_TRUE(store.CreatePairing(Pending("KQ74PMX", gone), gone).ok());
}

TYPED_TEST(PairingStoreConformanceTest, UpdateIsACompareAndSetOnTheVersion) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.CreatePairing(Pending("KQ74PMX", kStart), kStart).ok());
  PairingRecord first = *store.GetPairing("KQ74PMX", kStart);
  PairingRecord second = first;
  first.set_state(PairingRecord::APPROVED);
  ASSERT_TRUE(store.UpdatePairing(&first, kStart).ok());
  EXPECT_EQ(first.version(), 2);
  second.set_state(PairingRecord::DENIED);
  EXPECT_TRUE(absl::IsAborted(store.UpdatePairing(&second, kStart)));
  EXPECT_EQ(store.GetPairing("KQ74PMX", kStart)->state(),
            PairingRecord::APPROVED);
  PairingRecord unknown = Pending("CDFGHJK", kStart);
  EXPECT_TRUE(absl::IsNotFound(store.UpdatePairing(&unknown, kStart)));
}

TYPED_TEST(PairingStoreConformanceTest, DevicesAreListedPerOwnerOldestFirst) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.PutDevice(Device("alice", "dev-b", kStart)).ok());
  ASSERT_TRUE(
      store.PutDevice(Device("alice", "dev-a", kStart + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(store.PutDevice(Device("bob", "dev-c", kStart)).ok());
  EXPECT_THAT(Ids(*store.ListDevices("alice")), ElementsAre("dev-b", "dev-a"));
  EXPECT_THAT(Ids(*store.ListDevices("bob")), ElementsAre("dev-c"));
  EXPECT_THAT(*store.ListDevices("carol"), IsEmpty());
  EXPECT_TRUE(absl::IsNotFound(store.GetDevice("bob", "dev-a").status()));
  EXPECT_EQ(store.GetDevice("alice", "dev-a")->name(), "speaker dev-a");
}

TYPED_TEST(PairingStoreConformanceTest, TouchSetsLastSeenOfExistingDevices) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.PutDevice(Device("alice", "dev-a", kStart)).ok());
  const absl::Time seen = kStart + absl::Minutes(15);
  ASSERT_TRUE(store.TouchDevice("alice", "dev-a", seen).ok());
  EXPECT_EQ(store.GetDevice("alice", "dev-a")->last_seen_us(),
            absl::ToUnixMicros(seen));
  EXPECT_TRUE(absl::IsNotFound(store.TouchDevice("alice", "dev-x", seen)));
  EXPECT_TRUE(absl::IsNotFound(store.GetDevice("alice", "dev-x").status()));
}

TYPED_TEST(PairingStoreConformanceTest,
           RotationSpendsATokenOnceAndRecognizesItsReplay) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.PutDevice(Device("alice", "dev-a", kStart)).ok());
  ASSERT_TRUE(store.AddRefreshToken(Token("dev-a", "h1", kStart), kStart).ok());
  absl::StatusOr<Rotation> first = store.RotateRefreshToken(
      "dev-a", "h1", Token("dev-a", "h2", kStart), kStart);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->used.token_hash(), "h1");
  EXPECT_EQ(first->used.subject(), "alice");
  absl::StatusOr<Rotation> replay = store.RotateRefreshToken(
      "dev-a", "h1", Token("dev-a", "h3", kStart), kStart);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->replayed);
  // The replay stored nothing: h3 is unknown, h2 still works.
  EXPECT_TRUE(absl::IsNotFound(
      store
          .RotateRefreshToken("dev-a", "h3", Token("dev-a", "h4", kStart),
                              kStart)
          .status()));
  absl::StatusOr<Rotation> second = store.RotateRefreshToken(
      "dev-a", "h2", Token("dev-a", "h4", kStart), kStart);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->replayed);
}

TYPED_TEST(PairingStoreConformanceTest, AnExpiredTokenIsUnknown) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.AddRefreshToken(Token("dev-a", "h1", kStart), kStart).ok());
  const absl::Time later = kStart + absl::Hours(24);
  EXPECT_TRUE(absl::IsNotFound(
      store
          .RotateRefreshToken("dev-a", "h1", Token("dev-a", "h2", later), later)
          .status()));
  EXPECT_TRUE(absl::IsNotFound(
      store
          .RotateRefreshToken("dev-b", "h1", Token("dev-b", "h2", kStart),
                              kStart)
          .status()));
}

TYPED_TEST(PairingStoreConformanceTest,
           RevokingADeviceRemovesItAndItsTokensAndIsSeenByRevokedSince) {
  PairingStore& store = *this->store_;
  ASSERT_TRUE(store.PutDevice(Device("alice", "dev-a", kStart)).ok());
  ASSERT_TRUE(store.AddRefreshToken(Token("dev-a", "h1", kStart), kStart).ok());
  const absl::Time at = kStart + absl::Minutes(1);
  EXPECT_FALSE(*store.RevokeDevice("bob", "dev-a", at));
  EXPECT_TRUE(*store.RevokeDevice("alice", "dev-a", at));
  EXPECT_FALSE(*store.RevokeDevice("alice", "dev-a", at));
  EXPECT_THAT(*store.ListDevices("alice"), IsEmpty());
  EXPECT_TRUE(absl::IsNotFound(
      store.RotateRefreshToken("dev-a", "h1", Token("dev-a", "h2", at), at)
          .status()));
  EXPECT_THAT(*store.RevokedSince(at), ElementsAre("dev-a"));
  EXPECT_THAT(*store.RevokedSince(at + absl::Microseconds(1)), IsEmpty());
}

TYPED_TEST(PairingStoreConformanceTest, FailuresCountInAFixedWindow) {
  PairingStore& store = *this->store_;
  const absl::Duration window = absl::Minutes(15);
  EXPECT_EQ(store.Failures("person:alice", kStart)->count, 0);
  EXPECT_EQ(store.AddFailure("person:alice", window, kStart)->count, 1);
  absl::StatusOr<AttemptCount> second =
      store.AddFailure("person:alice", window, kStart + absl::Minutes(14));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->count, 2);
  EXPECT_EQ(second->window_ends, kStart + window);
  EXPECT_EQ(store.Failures("person:alice", kStart + absl::Minutes(1))->count,
            2);
  EXPECT_EQ(store.Failures("person:bob", kStart)->count, 0);
  // The window ended: counting starts again.
  EXPECT_EQ(store.Failures("person:alice", kStart + window)->count, 0);
  absl::StatusOr<AttemptCount> fresh =
      store.AddFailure("person:alice", window, kStart + window);
  EXPECT_EQ(fresh->count, 1);
  EXPECT_EQ(fresh->window_ends, kStart + 2 * window);
}

TYPED_TEST(PairingStoreConformanceTest, PingAnswers) {
  EXPECT_TRUE(this->store_->Ping().ok());
}

}  // namespace
}  // namespace coachd
