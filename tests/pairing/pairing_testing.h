// What pairing tests share: pairing a device over gRPC (start, approve with
// a person's secret-minted token, poll), refreshing, and contexts carrying
// a token.
//
//   Credentials device = PairOver(channel, "alice", clock.Now());
#ifndef TESTS_PAIRING_PAIRING_TESTING_H_
#define TESTS_PAIRING_PAIRING_TESTING_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "coach/v1/auth.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/grpc_testing.h"

namespace coachd {
namespace testing_pairing {

// A context carrying `token` (none when empty); the deadline only keeps a
// broken test from hanging.
inline std::unique_ptr<grpc::ClientContext> With(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(60));
  return context;
}

// A device of `person` paired through `channel` (approved with a
// kTestSecret token valid from `now`); empty credentials (and a test
// failure) when a step fails.
inline coach::v1::Credentials PairOver(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& person,
    absl::Time now,
    coach::v1::PairedKind kind = coach::v1::PAIRED_KIND_SPEAKER) {
  auto auth = coach::v1::AuthService::NewStub(channel);
  coach::v1::StartPairingResponse start;
  grpc::Status s = auth->StartPairing(With("").get(), {}, &start);
  EXPECT_TRUE(s.ok()) << s.error_message();
  coach::v1::ApprovePairingRequest approve;
  approve.set_user_code(start.user_code());
  approve.set_name("kitchen speaker");
  approve.set_kind(kind);
  coach::v1::ApprovePairingResponse approved;
  const std::string person_token = MintToken(
      kTestSecret, Identity{person, Role::kUser}, now, now + absl::Hours(24));
  s = auth->ApprovePairing(With(person_token).get(), approve, &approved);
  EXPECT_TRUE(s.ok()) << s.error_message();
  coach::v1::PollPairingRequest poll;
  poll.set_device_code(start.device_code());
  coach::v1::PollPairingResponse polled;
  s = auth->PollPairing(With("").get(), poll, &polled);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(polled.state(), coach::v1::PollPairingResponse::APPROVED);
  return polled.credentials();
}

// Revokes `device_id` of `person` through `channel`.
inline grpc::Status RevokeOver(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& person,
                               const std::string& device_id, absl::Time now) {
  auto auth = coach::v1::AuthService::NewStub(channel);
  coach::v1::RevokeDeviceRequest request;
  request.set_device_id(device_id);
  coach::v1::RevokeDeviceResponse response;
  const std::string token = MintToken(
      kTestSecret, Identity{person, Role::kUser}, now, now + absl::Hours(24));
  return auth->RevokeDevice(With(token).get(), request, &response);
}

}  // namespace testing_pairing
}  // namespace coachd

#endif  // TESTS_PAIRING_PAIRING_TESTING_H_
