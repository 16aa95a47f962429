// Where a terminal client writes: width from $COLUMNS when the output is not
// a terminal, the fallback otherwise; helper programs found on $PATH.
#include "clients/common/console.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace coachd {
namespace {

TEST(ConsoleTest, APipeIsNoTerminalAndTakesItsWidthFromColumns) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(IsTerminal(fds[1]));
  struct Case {
    const char* columns;
    int width;
  };
  for (const Case& c :
       {Case{"132", 132}, Case{"40", 40}, Case{nullptr, 80}, Case{"", 80},
        Case{"wide", 80}, Case{"0", 80}, Case{"-5", 80}}) {
    SCOPED_TRACE(c.columns == nullptr ? "(unset)" : c.columns);
    EXPECT_EQ(TerminalColumns(fds[1], c.columns), c.width);
  }
  close(fds[0]);
  close(fds[1]);
}

TEST(ConsoleTest, FindsProgramsOnThePathOnlyWhenExecutable) {
  const std::string dir = ::testing::TempDir() + "console_test_bin";
  mkdir(dir.c_str(), 0755);
  const std::string tool = dir + "/say-it";
  { std::ofstream(tool) << "#!/bin/sh\n"; }
  chmod(tool.c_str(), 0755);
  const std::string plain = dir + "/not-a-tool";
  { std::ofstream(plain) << "text\n"; }
  chmod(plain.c_str(), 0644);
  const std::string path = "/nonexistent:" + dir;
  EXPECT_TRUE(ProgramInPath("say-it", path.c_str()));
  EXPECT_FALSE(ProgramInPath("not-a-tool", path.c_str()));
  EXPECT_FALSE(ProgramInPath("say-it", "/nonexistent"));
  EXPECT_FALSE(ProgramInPath("say-it", nullptr));
  EXPECT_TRUE(ProgramInPath(tool, nullptr));  // A path is used as it is.
  EXPECT_FALSE(ProgramInPath("", path.c_str()));
  unlink(tool.c_str());
  unlink(plain.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace coachd
