#include "clients/display/card_view.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

std::string Fit(absl::string_view text, int width) {
  if (static_cast<int>(text.size()) <= width) return std::string(text);
  return absl::StrCat(text.substr(0, std::max(0, width - 3)), "...");
}

std::string Bar(int percent, int width) {
  const int inner = std::max(1, width - 7);
  const int filled = std::clamp(percent, 0, 100) * inner / 100;
  return absl::StrCat("[", std::string(filled, '#'),
                      std::string(inner - filled, '.'), "] ",
                      std::clamp(percent, 0, 100), "%");
}

}  // namespace

int SecondsLeft(const coach::v1::Card& card, absl::Time now) {
  if (!card.has_deadline()) return -1;
  const absl::Time deadline = absl::FromUnixSeconds(card.deadline().seconds()) +
                              absl::Nanoseconds(card.deadline().nanos());
  const double left = absl::ToDoubleSeconds(deadline - now);
  return left <= 0 ? 0 : static_cast<int>(std::ceil(left));
}

std::string RenderCard(const coach::v1::Card& card, absl::Time now, int width) {
  std::string out;
  const std::string rule(width, '=');
  absl::StrAppend(&out, rule, "\n");
  std::string title = card.title();
  if (!card.accent().empty())
    absl::StrAppend(&title, "  (", card.accent(), ")");
  absl::StrAppend(&out, Fit(title, width), "\n", rule, "\n");
  if (!card.banner().empty()) {
    absl::StrAppend(&out, Fit(absl::StrCat("!! ", card.banner()), width), "\n");
  }
  absl::StrAppend(&out, Fit(absl::StrCat("Now: ", card.current_step()), width),
                  "\n");
  std::string counts;
  if (card.sets() > 0)
    absl::StrAppend(&counts, "Set ", card.set(), " of ", card.sets());
  if (card.reps() > 0 && card.rep() > 0) {
    absl::StrAppend(&counts, counts.empty() ? "" : "   ", "Rep ", card.rep(),
                    " of ", card.reps());
  }
  if (!card.side().empty()) {
    absl::StrAppend(&counts, counts.empty() ? "" : "   ",
                    "Side: ", card.side());
  }
  if (!counts.empty()) absl::StrAppend(&out, Fit(counts, width), "\n");
  const int left = SecondsLeft(card, now);
  if (left >= 0) {
    absl::StrAppend(&out, "Timer: ", left / 60, ":", left % 60 < 10 ? "0" : "",
                    left % 60, "\n");
  }
  if (card.steps_size() > 0) {
    absl::StrAppend(&out, "\n");
    for (int i = 0; i < card.steps_size(); ++i) {
      const bool current = i == card.current_step_index();
      absl::StrAppend(
          &out,
          Fit(absl::StrCat(current ? " > " : "   ", i + 1, ". ", card.steps(i)),
              width),
          "\n");
    }
  }
  absl::StrAppend(&out, "\n", Bar(card.progress_percent(), width), "\n");
  return out;
}

std::string CardLine(const coach::v1::Card& card, absl::Time now) {
  std::string line = absl::StrCat(card.title(), " | ", card.current_step());
  if (card.sets() > 0)
    absl::StrAppend(&line, " | set ", card.set(), "/", card.sets());
  if (card.reps() > 0 && card.rep() > 0) {
    absl::StrAppend(&line, " rep ", card.rep(), "/", card.reps());
  }
  if (!card.side().empty()) absl::StrAppend(&line, " (", card.side(), ")");
  const int left = SecondsLeft(card, now);
  if (left >= 0) absl::StrAppend(&line, " | ", left, "s");
  if (!card.banner().empty()) absl::StrAppend(&line, " | !! ", card.banner());
  absl::StrAppend(&line, " | ", card.progress_percent(), "%");
  return line;
}

}  // namespace coachd
