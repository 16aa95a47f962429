// coachd --log_format=json as a process: every line of a whole run (start,
// RPCs with hostile input, shutdown) parses as one JSON object, and each
// RPC's line carries its fields (event, method, caller, code, ms, error)
// with the hostile text inside its member, never breaking the line.
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "coach/v1/catalog.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/common/child_process.h"

namespace coachd {
namespace {

constexpr char kSecret[] = "json-log-secret";

std::unique_ptr<grpc::ClientContext> Context(const std::string& sub) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(
      "authorization",
      "Bearer " + MintToken(kSecret, {sub, Role::kUser}, absl::Now(),
                            absl::Now() + absl::Hours(1)));
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

TEST(JsonLogTest, EveryLineOfARunIsOneJsonObjectWithTheRpcFields) {
  const std::string dir = ::testing::TempDir() + "/json_log_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/secret") << kSecret << "\n";
  const std::string out = dir + "/coachd.log";
  absl::StatusOr<std::unique_ptr<ChildProcess>> coachd = ChildProcess::Start(
      {std::string(COACHD_BINARY_DIR) + "/services/server/coachd",
       "--auth_secret_file=" + dir + "/secret",
       "--catalog=" + std::string(COACHD_SOURCE_DIR) +
           "/services/catalog/back_catalog.textproto",
       "--listen=127.0.0.1:0", "--port_file=" + dir + "/port",
       "--log_format=json"},
      out);
  ASSERT_TRUE(coachd.ok()) << coachd.status();
  absl::StatusOr<int> port =
      WaitForPortFile(**coachd, dir + "/port", absl::Seconds(60));
  ASSERT_TRUE(port.ok()) << port.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                     grpc::InsecureChannelCredentials());
  auto catalog = coach::v1::CatalogService::NewStub(channel);
  auto sessions = coach::v1::SessionService::NewStub(channel);

  coach::v1::ListExercisesResponse exercises;
  ASSERT_TRUE(catalog
                  ->ListExercises(Context("alice").get(),
                                  coach::v1::ListExercisesRequest(), &exercises)
                  .ok());
  // Hostile text in the caller and in the error: a quote that would close
  // the member, a newline that would start a forged line. (Bytes that are
  // not UTF-8 are log_format_test's: protobuf refuses them in a string
  // field before coachd sees them.)
  const std::string hostile = "x\",\"code\":\"OK\"}\n{\"forged\":\"y";
  coach::v1::GetSessionRequest get;
  get.set_session_id(hostile);
  coach::v1::SessionView view;
  const grpc::Status refused =
      sessions->GetSession(Context("eve\"\nI forged").get(), get, &view);
  ASSERT_FALSE(refused.ok());
  ASSERT_EQ((*coachd)->Terminate(), 0) << (*coachd)->Output();

  const std::string log = (*coachd)->Output();
  int lines = 0;
  int list_lines = 0;
  int get_lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    SCOPED_TRACE(line);
    ++lines;
    google::protobuf::Struct parsed;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &parsed)
            .ok());
    const auto& f = parsed.fields();
    ASSERT_TRUE(f.count("ts") && f.count("level") && f.count("msg"));
    EXPECT_TRUE(absl::EndsWith(f.at("ts").string_value(), "Z"));
    if (!f.count("event")) continue;
    EXPECT_EQ(f.at("event").string_value(), "rpc");
    ASSERT_TRUE(f.count("method") && f.count("caller") && f.count("code") &&
                f.count("ms"));
    EXPECT_GE(f.at("ms").number_value(), 0);
    const std::string method = f.at("method").string_value();
    if (method == "CatalogService/ListExercises") {
      ++list_lines;
      EXPECT_EQ(f.at("code").string_value(), "OK");
      EXPECT_TRUE(absl::StartsWith(f.at("caller").string_value(), "alice"));
      EXPECT_EQ(f.count("error"), 0u);
    } else if (method == "SessionService/GetSession") {
      ++get_lines;
      EXPECT_NE(f.at("code").string_value(), "OK");
      ASSERT_EQ(f.count("error"), 1u);
      // The hostile id is in the error, escaped by SafeText (the newline
      // as the text \n).
      const std::string error = f.at("error").string_value();
      EXPECT_TRUE(absl::StrContains(error, "x\",\"code\":\"OK\"}\\n{"))
          << error;
      EXPECT_FALSE(absl::StrContains(error, "\n"));
    }
  }
  EXPECT_GE(lines, 3);  // Start-up, the RPCs, shutdown.
  EXPECT_EQ(list_lines, 1);
  EXPECT_EQ(get_lines, 1);
}

}  // namespace
}  // namespace coachd
