#include "services/redis/redis_url.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

TEST(RedisUrlTest, ParsesTcpAndUnixAddresses) {
  struct Case {
    std::string url;
    std::string host;
    int port;
    std::string unix_path;
    int db;
    std::string text;
  };
  const Case cases[] = {
      {"redis://127.0.0.1:6379", "127.0.0.1", 6379, "", 0, "127.0.0.1:6379"},
      {"redis://redis.internal:7000/3", "redis.internal", 7000, "", 3,
       "redis.internal:7000/3"},
      {"redis://localhost", "localhost", 6379, "", 0, "localhost:6379"},
      {"redis://localhost/", "localhost", 6379, "", 0, "localhost:6379"},
      {"redis://[::1]:6380/1", "::1", 6380, "", 1, "[::1]:6380/1"},
      {"unix:///run/redis.sock", "", 6379, "/run/redis.sock", 0,
       "unix:/run/redis.sock"},
      {"unix:///tmp/r.sock?db=2", "", 6379, "/tmp/r.sock", 2,
       "unix:/tmp/r.sock?db=2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<RedisAddress> a = ParseRedisUrl(c.url);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->host, c.host);
    EXPECT_EQ(a->port, c.port);
    EXPECT_EQ(a->unix_path, c.unix_path);
    EXPECT_EQ(a->db, c.db);
    EXPECT_EQ(a->ToString(), c.text);
  }
}

TEST(RedisUrlTest, RejectsBadUrlsSayingWhy) {
  struct Case {
    std::string url;
    std::string why;
  };
  const Case cases[] = {
      {"", "scheme"},
      {"127.0.0.1:6379", "scheme"},
      {"http://127.0.0.1:6379", "scheme"},
      {"redis://", "host is empty"},
      {"redis://:6379", "host is empty"},
      {"redis://host:", "port"},
      {"redis://host:0", "port"},
      {"redis://host:65536", "port"},
      {"redis://host:six", "port"},
      {"redis://host:6379/x", "database"},
      {"redis://host:6379/-1", "database"},
      {"redis://user:pw@host:6379", "credentials"},
      {"redis://[::1:6379", "]"},
      {"unix://relative.sock", "absolute"},
      {"unix:///tmp/r.sock?db=x", "db=N"},
      {"unix:///tmp/r.sock?timeout=1", "db=N"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<RedisAddress> a = ParseRedisUrl(c.url);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(a.status().message(), HasSubstr(c.why));
    EXPECT_THAT(a.status().message(), HasSubstr("redis url"));
  }
}

}  // namespace
}  // namespace coachd
