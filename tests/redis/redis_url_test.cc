#include "services/redis/redis_url.h"

#include <string>
#include <vector>

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

TEST(RedisUrlTest, ParsesSentinelAddresses) {
  struct Case {
    std::string url;
    std::vector<std::string> sentinels;  // HostPort::ToString of each.
    std::string master_name;
    std::string text;
  };
  const Case cases[] = {
      {"sentinel://127.0.0.1:26379/coachd",
       {"127.0.0.1:26379"},
       "coachd",
       "sentinel:127.0.0.1:26379/coachd"},
      {"sentinel://a:1,b:2,c:3/my-master.1_x",
       {"a:1", "b:2", "c:3"},
       "my-master.1_x",
       "sentinel:a:1,b:2,c:3/my-master.1_x"},
      {"sentinel://s1,[::1]:26380/m",
       {"s1:26379", "[::1]:26380"},
       "m",
       "sentinel:s1:26379,[::1]:26380/m"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<RedisAddress> a = ParseRedisUrl(c.url);
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_TRUE(a->via_sentinel());
    std::vector<std::string> sentinels;
    for (const HostPort& s : a->sentinels) sentinels.push_back(s.ToString());
    EXPECT_EQ(sentinels, c.sentinels);
    EXPECT_EQ(a->master_name, c.master_name);
    EXPECT_TRUE(a->host.empty());
    EXPECT_TRUE(a->unix_path.empty());
    EXPECT_EQ(a->db, 0);
    EXPECT_EQ(a->ToString(), c.text);
  }
}

TEST(RedisUrlTest, RejectsBadSentinelUrlsSayingWhy) {
  struct Case {
    std::string url;
    std::string why;
  };
  const Case cases[] = {
      {"sentinel://", "missing '/MASTER_NAME'"},
      {"sentinel://127.0.0.1:26379", "missing '/MASTER_NAME'"},
      {"sentinel://127.0.0.1:26379/", "master name"},
      {"sentinel://127.0.0.1:26379/coachd/2", "master name"},
      {"sentinel://127.0.0.1:26379/a b", "master name"},
      {"sentinel:///coachd", "sentinel 1 is empty"},
      {"sentinel://a:1,,c:3/coachd", "sentinel 2 is empty"},
      {"sentinel://a:1,b:0/coachd", "port of sentinel 2"},
      {"sentinel://a:1,b:x/coachd", "port of sentinel 2"},
      {"sentinel://a:99999/coachd", "port of sentinel 1"},
      {"sentinel://[::1:26379/coachd", "]"},
      {"sentinel://u:p@a:1/coachd", "credentials"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    absl::StatusOr<RedisAddress> a = ParseRedisUrl(c.url);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(a.status().message(), HasSubstr(c.why));
    EXPECT_THAT(a.status().message(), HasSubstr("sentinel://HOST:PORT"));
  }
}

}  // namespace
}  // namespace coachd
