// What tests that talk to an in-process coachd over real gRPC share: the
// server's options for loopback with a FakeClock, and a client context
// carrying a token.
//
//   ServerOptions options = LoopbackServerOptions(&clock_);
//   auto server = CoachServer::Start(std::move(options));
//   auto context = TokenContext("alice", Role::kDevice, clock_.Now());
#ifndef TESTS_COMMON_GRPC_TESTING_H_
#define TESTS_COMMON_GRPC_TESTING_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"

namespace coachd {

// The shared secret of test servers.
inline constexpr char kTestSecret[] = "test-secret";

// Options for a test coachd: port 0 on 127.0.0.1, kTestSecret, the shipped
// catalogue, `clock` (which must outlive the server) and no timer thread
// (tests fire timers with RunDueTimersForTest).
inline ServerOptions LoopbackServerOptions(const Clock* clock) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth_secret = kTestSecret;
  options.catalog_path = std::string(COACHD_SOURCE_DIR) +
                         "/services/catalog/back_catalog.textproto";
  options.clock = clock;
  options.run_timer_thread = false;
  return options;
}

// A context with a kTestSecret token for `sub` in `role`, valid from `now`
// for a day. The deadline only keeps a broken test from hanging.
inline std::unique_ptr<grpc::ClientContext> TokenContext(const std::string& sub,
                                                         Role role,
                                                         absl::Time now) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization",
                       "Bearer " + MintToken(kTestSecret, Identity{sub, role},
                                             now, now + absl::Hours(24)));
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(60));
  return context;
}

}  // namespace coachd

#endif  // TESTS_COMMON_GRPC_TESTING_H_
