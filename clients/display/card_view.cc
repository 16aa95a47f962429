#include "clients/display/card_view.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace coachd {
namespace {

std::string Fit(absl::string_view text, int width) {
  if (static_cast<int>(text.size()) <= width) return std::string(text);
  return absl::StrCat(text.substr(0, std::max(0, width - 3)), "...");
}

// `text` as lines of at most `width` columns, broken between words (a word
// longer than a line is split), each continuation line indented by
// `indent` spaces; every line ends in "\n". Nothing is cut.
std::string Wrap(absl::string_view text, int width, int indent) {
  width = std::max(width, indent + 8);
  std::string out;
  // Leading blanks (the step list's margin) are kept.
  const size_t margin = std::min(text.find_first_not_of(' '), text.size());
  std::string line(margin, ' ');
  bool has_words = false;  // Whether `line` holds more than its margin.
  auto flush = [&] {
    absl::StrAppend(&out, line, "\n");
    line = std::string(indent, ' ');
    has_words = false;
  };
  for (absl::string_view word :
       absl::StrSplit(text.substr(margin), ' ', absl::SkipEmpty())) {
    if (has_words && static_cast<int>(line.size() + 1 + word.size()) > width) {
      flush();
    }
    if (has_words) line.push_back(' ');
    while (static_cast<int>(line.size() + word.size()) > width) {
      const size_t room = width - line.size();
      absl::StrAppend(&line, word.substr(0, room));
      word.remove_prefix(room);
      flush();
    }
    absl::StrAppend(&line, word);
    has_words = true;
  }
  if (has_words) flush();
  return out;
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
  // The banner (a safety note, the coach, a pause) and the step are wrapped,
  // never cut.
  if (!card.banner().empty()) {
    absl::StrAppend(&out, Wrap(absl::StrCat("!! ", card.banner()), width, 3));
  }
  absl::StrAppend(&out,
                  Wrap(absl::StrCat("Now: ", card.current_step()), width, 5));
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
      absl::StrAppend(&out, Wrap(absl::StrCat(current ? " > " : "   ", i + 1,
                                              ". ", card.steps(i)),
                                 width, 6));
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

std::string WaitingLine(const coach::v1::Progress& progress) {
  const coach::v1::WeekProgress& week = progress.this_week();
  std::string line = absl::StrCat(
      "this week: ", week.sessions_done(), " of ", week.sessions_target(),
      week.sessions_target() == 1 ? " session" : " sessions", " done; ");
  if (!progress.has_next_reminder()) {
    return absl::StrCat(line, "no reminder planned");
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(progress.goal().time_zone(), &tz)) {
    tz = absl::UTCTimeZone();
  }
  return absl::StrCat(
      line, "next reminder ",
      absl::FormatTime(
          "%a %d %b %H:%M %Z",
          absl::FromUnixSeconds(progress.next_reminder().seconds()), tz));
}

}  // namespace coachd
