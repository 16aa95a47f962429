// Latency per fault window of a chaos run: each fault from its start to its
// recovery, and the quiet remainder (in no window). deploy/chaos.sh writes a
// line per fault once it has recovered, and "done" after the last; loadgen
// reads the file at the end of its run and splits its samples by it.
//
//   absl::StatusOr<FaultWindows> w = ParseFaultWindows(file_text);
//   std::vector<WindowLatency> by =
//       LatencyByWindow(run_start, w->windows, commands, events);
//   // by[0..n-1]: the windows in file order; by[n]: "quiet".
#ifndef CLIENTS_LOADGEN_FAULT_WINDOWS_H_
#define CLIENTS_LOADGEN_FAULT_WINDOWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// One fault: [start, end), end its recovery.
struct FaultWindow {
  std::string name;
  absl::Time start;
  absl::Time end;
};

// A fault windows file.
struct FaultWindows {
  std::vector<FaultWindow> windows;
  bool done = false;  // The "done" line was there: no window will follow.
};

// Parses a fault windows file: one line per fault, "START END NAME" (START
// and END in Unix seconds with an optional fraction, END >= START; NAME
// the rest of the line, not empty), a line "done" after the last; blank
// lines are skipped. INVALID_ARGUMENT naming the line (from 1) and what is
// wrong with it.
absl::StatusOr<FaultWindows> ParseFaultWindows(absl::string_view text);

// A latency sample: when what it measures began (a command's first try,
// an event's server_time) and how long it took.
struct TimedSample {
  absl::Time at;
  int64_t micros = 0;
};

// The samples of one window.
struct WindowLatency {
  std::string name;    // The fault's, or "quiet".
  double from_s = -1;  // The window, in seconds from the run's start; -1
  double to_s = -1;    // for "quiet".
  int64_t commands = 0;
  int64_t command_p99_us = -1;  // -1: no sample.
  int64_t events = 0;
  int64_t event_p99_us = -1;
};

// The exact p99 of `micros` (nearest rank: the value of rank
// ceil(0.99 n) in ascending order); -1 when empty.
int64_t P99(std::vector<int64_t> micros);

// One WindowLatency per window in `windows`' order, then one named "quiet":
// a sample whose `at` falls in [start, end) of a window counts in it (in
// each, if windows overlap), and in "quiet" when it falls in none. `origin`
// is the run's start (for from_s and to_s).
std::vector<WindowLatency> LatencyByWindow(
    absl::Time origin, const std::vector<FaultWindow>& windows,
    const std::vector<TimedSample>& commands,
    const std::vector<TimedSample>& events);

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_FAULT_WINDOWS_H_
