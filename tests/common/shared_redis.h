// One redis-server shared by the tests of a program: started on first use
// (from the main thread), stopped (and its directory removed) when the
// program's tests end. Register it once per program:
//
//   ::testing::Environment* const redis =
//       ::testing::AddGlobalTestEnvironment(new SharedRedis);
//   RedisServer* server = SharedRedis::Get();   // null (and a failure) if
//                                               // it does not start
#ifndef TESTS_COMMON_SHARED_REDIS_H_
#define TESTS_COMMON_SHARED_REDIS_H_

#include <memory>

#include "gtest/gtest.h"
#include "tests/common/redis_server.h"

namespace coachd {

class SharedRedis : public ::testing::Environment {
 public:
  static RedisServer* Get() {
    if (server_ == nullptr) {
      absl::StatusOr<std::unique_ptr<RedisServer>> s = RedisServer::Start();
      if (!s.ok()) {
        ADD_FAILURE() << s.status();
        return nullptr;
      }
      server_ = *std::move(s);
    }
    return server_.get();
  }
  void TearDown() override { server_.reset(); }

 private:
  static inline std::unique_ptr<RedisServer> server_;
};

}  // namespace coachd

#endif  // TESTS_COMMON_SHARED_REDIS_H_
