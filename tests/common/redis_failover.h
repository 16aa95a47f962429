// A Redis that fails over, for tests: a primary, a replica of it and three
// Sentinels watching them, each a real process on a free loopback port, with
// Sentinel's timeouts short enough that a failover takes a few seconds.
//
//   absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> group =
//       RedisFailoverGroup::Start();
//   ASSERT_TRUE(group.ok()) << group.status();
//   std::string url = (*group)->url();  // "sentinel://127.0.0.1:P,.../coachd"
//   ASSERT_TRUE((*group)->KillPrimary().ok());  // kill -9
//   absl::StatusOr<int> port = (*group)->WaitForFailover(absl::Seconds(30));
#ifndef TESTS_COMMON_REDIS_FAILOVER_H_
#define TESTS_COMMON_REDIS_FAILOVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/common/redis_server.h"

namespace coachd {

// How to run the group.
struct RedisFailoverOptions {
  std::string master_name = "coachd";
  int sentinels = 3;
  int quorum = 2;  // Sentinels that must agree the primary is down.
  // Sentinel's down-after-milliseconds and failover-timeout.
  absl::Duration down_after = absl::Milliseconds(400);
  absl::Duration failover_timeout = absl::Seconds(2);
  // How long Start() waits for the replica to sync and the Sentinels to
  // know each other and the replica.
  absl::Duration ready_timeout = absl::Seconds(30);

  // One Sentinel with quorum 1: enough for tests that only ask it.
  static RedisFailoverOptions OneSentinel() {
    RedisFailoverOptions o;
    o.sentinels = 1;
    o.quorum = 1;
    return o;
  }
};

// The processes of one group. Not thread-safe; start it from the test's
// main thread (its processes die with that thread, as RedisServer's do).
class RedisFailoverGroup {
 public:
  // Starts the primary, the replica (`replicaof` the primary) and the
  // Sentinels (redis-sentinel, config in a temporary directory), and waits
  // until the replica is in sync and every Sentinel knows the replica and
  // the other Sentinels (so a failover can be agreed). UNAVAILABLE with the
  // part that did not come up.
  static absl::StatusOr<std::unique_ptr<RedisFailoverGroup>> Start(
      RedisFailoverOptions options = {});
  ~RedisFailoverGroup();
  RedisFailoverGroup(const RedisFailoverGroup&) = delete;
  RedisFailoverGroup& operator=(const RedisFailoverGroup&) = delete;

  // "sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/MASTER_NAME".
  std::string url() const;
  // "redis://127.0.0.1:PORT" of the server that is primary now, as the
  // Sentinels see it (the first that answers); empty if none answers.
  std::string primary_url() const;
  // Port of the server that is primary now (0 if unknown).
  int primary_port() const;

  // Kills the current primary with SIGKILL (a crash). Its writes not yet
  // on the replica are lost.
  absl::Status KillPrimary();
  // Waits until every Sentinel that answers names a primary other than the
  // one killed and that server answers ROLE master; returns its port.
  // DEADLINE_EXCEEDED after `limit`.
  absl::StatusOr<int> WaitForFailover(absl::Duration limit);

  // The servers (the one killed stays, stopped) and Sentinels.
  RedisServer& server(int i) { return *servers_[i]; }
  RedisServer& sentinel(int i) { return *sentinels_[i]; }
  int sentinel_count() const { return static_cast<int>(sentinels_.size()); }

 private:
  explicit RedisFailoverGroup(RedisFailoverOptions options)
      : options_(std::move(options)) {}
  absl::Status WaitUntilReady();

  const RedisFailoverOptions options_;
  std::string dir_;  // The Sentinels' config files.
  std::vector<std::unique_ptr<RedisServer>> servers_;    // Primary, replica.
  std::vector<std::unique_ptr<RedisServer>> sentinels_;  // redis-sentinel.
  int killed_port_ = 0;
};

}  // namespace coachd

#endif  // TESTS_COMMON_REDIS_FAILOVER_H_
