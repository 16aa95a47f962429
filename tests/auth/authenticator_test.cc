#include "services/auth/authenticator.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;

// A file path unique to the running test, removed when the test ends.
class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(
        ::testing::TempDir(), "coachd_secret_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::remove(path_.c_str());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void Write(const std::string& contents) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << contents;
    ASSERT_TRUE(out.good()) << path_;
  }

  std::string path_;
};

TEST_F(SecretFileTest, MissingFileIsFailedPreconditionNamingThePath) {
  absl::StatusOr<std::string> secret = LoadSecretFile(path_);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr(path_));
  EXPECT_THAT(std::string(secret.status().message()),
              HasSubstr("cannot be read"));
}

TEST_F(SecretFileTest, NoPathIsFailedPreconditionNamingTheFlag) {
  absl::StatusOr<std::string> secret = LoadSecretFile("");
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(secret.status().message()),
              HasSubstr("--auth_secret_file is required"));
}

TEST_F(SecretFileTest, EmptyFileIsFailedPreconditionNamingThePath) {
  // A lone newline is empty too: the one trailing newline is not the key.
  for (const char* contents : {"", "\n"}) {
    SCOPED_TRACE(absl::StrCat("contents: \"", contents, "\""));
    Write(contents);
    absl::StatusOr<std::string> secret = LoadSecretFile(path_);
    ASSERT_FALSE(secret.ok());
    EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(secret.status().message()), HasSubstr(path_));
    EXPECT_THAT(std::string(secret.status().message()), HasSubstr("is empty"));
  }
}

TEST_F(SecretFileTest, ExactlyOneTrailingNewlineIsStripped) {
  struct Case {
    std::string contents;
    std::string secret;
  };
  const std::vector<Case> cases = {
      {"abc", "abc"},
      {"abc\n", "abc"},
      {"abc\n\n", "abc\n"},
      {"\n\n", "\n"},
      {" abc ", " abc "},
      {std::string("a\0b\n", 4), std::string("a\0b", 3)},  // Bytes, not text.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("contents: \"", c.contents, "\""));
    Write(c.contents);
    absl::StatusOr<std::string> secret = LoadSecretFile(path_);
    ASSERT_TRUE(secret.ok()) << secret.status();
    EXPECT_EQ(*secret, c.secret);
  }
}

}  // namespace
}  // namespace coachd
