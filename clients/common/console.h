// What a terminal client needs to know about where it writes: whether its
// output is a terminal (redraw with escape codes) or a pipe or file (plain
// lines), how wide the terminal is, and whether a helper program such as
// espeak-ng can be run.
#ifndef CLIENTS_COMMON_CONSOLE_H_
#define CLIENTS_COMMON_CONSOLE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace coachd {

// The fallback width when the terminal's cannot be found.
inline constexpr int kDefaultColumns = 80;

// Whether `fd` is a terminal.
bool IsTerminal(int fd);

// The width to draw in: `fd`'s terminal width (TIOCGWINSZ) when it is a
// terminal, else `columns_env` ($COLUMNS) when it is a positive number, else
// kDefaultColumns. `columns_env` may be null.
int TerminalColumns(int fd, const char* columns_env);

// Whether `program` can be run: an executable file in one of `path_env`'s
// directories ($PATH; may be null), or at `program` itself when it holds a
// slash.
bool ProgramInPath(absl::string_view program, const char* path_env);

}  // namespace coachd

#endif  // CLIENTS_COMMON_CONSOLE_H_
