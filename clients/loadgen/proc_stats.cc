#include "clients/loadgen/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace coachd {
namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The number in "   12345 kB".
bool ParseKb(absl::string_view value, int64_t* out) {
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumeSuffix(&value, "kB");
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(value), out);
}

}  // namespace

absl::StatusOr<double> ParseStatCpuSeconds(absl::string_view stat,
                                           long ticks_per_second) {
  // The command name (field 2) is in parentheses and may hold spaces: the
  // fields that follow start after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) {
    return absl::InternalError("stat: no ')' after the command name");
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipWhitespace());
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  if (fields.size() < 13) {
    return absl::InternalError("stat: fewer than 15 fields");
  }
  int64_t utime = 0;
  int64_t stime = 0;
  if (!absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError("stat: utime/stime are not numbers");
  }
  return static_cast<double>(utime + stime) / ticks_per_second;
}

absl::StatusOr<ProcessStats> ParseStatus(absl::string_view status) {
  ProcessStats stats;
  bool have_rss = false;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value = line.substr(colon + 1);
    if (key == "VmRSS") {
      if (!ParseKb(value, &stats.rss_kb)) {
        return absl::InternalError("status: VmRSS is not \"N kB\"");
      }
      have_rss = true;
    } else if (key == "VmHWM") {
      ParseKb(value, &stats.peak_rss_kb);
    } else if (key == "Threads") {
      absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &stats.threads);
    }
  }
  if (!have_rss) return absl::InternalError("status: no VmRSS line");
  return stats;
}

absl::StatusOr<ProcessStats> ReadProcessStats(int pid) {
  const std::string dir =
      pid == 0 ? std::string("/proc/self") : absl::StrCat("/proc/", pid);
  absl::StatusOr<std::string> stat = ReadWhole(dir + "/stat");
  if (!stat.ok()) return stat.status();
  absl::StatusOr<std::string> status = ReadWhole(dir + "/status");
  if (!status.ok()) return status.status();
  absl::StatusOr<ProcessStats> stats = ParseStatus(*status);
  if (!stats.ok()) return stats.status();
  absl::StatusOr<double> cpu = ParseStatCpuSeconds(*stat, sysconf(_SC_CLK_TCK));
  if (!cpu.ok()) return cpu.status();
  stats->cpu_seconds = *cpu;
  return stats;
}

}  // namespace coachd
