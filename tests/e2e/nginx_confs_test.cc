// deploy/nginx/'s three files as shipped: each passes `nginx -t` (the TLS
// ones with a test certificate in place of /etc/coachd/tls/), and each
// sends gRPC to the same three coachd replicas, 127.0.0.1:50051-50053, the
// layout of deploy/stack.sh, deploy/systemd/ and deploy/k8s/.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/child_process.h"
#include "tests/common/test_pki.h"

namespace coachd {
namespace {

using ::testing::ElementsAre;

constexpr char kNginx[] = "/usr/sbin/nginx";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The `server` lines of the file's `upstream coachd { ... }` block.
std::vector<std::string> CoachdUpstreams(const std::string& conf) {
  std::vector<std::string> servers;
  bool inside = false;
  for (absl::string_view line : absl::StrSplit(conf, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line == "upstream coachd {") {
      inside = true;
    } else if (inside && line == "}") {
      break;
    } else if (inside && absl::StartsWith(line, "server ")) {
      servers.emplace_back(line);
    }
  }
  return servers;
}

class NginxConfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "coachd_confs_XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

TEST_F(NginxConfsTest, EachFileSendsGrpcToTheSameThreeReplicas) {
  for (const char* name :
       {"coachd.conf", "coachd-tls.conf", "coachd-stack.conf"}) {
    SCOPED_TRACE(name);
    const std::string conf =
        ReadAll(std::string(COACHD_SOURCE_DIR) + "/deploy/nginx/" + name);
    ASSERT_FALSE(conf.empty());
    EXPECT_THAT(CoachdUpstreams(conf),
                ElementsAre("server 127.0.0.1:50051 max_fails=1 "
                            "fail_timeout=2s;",
                            "server 127.0.0.1:50052 max_fails=1 "
                            "fail_timeout=2s;",
                            "server 127.0.0.1:50053 max_fails=1 "
                            "fail_timeout=2s;"));
  }
}

TEST_F(NginxConfsTest, EachFilePassesNginxTest) {
  if (access(kNginx, X_OK) != 0) GTEST_SKIP() << "no " << kNginx;
  TestPki pki(dir_);
  ASSERT_TRUE(pki.MakeCa("ca") && pki.MakeLeaf("server", "ca"));
  for (const char* name :
       {"coachd.conf", "coachd-tls.conf", "coachd-stack.conf"}) {
    SCOPED_TRACE(name);
    const std::string conf = absl::StrReplaceAll(
        ReadAll(std::string(COACHD_SOURCE_DIR) + "/deploy/nginx/" + name),
        {{"/etc/coachd/tls/server.pem", pki.Path("server.pem")},
         {"/etc/coachd/tls/server.key", pki.Path("server.key")}});
    ASSERT_FALSE(conf.empty());
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << conf;
    auto nginx = ChildProcess::Start(
        {kNginx, "-t", "-p", dir_ + "/", "-e", "stderr", "-c", path},
        dir_ + "/" + name + ".out");
    ASSERT_TRUE(nginx.ok()) << nginx.status();
    const int status = (*nginx)->Wait(absl::Seconds(30));
    const std::string output = (*nginx)->Output();
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(WEXITSTATUS(status), 0) << output;
    EXPECT_THAT(output, ::testing::HasSubstr("test is successful")) << output;
  }
}

}  // namespace
}  // namespace coachd
