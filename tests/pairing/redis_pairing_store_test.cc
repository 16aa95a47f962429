// What only the Redis pairing store promises beyond the conformance suite:
// every key it writes expires, and no secret (device code, refresh token)
// reaches Redis, only their hashes.
#include "services/pairing/redis_pairing_store.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "services/auth/codes.h"
#include "services/redis/redis_url.h"
#include "tests/common/own_redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/store/redis_testing.h"

namespace coachd {
namespace {

using testing_store::RunCommand;
using testing_store::RunInteger;

TEST(RedisPairingStoreTest, KeysExpireAndHoldNoSecret) {
  std::unique_ptr<RedisServer> redis = testing_store::StartRedis();
  ASSERT_NE(redis, nullptr);
  RedisClientOptions client;
  client.address = *ParseRedisUrl(redis->url());
  WithOwnClient<RedisPairingStore> store(client, RedisPairingStoreOptions{});
  const absl::Time now = absl::FromUnixSeconds(1767596400);

  const std::string device_code = NewOwnedSecret("KQ74PMX");
  coach::internal::PairingRecord pairing;
  pairing.set_user_code("KQ74PMX");
  pairing.set_device_code_hash(Sha256(device_code));
  pairing.set_expires_us(absl::ToUnixMicros(now + absl::Minutes(10)));
  ASSERT_TRUE(store.CreatePairing(pairing, now).ok());

  const std::string refresh_token = NewOwnedSecret("YWxpY2U:dev-1");
  coach::internal::RefreshRecord token;
  token.set_token_hash(Sha256(refresh_token));
  token.set_device_id("dev-1");
  token.set_subject("alice");
  token.set_expires_us(absl::ToUnixMicros(now + absl::Hours(24)));
  ASSERT_TRUE(store.AddRefreshToken(token, now).ok());
  ASSERT_TRUE(store.AddFailure("person:alice", absl::Minutes(15), now).ok());

  RedisReply keys = RunCommand(redis->url(), {"KEYS", "*"});
  ASSERT_NE(keys, nullptr);
  ASSERT_GE(keys->elements, 4u);  // Pairing, token, token set, counter.
  const std::string secret_part =
      refresh_token.substr(refresh_token.find('.') + 1);
  const std::string code_part = device_code.substr(device_code.find('.') + 1);
  for (size_t i = 0; i < keys->elements; ++i) {
    const std::string key(keys->element[i]->str, keys->element[i]->len);
    SCOPED_TRACE(key);
    const int64_t ttl = RunInteger(redis->url(), {"PTTL", key});
    EXPECT_GT(ttl, 0) << "a key without expiry";
    RedisReply dump = RunCommand(redis->url(), {"DUMP", key});
    ASSERT_NE(dump, nullptr);
    const std::string bytes(dump->str, dump->len);
    EXPECT_EQ(key.find(secret_part), std::string::npos);
    EXPECT_EQ(bytes.find(secret_part), std::string::npos);
    EXPECT_EQ(bytes.find(code_part), std::string::npos);
  }
  // The pairing lives its ten minutes plus the ten it is kept for.
  EXPECT_LE(RunInteger(redis->url(), {"PTTL", "coachd:{pairing:KQ74PMX}"}),
            absl::ToInt64Milliseconds(absl::Minutes(20)) + 1);
}

}  // namespace
}  // namespace coachd
