// A process's CPU time and resident memory from Linux's /proc, to report what
// a server spent under load.
//
//   absl::StatusOr<ProcessStats> s = ReadProcessStats(pid);
//   double cpu = s->cpu_seconds;  int64_t rss = s->rss_kb;
#ifndef CLIENTS_LOADGEN_PROC_STATS_H_
#define CLIENTS_LOADGEN_PROC_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coachd {

// One reading of a process.
struct ProcessStats {
  double cpu_seconds = 0;   // User + system time since the process started.
  int64_t rss_kb = 0;       // Resident set size now (VmRSS).
  int64_t peak_rss_kb = 0;  // Largest resident set size so far (VmHWM).
  int threads = 0;
};

// Reads /proc/<pid>/stat and /proc/<pid>/status (pid 0: this process).
// NOT_FOUND when the process does not exist; INTERNAL when a file does not
// parse.
absl::StatusOr<ProcessStats> ReadProcessStats(int pid);

// Parsers of the two files' text, for tests. `ticks_per_second` converts
// the stat file's clock ticks.
absl::StatusOr<double> ParseStatCpuSeconds(absl::string_view stat,
                                           long ticks_per_second);
absl::StatusOr<ProcessStats> ParseStatus(absl::string_view status);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_PROC_STATS_H_
