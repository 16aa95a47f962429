#include "clients/common/console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace coachd {

bool IsTerminal(int fd) { return isatty(fd) == 1; }

int TerminalColumns(int fd, const char* columns_env) {
  winsize size{};
  if (IsTerminal(fd) && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
  int columns = 0;
  if (columns_env != nullptr && absl::SimpleAtoi(columns_env, &columns) &&
      columns > 0) {
    return columns;
  }
  return kDefaultColumns;
}

bool ProgramInPath(absl::string_view program, const char* path_env) {
  if (program.empty()) return false;
  if (program.find('/') != absl::string_view::npos) {
    return access(std::string(program).c_str(), X_OK) == 0;
  }
  if (path_env == nullptr) return false;
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    if (dir.empty()) dir = ".";
    if (access(absl::StrCat(dir, "/", program).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace coachd
