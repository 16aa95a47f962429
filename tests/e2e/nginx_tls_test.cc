// deploy/nginx/coachd-tls.conf as shipped, with only its certificate paths
// and ports changed: a real nginx (tests/common/nginx_server.h) terminates
// TLS (certificates made by the test with openssl) in front of a coachd on
// loopback. A client trusting the test CA calls coachd through it, and a
// stream through it carries a command's event; a plaintext client is
// refused at nginx's TLS port.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/server/coach_server.h"
#include "tests/common/child_process.h"
#include "tests/common/coach_client_testing.h"
#include "tests/common/grpc_testing.h"
#include "tests/common/nginx_server.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class NginxTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_nginx_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    TestPki pki(dir_);
    ASSERT_TRUE(pki.MakeCa("ca") && pki.MakeLeaf("server", "ca"))
        << "openssl could not make the test CA";
    ca_pem_ = ReadAll(pki.Path("ca.pem"));

    auto server = CoachServer::Start(LoopbackServerOptions(&clock_));
    ASSERT_TRUE(server.ok()) << server.status();
    coachd_ = *std::move(server);

    // The shipped file, pointed at the test's certificate and ports.
    grpc_port_ = PickFreeLoopbackPort();
    ASSERT_GT(grpc_port_, 0);
    auto nginx = NginxServer::StartTls(
        dir_, pki.Path("server.pem"), pki.Path("server.key"),
        absl::StrCat("127.0.0.1:", coachd_->port()), grpc_port_);
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    nginx_ = *std::move(nginx);
  }

  void TearDown() override {
    nginx_.reset();  // SIGTERM: its workers go too.
    coachd_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::shared_ptr<grpc::Channel> TlsChannel() {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ca_pem_;
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                               grpc::SslCredentials(tls));
  }

  // Waits for nginx to accept TLS handshakes (process start-up: no event
  // to wait on but the connection itself), up to 30 s.
  bool Connected(const std::shared_ptr<grpc::Channel>& channel) {
    for (int i = 0; i < 60; ++i) {
      if (channel->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::milliseconds(500))) {
        return true;
      }
    }
    return false;
  }

  FakeClock clock_;
  std::string dir_;
  std::string ca_pem_;
  int grpc_port_ = 0;
  std::unique_ptr<CoachServer> coachd_;
  std::unique_ptr<NginxServer> nginx_;
};

TEST_F(NginxTlsTest, GrpcCallsAndStreamsGoThroughNginxOverTls) {
  auto channel = TlsChannel();
  ASSERT_TRUE(Connected(channel)) << nginx_->Output();
  coach::v1::ListExercisesResponse list;
  grpc::Status listed =
      coach::v1::CatalogService::NewStub(channel)->ListExercises(
          TokenContext("alice", Role::kUser, clock_.Now()).get(), {}, &list);
  ASSERT_TRUE(listed.ok()) << listed.error_message() << nginx_->Output();
  EXPECT_EQ(list.exercises_size(), 9);

  CoachTestClient client(channel, &clock_);
  const coach::v1::SessionView view = client.Start("alice");
  TestStream<coach::v1::SessionEvent> stream =
      client.Subscribe("alice", Role::kDevice, view.session_id(),
                       coach::v1::DEVICE_KIND_DISPLAY);
  coach::v1::SessionEvent snapshot;
  ASSERT_TRUE(stream.reader->Read(&snapshot));  // Through nginx.
  coach::v1::SendCommandResponse paused;
  ASSERT_TRUE(client
                  .Command("alice", Role::kUser, view.session_id(),
                           coach::v1::COMMAND_TYPE_PAUSE, "", &paused)
                  .ok());
  EXPECT_EQ(ReadThrough(stream, paused.last_sequence()).back().sequence(),
            paused.last_sequence())
      << "the stream through nginx missed the pause";
  stream.context->TryCancel();
  stream.reader->Finish().IgnoreError();

  // nginx's gRPC port is TLS only.
  auto plaintext = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                                       grpc::InsecureChannelCredentials());
  coach::v1::ListExercisesResponse unused;
  auto context = TokenContext("alice", Role::kUser, clock_.Now());
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
  const grpc::Status refused =
      coach::v1::CatalogService::NewStub(plaintext)->ListExercises(
          context.get(), {}, &unused);
  EXPECT_FALSE(refused.ok());
}

}  // namespace
}  // namespace coachd
