#include "clients/display/card_view.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "coach/v1/session.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// A fixed "now"; nothing here reads the wall clock.
const absl::Time kNow = absl::FromUnixSeconds(1767596400);

void SetDeadline(coach::v1::Card* card, absl::Time deadline) {
  const int64_t nanos = absl::ToUnixNanos(deadline);
  card->mutable_deadline()->set_seconds(nanos / 1000000000);
  card->mutable_deadline()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

coach::v1::Card RowCard() {
  coach::v1::Card card;
  card.set_title("Bent-Over Row");
  card.set_accent("work");
  card.set_current_step("Pull the weights to your ribs.");
  card.add_steps("Hinge forward with a flat back.");
  card.add_steps("Pull the weights to your ribs.");
  card.add_steps("Lower them slowly.");
  card.set_current_step_index(1);
  card.set_set(2);
  card.set_sets(3);
  card.set_rep(4);
  card.set_reps(8);
  card.set_progress_percent(50);
  return card;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(CardViewTest, SecondsLeftCountsDownFromTheDeadline) {
  struct Case {
    const char* name;
    bool has_deadline;
    absl::Duration until_deadline;
    int seconds_left;
  };
  const std::vector<Case> cases = {
      {"12.2 s left rounds up", true, absl::Milliseconds(12200), 13},
      {"exactly 12 s", true, absl::Seconds(12), 12},
      {"1 ms left", true, absl::Milliseconds(1), 1},
      {"at the deadline", true, absl::ZeroDuration(), 0},
      {"past the deadline", true, -absl::Milliseconds(4500), 0},
      {"no deadline", false, absl::ZeroDuration(), -1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    coach::v1::Card card = RowCard();
    if (c.has_deadline) SetDeadline(&card, kNow + c.until_deadline);
    EXPECT_EQ(SecondsLeft(card, kNow), c.seconds_left);
  }
}

TEST(CardViewTest, RendersTimerAsMinutesAndSeconds) {
  struct Case {
    absl::Duration until_deadline;
    const char* line;
  };
  for (const Case& c :
       std::vector<Case>{{absl::Milliseconds(12200), "Timer: 0:13"},
                         {absl::Seconds(75), "Timer: 1:15"},
                         {absl::Seconds(600), "Timer: 10:00"},
                         {-absl::Seconds(3), "Timer: 0:00"}}) {
    SCOPED_TRACE(c.line);
    coach::v1::Card card = RowCard();
    SetDeadline(&card, kNow + c.until_deadline);
    EXPECT_THAT(Lines(RenderCard(card, kNow, 40)), Contains(c.line));
  }
}

TEST(CardViewTest, NoDeadlineShowsNoTimer) {
  EXPECT_THAT(RenderCard(RowCard(), kNow, 40), Not(HasSubstr("Timer:")));
}

TEST(CardViewTest, MarksTheCurrentStep) {
  const std::vector<std::string> lines = Lines(RenderCard(RowCard(), kNow, 60));
  EXPECT_THAT(lines, Contains("   1. Hinge forward with a flat back."));
  EXPECT_THAT(lines, Contains(" > 2. Pull the weights to your ribs."));
  EXPECT_THAT(lines, Contains("   3. Lower them slowly."));
  EXPECT_THAT(lines, Contains("Set 2 of 3   Rep 4 of 8"));
  EXPECT_THAT(lines, Contains("Bent-Over Row  (work)"));

  coach::v1::Card no_current = RowCard();
  no_current.set_current_step_index(-1);
  EXPECT_THAT(RenderCard(no_current, kNow, 60), Not(HasSubstr(" > ")));
}

TEST(CardViewTest, ProgressBarShowsThePercent) {
  struct Case {
    int percent;
    const char* bar;
  };
  // Width 17: a bar of 10 cells.
  for (const Case& c : std::vector<Case>{{0, "[..........] 0%"},
                                         {50, "[#####.....] 50%"},
                                         {99, "[#########.] 99%"},
                                         {100, "[##########] 100%"},
                                         {150, "[##########] 100%"},
                                         {-5, "[..........] 0%"}}) {
    SCOPED_TRACE(c.percent);
    coach::v1::Card card = RowCard();
    card.set_progress_percent(c.percent);
    EXPECT_EQ(Lines(RenderCard(card, kNow, 17)).back(), c.bar);
  }
}

TEST(CardViewTest, EveryLineFitsTheWidth) {
  coach::v1::Card card = RowCard();
  card.set_title(std::string(200, 'T'));
  card.set_banner(std::string(200, 'B'));
  card.set_current_step(std::string(200, 'S'));
  card.set_side("left");
  card.add_steps(std::string(200, 'x'));
  card.set_progress_percent(100);
  SetDeadline(&card, kNow + absl::Seconds(59));
  for (int width : {20, 40, 80}) {
    SCOPED_TRACE(width);
    const std::vector<std::string> lines = Lines(RenderCard(card, kNow, width));
    ASSERT_GT(lines.size(), 8u);
    for (const std::string& line : lines) {
      EXPECT_LE(static_cast<int>(line.size()), width) << line;
    }
    EXPECT_EQ(lines.front(), std::string(width, '='));
    // Cut text ends in "..." so the reader knows there is more.
    EXPECT_EQ(lines[1], absl::StrCat(std::string(width - 3, 'T'), "..."));
  }
}

TEST(CardViewTest, TheSafetyWarningIsWrappedNeverCut) {
  const std::string warning =
      "Stop if you feel sharp pain, numbness or tingling down a leg, and talk "
      "to a clinician before you go on.";
  coach::v1::Card card = RowCard();
  card.set_banner(warning);
  card.set_current_step(warning);
  for (int width : {30, 60, 80, 200}) {
    SCOPED_TRACE(width);
    // The banner ("!! ...") and the step ("Now: ...") with their wrapped
    // continuation lines (indented), joined back into sentences.
    std::string banner, step;
    std::string* into = nullptr;
    for (const std::string& line : Lines(RenderCard(card, kNow, width))) {
      EXPECT_LE(static_cast<int>(line.size()), width) << line;
      absl::string_view text = line;
      if (absl::ConsumePrefix(&text, "!! ")) {
        into = &banner;
      } else if (absl::ConsumePrefix(&text, "Now: ")) {
        into = &step;
      } else if (into == nullptr || !absl::StartsWith(line, "   ")) {
        into = nullptr;
        continue;
      }
      absl::StrAppend(into, into->empty() ? "" : " ",
                      absl::StripLeadingAsciiWhitespace(text));
    }
    EXPECT_EQ(banner, warning);
    EXPECT_EQ(step, warning);
  }
}

TEST(CardViewTest, WaitingLineShowsTheWeekAndTheNextReminder) {
  coach::v1::Progress progress;
  progress.mutable_goal()->set_time_zone("Europe/London");
  progress.mutable_this_week()->set_sessions_done(1);
  progress.mutable_this_week()->set_sessions_target(3);
  EXPECT_EQ(WaitingLine(progress),
            "this week: 1 of 3 sessions done; no reminder planned");
  // Fri 27 Nov 2026, 13:09 in London (GMT).
  progress.mutable_next_reminder()->set_seconds(1795784940);
  EXPECT_EQ(WaitingLine(progress),
            "this week: 1 of 3 sessions done; next reminder Fri 27 Nov 13:09 "
            "GMT");
  progress.mutable_this_week()->set_sessions_target(1);
  progress.mutable_goal()->set_time_zone("Asia/Tokyo");
  EXPECT_EQ(WaitingLine(progress),
            "this week: 1 of 1 session done; next reminder Fri 27 Nov 22:09 "
            "JST");
}

TEST(CardViewTest, CardLineSumsItUp) {
  coach::v1::Card card = RowCard();
  card.set_side("left");
  card.set_banner("Keep your back flat");
  SetDeadline(&card, kNow + absl::Milliseconds(12200));
  EXPECT_EQ(CardLine(card, kNow),
            "Bent-Over Row | Pull the weights to your ribs. | set 2/3 rep 4/8 "
            "(left) | 13s | !! Keep your back flat | 50%");
  EXPECT_EQ(CardLine(RowCard(), kNow),
            "Bent-Over Row | Pull the weights to your ribs. | set 2/3 rep 4/8 "
            "| 50%");
}

}  // namespace
}  // namespace coachd
