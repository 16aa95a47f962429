// SafeText, the one place where log lines and status messages are escaped
// and bounded, and the two places that use it.
#include "services/common/safe_text.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/grpc_status.h"
#include "services/common/log.h"

namespace coachd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SafeTextTest, EscapesControlBytesAndCutsAtTheBound) {
  struct Case {
    std::string in;
    size_t max;
    std::string out;
  } cases[] = {
      {"plain text", 64, "plain text"},
      {"bob\nI 2026-12-07T00:00:00.000Z forged", 64,
       "bob\\nI 2026-12-07T00:00:00.000Z forged"},
      {"a\rb\tc", 64, "a\\rb\\tc"},
      {std::string("nul\0here", 8), 64, "nul\\x00here"},
      {"esc\x1b[31m", 64, "esc\\x1b[31m"},
      {"caf\xc3\xa9", 64, "caf\xc3\xa9"},
      {"abcdef", 3, "abc...[3 more bytes]"},
      {"ab\ncd", 3, "ab...[3 more bytes]"},  // Never half an escape.
      {"", 3, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(SafeText(c.in, c.max), c.out);
  }
  const std::string big(1 << 20, 'x');
  EXPECT_EQ(SafeText(big, 64),
            absl::StrCat(std::string(64, 'x'), "...[1048512 more bytes]"));
}

TEST(SafeTextTest, StatusMessagesAreEscapedAndBounded) {
  const grpc::Status status = ToGrpcStatus(absl::NotFoundError(
      absl::StrCat("id: no exercise \"", std::string(1 << 20, 'x'), "\n\"")));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LE(status.error_message().size(), kMaxStatusMessageBytes + 32);
  EXPECT_THAT(status.error_message(), HasSubstr("id: no exercise \"xxx"));
  EXPECT_THAT(status.error_message(), HasSubstr("more bytes]"));
}

// Runs `write` with stderr sent to a file; returns what was written.
template <typename F>
std::string CaptureStderr(F write) {
  const std::string path =
      absl::StrCat(::testing::TempDir(), "/safe_text_", getpid(), ".log");
  std::fflush(stderr);
  const int saved = dup(2);
  FILE* file = std::fopen(path.c_str(), "w");
  dup2(fileno(file), 2);
  write();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::fclose(file);
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

TEST(SafeTextTest, ALogCallIsOneBoundedLineWhateverItsInput) {
  const std::string out = CaptureStderr([] {
    LogWarning("rpc X caller=bob\nI 2026-12-07T00:00:00.000Z rpc forged OK");
    LogWarning(absl::StrCat("id ", std::string(1 << 20, 'y')));
  });
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << out.substr(0, 200);
  EXPECT_THAT(lines[0], HasSubstr("caller=bob\\nI 2026"));
  EXPECT_LE(lines[1].size(), kMaxLogMessageBytes + 64);
  EXPECT_THAT(lines[1], HasSubstr("more bytes]"));
}

}  // namespace
}  // namespace coachd
