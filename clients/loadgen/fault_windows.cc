#include "clients/loadgen/fault_windows.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace coachd {
namespace {

// Unix seconds with an optional fraction ("1765127880.25").
bool ParseUnixSeconds(absl::string_view text, absl::Time* out) {
  double seconds = 0;
  if (!absl::SimpleAtod(text, &seconds) || !std::isfinite(seconds) ||
      seconds < 0) {
    return false;
  }
  *out =
      absl::FromUnixMicros(static_cast<int64_t>(std::llround(seconds * 1e6)));
  return true;
}

}  // namespace

absl::StatusOr<FaultWindows> ParseFaultWindows(absl::string_view text) {
  FaultWindows out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto bad = [number](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("fault windows line ", number, ": ", why));
    };
    if (out.done) return bad("after \"done\"");
    if (line == "done") {
      out.done = true;
      continue;
    }
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(' ', 2));
    if (parts.size() < 3 || absl::StripAsciiWhitespace(parts[2]).empty()) {
      return bad("want \"START END NAME\" or \"done\"");
    }
    FaultWindow w;
    if (!ParseUnixSeconds(parts[0], &w.start)) {
      return bad(absl::StrCat("START \"", parts[0], "\" is not Unix seconds"));
    }
    if (!ParseUnixSeconds(parts[1], &w.end)) {
      return bad(absl::StrCat("END \"", parts[1], "\" is not Unix seconds"));
    }
    if (w.end < w.start) return bad("END is before START");
    w.name = std::string(absl::StripAsciiWhitespace(parts[2]));
    out.windows.push_back(std::move(w));
  }
  return out;
}

int64_t P99(std::vector<int64_t> micros) {
  if (micros.empty()) return -1;
  // Rank ceil(0.99 n), from 1; in integers so that n = 100 gives 99.
  const size_t rank = (micros.size() * 99 + 99) / 100;
  auto at = micros.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(micros.begin(), at, micros.end());
  return *at;
}

std::vector<WindowLatency> LatencyByWindow(
    absl::Time origin, const std::vector<FaultWindow>& windows,
    const std::vector<TimedSample>& commands,
    const std::vector<TimedSample>& events) {
  const size_t quiet = windows.size();
  // Per window (the last: quiet), the samples of each kind.
  std::vector<std::vector<int64_t>> command_us(quiet + 1);
  std::vector<std::vector<int64_t>> event_us(quiet + 1);
  auto split = [&](const std::vector<TimedSample>& samples,
                   std::vector<std::vector<int64_t>>* into) {
    for (const TimedSample& s : samples) {
      bool in_any = false;
      for (size_t i = 0; i < windows.size(); ++i) {
        if (windows[i].start <= s.at && s.at < windows[i].end) {
          (*into)[i].push_back(s.micros);
          in_any = true;
        }
      }
      if (!in_any) (*into)[quiet].push_back(s.micros);
    }
  };
  split(commands, &command_us);
  split(events, &event_us);
  std::vector<WindowLatency> out(quiet + 1);
  for (size_t i = 0; i <= quiet; ++i) {
    if (i < quiet) {
      out[i].name = windows[i].name;
      out[i].from_s = absl::ToDoubleSeconds(windows[i].start - origin);
      out[i].to_s = absl::ToDoubleSeconds(windows[i].end - origin);
    } else {
      out[i].name = "quiet";
    }
    out[i].commands = static_cast<int64_t>(command_us[i].size());
    out[i].command_p99_us = P99(std::move(command_us[i]));
    out[i].events = static_cast<int64_t>(event_us[i].size());
    out[i].event_p99_us = P99(std::move(event_us[i]));
  }
  return out;
}

}  // namespace coachd
