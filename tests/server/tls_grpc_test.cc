// coachd over TLS, with certificates made by the test (openssl, in a
// temporary directory): a handshake with the test CA, a plaintext client
// refused on the TLS port, mutual TLS refusing a client without a
// certificate, renewed files taken for new connections on a reload (what
// SIGHUP does) while an open stream carries on, and a renewal whose key
// does not match refused with the certificate in use kept.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/common/client_auth.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

class TlsGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_tls_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    pki_ = std::make_unique<TestPki>(dir_);
    ASSERT_TRUE(pki_->MakeCa("ca")) << "openssl could not make a CA";
    ASSERT_TRUE(pki_->MakeLeaf("server", "ca"));
    ASSERT_TRUE(pki_->MakeLeaf("client", "ca"));
  }

  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void StartServer(bool mutual) {
    ServerOptions options = LoopbackServerOptions(&clock_);
    options.tls.cert_file = pki_->Path("server.pem");
    options.tls.key_file = pki_->Path("server.key");
    if (mutual) options.tls.client_ca_file = pki_->Path("ca.pem");
    auto server = CoachServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::shared_ptr<grpc::Channel> Channel(const ClientTls& tls) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                               MakeChannelCredentials(tls));
  }

  grpc::Status ListExercises(const std::shared_ptr<grpc::Channel>& channel) {
    auto context = TokenContext("alice", Role::kUser, clock_.Now());
    context->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(5));
    coach::v1::ListExercisesResponse response;
    return coach::v1::CatalogService::NewStub(channel)->ListExercises(
        context.get(), {}, &response);
  }

  FakeClock clock_;
  std::string dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<CoachServer> server_;
};

TEST_F(TlsGrpcTest, AClientTrustingTheCaHandshakesAndAPlaintextOneIsRefused) {
  StartServer(/*mutual=*/false);
  EXPECT_TRUE(
      ListExercises(Channel(ClientTls{pki_->Path("ca.pem"), "", ""})).ok());
  const grpc::Status plaintext = ListExercises(Channel({}));
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE)
      << plaintext.error_message();
  // A client that trusts another CA does not talk to this server.
  ASSERT_TRUE(pki_->MakeCa("other"));
  EXPECT_EQ(ListExercises(Channel(ClientTls{pki_->Path("other.pem"), "", ""}))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsGrpcTest, MutualTlsRefusesAClientWithoutACertificate) {
  StartServer(/*mutual=*/true);
  EXPECT_EQ(ListExercises(Channel(ClientTls{pki_->Path("ca.pem"), "", ""}))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  const grpc::Status with_cert =
      ListExercises(Channel({pki_->Path("ca.pem"), pki_->Path("client.pem"),
                             pki_->Path("client.key")}));
  EXPECT_TRUE(with_cert.ok()) << with_cert.error_message();
}

TEST_F(TlsGrpcTest, RenewedFilesServeNewConnectionsWhileOpenStreamsCarryOn) {
  StartServer(/*mutual=*/false);
  CoachTestClient old_client(Channel(ClientTls{pki_->Path("ca.pem"), "", ""}),
                             &clock_);
  const coach::v1::SessionView view = old_client.Start("alice");
  TestStream<coach::v1::SessionEvent> stream = old_client.Subscribe(
      "alice", Role::kUser, view.session_id(), coach::v1::DEVICE_KIND_DISPLAY);
  coach::v1::SessionEvent snapshot;
  ASSERT_TRUE(stream.reader->Read(&snapshot));  // The stream is open.

  // Renew the server's certificate from a new CA (renamed into place).
  ASSERT_TRUE(pki_->MakeCa("ca2"));
  ASSERT_TRUE(pki_->MakeLeaf("renewed", "ca2"));
  std::filesystem::rename(pki_->Path("renewed.key"), pki_->Path("server.key"));
  std::filesystem::rename(pki_->Path("renewed.pem"), pki_->Path("server.pem"));
  // Not before the reload: coachd serves its own copies of the files.
  const ClientTls new_ca{pki_->Path("ca2.pem"), "", ""};
  EXPECT_EQ(ListExercises(Channel(new_ca)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(server_->ReloadTls().ok());  // What SIGHUP does.
  // New connections get it once gRPC reads the copies (every second; a
  // 10 s bound: this waits for gRPC's file watcher, which has no event).
  bool renewed = false;
  for (int i = 0; i < 40 && !renewed; ++i) {
    renewed = ListExercises(Channel(new_ca)).ok();
    if (!renewed) absl::SleepFor(absl::Milliseconds(250));
  }
  EXPECT_TRUE(renewed) << "new connections never got the renewed certificate";
  // The stream opened before carries on: a command's event reaches it.
  coach::v1::SendCommandResponse paused;
  ASSERT_TRUE(old_client
                  .Command("alice", Role::kUser, view.session_id(),
                           coach::v1::COMMAND_TYPE_PAUSE, "", &paused)
                  .ok());
  EXPECT_EQ(ReadThrough(stream, paused.last_sequence()).back().sequence(),
            paused.last_sequence());
  stream.context->TryCancel();
  stream.reader->Finish().IgnoreError();
}

TEST_F(TlsGrpcTest, AReloadOfAKeyThatDoesNotMatchIsRefusedAndTheOldPairStays) {
  StartServer(/*mutual=*/false);
  // A renewal half done: a new key beside the old certificate.
  ASSERT_TRUE(pki_->MakeLeaf("other", "ca"));
  std::filesystem::rename(pki_->Path("other.key"), pki_->Path("server.key"));
  const absl::Status refused = server_->ReloadTls();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr(
                  absl::StrCat("--tls_key_file: ", pki_->Path("server.key"),
                               ": is not the key of the certificate in ",
                               pki_->Path("server.pem"))));
  EXPECT_TRUE(
      ListExercises(Channel(ClientTls{pki_->Path("ca.pem"), "", ""})).ok());
  // Files that cannot be read are refused at start, naming the flag.
  ServerOptions options = LoopbackServerOptions(&clock_);
  options.tls.cert_file = pki_->Path("server.pem");
  options.tls.key_file = pki_->Path("missing.key");
  const auto failed = CoachServer::Start(std::move(options));
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()),
              ::testing::HasSubstr("--tls_key_file: "));
}

TEST_F(TlsGrpcTest, APlaintextServerHasNothingToReload) {
  ServerOptions options = LoopbackServerOptions(&clock_);
  auto server = CoachServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->ReloadTls().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace coachd
