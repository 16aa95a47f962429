// AuthService over real gRPC channels on loopback, in a whole coachd
// (CoachServer) with a FakeClock: a device pairs, polls, refreshes and is
// revoked; expired, denied, reused and mistyped codes, polling too fast,
// refresh replays, guessing limits and key rotation each get their answer.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "coach/v1/auth.grpc.pb.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/grpc_testing.h"
#include "tests/pairing/pairing_testing.h"

namespace coachd {
namespace {

using coach::v1::Credentials;
using coach::v1::PollPairingResponse;
using coach::v1::StartPairingResponse;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing_pairing::With;

constexpr const char* kSecret = kTestSecret;

class AuthGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(nullptr); }

  void StartServer(std::unique_ptr<KeySet> keys) {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.keys = std::move(keys);
    options.pairing.max_failures_per_person = 3;
    options.pairing.max_failures_per_address = 5;
    absl::StatusOr<std::unique_ptr<CoachServer>> server =
        CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    auth_ = coach::v1::AuthService::NewStub(channel_);
    catalog_ = coach::v1::CatalogService::NewStub(channel_);
  }

  // A token minted with the secret (as coachctl token does).
  std::string Admin(const std::string& sub, Role role = Role::kUser) {
    return MintToken(kSecret, Identity{sub, role}, clock_.Now(),
                     clock_.Now() + absl::Hours(24));
  }

  StartPairingResponse Start() {
    StartPairingResponse response;
    auto context = With("");
    grpc::Status s = auth_->StartPairing(context.get(), {}, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  grpc::Status Poll(const std::string& device_code, PollPairingResponse* out) {
    coach::v1::PollPairingRequest request;
    request.set_device_code(device_code);
    auto context = With("");
    return auth_->PollPairing(context.get(), request, out);
  }

  PollPairingResponse::State PollState(const std::string& device_code) {
    PollPairingResponse response;
    grpc::Status s = Poll(device_code, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.state();
  }

  grpc::Status Approve(
      const std::string& code, const std::string& token,
      coach::v1::PairedKind kind = coach::v1::PAIRED_KIND_SPEAKER,
      const std::string& name = "kitchen speaker") {
    coach::v1::ApprovePairingRequest request;
    request.set_user_code(code);
    request.set_name(name);
    request.set_kind(kind);
    coach::v1::ApprovePairingResponse response;
    auto context = With(token);
    return auth_->ApprovePairing(context.get(), request, &response);
  }

  grpc::Status Deny(const std::string& code, const std::string& token) {
    coach::v1::DenyPairingRequest request;
    request.set_user_code(code);
    coach::v1::DenyPairingResponse response;
    auto context = With(token);
    return auth_->DenyPairing(context.get(), request, &response);
  }

  grpc::Status Refresh(const std::string& refresh_token, Credentials* out) {
    coach::v1::RefreshTokenRequest request;
    request.set_refresh_token(refresh_token);
    auto context = With("");
    return auth_->RefreshToken(context.get(), request, out);
  }

  // A device of alice, paired all the way.
  Credentials Pair(const std::string& person = "alice") {
    StartPairingResponse start = Start();
    grpc::Status approved = Approve(start.user_code(), Admin(person));
    EXPECT_TRUE(approved.ok()) << approved.error_message();
    PollPairingResponse poll;
    EXPECT_TRUE(Poll(start.device_code(), &poll).ok());
    EXPECT_EQ(poll.state(), PollPairingResponse::APPROVED);
    return poll.credentials();
  }

  // Calls an RPC that needs a token (ListExercises) with `token`.
  grpc::StatusCode Use(const std::string& token) {
    coach::v1::ListExercisesResponse response;
    auto context = With(token);
    return catalog_->ListExercises(context.get(), {}, &response).error_code();
  }

  coach::v1::ListDevicesResponse Devices(const std::string& token) {
    coach::v1::ListDevicesResponse response;
    auto context = With(token);
    grpc::Status s = auth_->ListDevices(context.get(), {}, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  FakeClock clock_;
  std::unique_ptr<CoachServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<coach::v1::AuthService::Stub> auth_;
  std::unique_ptr<coach::v1::CatalogService::Stub> catalog_;
};

TEST_F(AuthGrpcTest, ADevicePairsAndItsTokenActsForThePerson) {
  StartPairingResponse start = Start();
  EXPECT_THAT(
      start.user_code(),
      MatchesRegex("[CDFGHJKMNPQRTWXY34679]{3}-[CDFGHJKMNPQRTWXY34679]{4}"));
  EXPECT_GE(start.device_code().size(), 64u);
  EXPECT_EQ(start.expires_in_seconds(), 600);
  EXPECT_EQ(start.interval_seconds(), 5);
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::PENDING);

  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(Approve(start.user_code(), Admin("alice")).ok());
  PollPairingResponse poll;
  ASSERT_TRUE(Poll(start.device_code(), &poll).ok());
  ASSERT_EQ(poll.state(), PollPairingResponse::APPROVED);
  const Credentials& credentials = poll.credentials();
  EXPECT_EQ(credentials.access_expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(15)));
  EXPECT_EQ(*TokenKeyId(credentials.access_token()), "secret");
  EXPECT_EQ(Use(credentials.access_token()), grpc::StatusCode::OK);

  // The device's token names the person and the device.
  absl::StatusOr<Identity> who =
      server_->auth().keys()->Verify(credentials.access_token(), clock_.Now());
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->subject, "alice");
  EXPECT_EQ(who->role, Role::kDevice);
  EXPECT_EQ(who->device_id, credentials.device_id());

  coach::v1::ListDevicesResponse devices = Devices(Admin("alice"));
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).device_id(), credentials.device_id());
  EXPECT_EQ(devices.devices(0).name(), "kitchen speaker");
  EXPECT_EQ(devices.devices(0).kind(), coach::v1::PAIRED_KIND_SPEAKER);
  EXPECT_EQ(devices.devices(0).last_seen().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(Devices(Admin("bob")).devices_size(), 0);

  // Credentials are handed out once: the codes are spent.
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::EXPIRED);
  EXPECT_EQ(Approve(start.user_code(), Admin("alice")).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthGrpcTest, PollingFasterThanTheIntervalSlowsTheDeviceDown) {
  StartPairingResponse start = Start();
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::PENDING);
  clock_.Advance(absl::Seconds(4));
  PollPairingResponse poll;
  ASSERT_TRUE(Poll(start.device_code(), &poll).ok());
  EXPECT_EQ(poll.state(), PollPairingResponse::SLOW_DOWN);
  EXPECT_EQ(poll.interval_seconds(), 10);
  clock_.Advance(absl::Seconds(9));  // Under the new interval: again.
  ASSERT_TRUE(Poll(start.device_code(), &poll).ok());
  EXPECT_EQ(poll.state(), PollPairingResponse::SLOW_DOWN);
  EXPECT_EQ(poll.interval_seconds(), 15);
  clock_.Advance(absl::Seconds(15));
  ASSERT_TRUE(Poll(start.device_code(), &poll).ok());
  EXPECT_EQ(poll.state(), PollPairingResponse::PENDING);
  EXPECT_EQ(poll.interval_seconds(), 15);
}

TEST_F(AuthGrpcTest, ADeniedPairingTellsTheDeviceAndCannotBeApproved) {
  StartPairingResponse start = Start();
  ASSERT_TRUE(Deny(start.user_code(), Admin("alice")).ok());
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::DENIED);
  EXPECT_EQ(Approve(start.user_code(), Admin("alice")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Devices(Admin("alice")).devices_size(), 0);
}

TEST_F(AuthGrpcTest, CodesExpireAfterTenMinutes) {
  StartPairingResponse start = Start();
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::EXPIRED);
  grpc::Status late = Approve(start.user_code(), Admin("alice"));
  EXPECT_EQ(late.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(late.error_message(), HasSubstr("user_code"));
  // Long after, the device code is forgotten.
  clock_.Advance(absl::Minutes(10));
  PollPairingResponse poll;
  EXPECT_EQ(Poll(start.device_code(), &poll).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthGrpcTest, CodesAreTypedInAnyCaseWithOrWithoutTheDash) {
  StartPairingResponse start = Start();
  std::string typed = start.user_code();
  typed.erase(3, 1);
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  EXPECT_TRUE(Approve(typed, Admin("alice")).ok());
  EXPECT_EQ(PollState(start.device_code()), PollPairingResponse::APPROVED);
}

TEST_F(AuthGrpcTest, MistypedCodesAndBadFieldsAreNamed) {
  StartPairingResponse start = Start();
  struct Case {
    std::string code;
    std::string name;
    coach::v1::PairedKind kind;
    grpc::StatusCode expected;
    std::string field;
  };
  const Case cases[] = {
      {"KQ7-4PM", "speaker", coach::v1::PAIRED_KIND_SPEAKER,
       grpc::StatusCode::INVALID_ARGUMENT, "user_code"},
      {"KQ7-4PM0", "speaker", coach::v1::PAIRED_KIND_SPEAKER,
       grpc::StatusCode::INVALID_ARGUMENT, "user_code"},
      {start.user_code(), "", coach::v1::PAIRED_KIND_SPEAKER,
       grpc::StatusCode::INVALID_ARGUMENT, "name"},
      {start.user_code(), "speaker", coach::v1::PAIRED_KIND_UNSPECIFIED,
       grpc::StatusCode::INVALID_ARGUMENT, "kind"},
      {start.user_code(), "speaker", coach::v1::PAIRED_KIND_COACH_CONSOLE,
       grpc::StatusCode::INVALID_ARGUMENT, "kind"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code + " " + c.name);
    grpc::Status s = Approve(c.code, Admin("alice"), c.kind, c.name);
    EXPECT_EQ(s.error_code(), c.expected);
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
  PollPairingResponse poll;
  grpc::Status bad = Poll("not-a-device-code", &poll);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("device_code"));
  // The pairing is still there for the right code.
  EXPECT_TRUE(Approve(start.user_code(), Admin("alice")).ok());
}

TEST_F(AuthGrpcTest, DevicesCannotApproveAndStrangersNeedAToken) {
  StartPairingResponse start = Start();
  EXPECT_EQ(Approve(start.user_code(), "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      Approve(start.user_code(), Admin("alice", Role::kDevice)).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  Credentials device = Pair();
  EXPECT_EQ(Approve(start.user_code(), device.access_token()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  coach::v1::ListDevicesResponse unused;
  auto context = With(device.access_token());
  EXPECT_EQ(auth_->ListDevices(context.get(), {}, &unused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A coach pairs their console, and only that.
  EXPECT_EQ(
      Approve(start.user_code(), Admin("coach-c", Role::kCoach)).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Approve(start.user_code(), Admin("coach-c", Role::kCoach),
                      coach::v1::PAIRED_KIND_COACH_CONSOLE, "console")
                  .ok());
  PollPairingResponse poll;
  ASSERT_TRUE(Poll(start.device_code(), &poll).ok());
  absl::StatusOr<Identity> who = server_->auth().keys()->Verify(
      poll.credentials().access_token(), clock_.Now());
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->role, Role::kCoach);
  EXPECT_EQ(who->subject, "coach-c");
}

TEST_F(AuthGrpcTest, WrongCodesAreLimitedPerPersonThenPerAddress) {
  StartPairingResponse start = Start();
  // Three wrong codes from alice (her limit in this test) ...
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Approve("CCC-CCCC", Admin("alice")).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // ... and even the right one is refused until her window ends.
  grpc::Status limited = Approve(start.user_code(), Admin("alice"));
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("person alice"));
  EXPECT_THAT(limited.error_message(), HasSubstr("try again in 15m"));
  // Two more from bob on the same address use up the address's five.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Deny("CCC-CCCC", Admin("bob")).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  grpc::Status address = Approve(start.user_code(), Admin("carol"));
  EXPECT_EQ(address.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(address.error_message(), HasSubstr("address ipv4:127.0.0.1"));
  clock_.Advance(absl::Minutes(9));  // The code is still valid ...
  EXPECT_EQ(Approve(start.user_code(), Admin("alice")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(absl::Minutes(6));  // ... but expired once the window ended.
  EXPECT_EQ(Approve(start.user_code(), Admin("alice")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  StartPairingResponse again = Start();
  clock_.Advance(absl::Minutes(15));
  StartPairingResponse fresh = Start();
  EXPECT_TRUE(Approve(fresh.user_code(), Admin("alice")).ok());
  (void)again;
}

TEST_F(AuthGrpcTest, RefreshRotatesAndAReplayRevokesTheDevice) {
  Credentials first = Pair();
  clock_.Advance(absl::Minutes(14));
  Credentials second;
  ASSERT_TRUE(Refresh(first.refresh_token(), &second).ok());
  EXPECT_NE(second.refresh_token(), first.refresh_token());
  EXPECT_EQ(second.device_id(), first.device_id());
  EXPECT_EQ(second.access_expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(15)));
  EXPECT_EQ(Use(second.access_token()), grpc::StatusCode::OK);
  EXPECT_EQ(Devices(Admin("alice")).devices(0).last_seen().seconds(),
            absl::ToUnixSeconds(clock_.Now()));

  // A stolen copy of the first token is used: the whole chain dies.
  Credentials stolen;
  grpc::Status replay = Refresh(first.refresh_token(), &stolen);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(replay.error_message(), HasSubstr("revoked"));
  Credentials third;
  EXPECT_EQ(Refresh(second.refresh_token(), &third).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Use(second.access_token()), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Devices(Admin("alice")).devices_size(), 0);

  Credentials malformed;
  grpc::Status bad = Refresh("garbage", &malformed);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("refresh_token"));
}

TEST_F(AuthGrpcTest, AccessTokensExpireAfterFifteenMinutes) {
  Credentials credentials = Pair();
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(Use(credentials.access_token()), grpc::StatusCode::UNAUTHENTICATED);
  Credentials next;
  ASSERT_TRUE(Refresh(credentials.refresh_token(), &next).ok());
  EXPECT_EQ(Use(next.access_token()), grpc::StatusCode::OK);
}

TEST_F(AuthGrpcTest, ARevokedDeviceIsRefusedAtOnceAndOnlyByItsOwner) {
  Credentials kitchen = Pair();
  Credentials hall = Pair();
  coach::v1::RevokeDeviceRequest request;
  request.set_device_id(kitchen.device_id());
  coach::v1::RevokeDeviceResponse response;
  {
    auto context = With(Admin("bob"));
    EXPECT_EQ(
        auth_->RevokeDevice(context.get(), request, &response).error_code(),
        grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(Use(kitchen.access_token()), grpc::StatusCode::OK);
  {
    auto context = With(Admin("alice"));
    ASSERT_TRUE(auth_->RevokeDevice(context.get(), request, &response).ok());
  }
  EXPECT_EQ(Use(kitchen.access_token()), grpc::StatusCode::UNAUTHENTICATED);
  Credentials next;
  EXPECT_EQ(Refresh(kitchen.refresh_token(), &next).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Use(hall.access_token()), grpc::StatusCode::OK);
  coach::v1::ListDevicesResponse devices = Devices(Admin("alice"));
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).device_id(), hall.device_id());
}

TEST_F(AuthGrpcTest, ADeviceMayRevokeItselfButNoOtherDevice) {
  Credentials kitchen = Pair();
  Credentials hall = Pair();
  coach::v1::RevokeDeviceRequest request;
  coach::v1::RevokeDeviceResponse response;
  request.set_device_id(hall.device_id());
  {
    auto context = With(kitchen.access_token());
    EXPECT_EQ(
        auth_->RevokeDevice(context.get(), request, &response).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  request.set_device_id(kitchen.device_id());
  {
    auto context = With(kitchen.access_token());
    ASSERT_TRUE(auth_->RevokeDevice(context.get(), request, &response).ok());
  }
  EXPECT_EQ(Use(kitchen.access_token()), grpc::StatusCode::UNAUTHENTICATED);
  Credentials next;
  EXPECT_EQ(Refresh(kitchen.refresh_token(), &next).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Use(hall.access_token()), grpc::StatusCode::OK);
}

TEST_F(AuthGrpcTest, KeysRotateWhileOldTokensStayValidUntilRetired) {
  server_.reset();
  StartServer(std::make_unique<KeySet>(
      *KeySet::Make(kSecret, {{"k1", "first-key"}}, "k1")));
  Credentials old = Pair();
  EXPECT_EQ(*TokenKeyId(old.access_token()), "k1");

  // k2 signs from now on; k1 still verifies.
  server_->auth().SetKeys(*KeySet::Make(
      kSecret, {{"k1", "first-key"}, {"k2", "second-key"}}, "k2"));
  EXPECT_EQ(Use(old.access_token()), grpc::StatusCode::OK);
  Credentials next;
  ASSERT_TRUE(Refresh(old.refresh_token(), &next).ok());
  EXPECT_EQ(*TokenKeyId(next.access_token()), "k2");

  // k1 retired: its tokens are refused, k2's and the secret's are not.
  server_->auth().SetKeys(*KeySet::Make(kSecret, {{"k2", "second-key"}}, "k2"));
  EXPECT_EQ(Use(old.access_token()), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Use(next.access_token()), grpc::StatusCode::OK);
  EXPECT_EQ(Use(Admin("alice")), grpc::StatusCode::OK);
  // A token naming a key it was not signed with is forged.
  const std::string forged =
      MintToken("guess", Identity{"alice", Role::kUser}, clock_.Now(),
                clock_.Now() + absl::Hours(1), "k2");
  EXPECT_EQ(Use(forged), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace coachd
