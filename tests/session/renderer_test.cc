// Renderings of coaching events: what a speaker says (text and SSML) and the
// card a display shows.
#include "services/session/renderer.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"
#include "tests/common/catalog_testing.h"

namespace coachd {
namespace {

using ::coach::v1::SessionEvent;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const coach::v1::Routine& TestRoutine() {
  static const coach::v1::Routine* routine = [] {
    auto* r = new coach::v1::Routine;
    r->set_title("Band and floor");
    r->set_estimated_seconds(638);
    r->add_items()->set_exercise_id("warmup");
    r->add_items()->set_exercise_id("band-row");
    return r;
  }();
  return *routine;
}

// An event inside set 2 of 3 of the band row, step 40 of 101.
SessionEvent InSet() {
  SessionEvent ev;
  coach::v1::SessionStatus* st = ev.mutable_status();
  st->set_run_state(coach::v1::RUN_STATE_RUNNING);
  st->set_step_kind(coach::v1::STEP_KIND_REP);
  st->set_item_index(1);
  st->set_set(2);
  st->set_sets(3);
  st->set_rep(4);
  st->set_reps(10);
  st->set_step_index(40);
  st->set_step_count(101);
  st->mutable_deadline()->set_seconds(1767596460);
  return ev;
}

SessionEvent Render(SessionEvent ev, int step_index = 1,
                    int timer_seconds = 2) {
  RenderContext ctx;
  ctx.routine = &TestRoutine();
  ctx.exercise = RealCatalog().FindExercise("band-row");
  ctx.flow_or_step_index = step_index;
  ctx.timer_seconds = timer_seconds;
  RenderEvent(ctx, &ev);
  return ev;
}

struct SpeechCase {
  std::string name;
  std::function<void(SessionEvent*)> payload;
  std::string text;
  std::string ssml;  // Checked when not empty.
  std::string current_step;
  std::string accent;
};

TEST(RendererTest, EachPayloadIsSpokenAndShown) {
  const std::vector<SpeechCase> cases = {
      {"first second of a hold",
       [](SessionEvent* ev) {
         ev->mutable_hold_countdown()->set_seconds_left(3);
         ev->mutable_hold_countdown()->set_hold_seconds(3);
       },
       "Hold, three.", "<speak>Hold, three.</speak>", "Hold... 3", "work"},
      {"later seconds of a hold",
       [](SessionEvent* ev) {
         ev->mutable_hold_countdown()->set_seconds_left(1);
         ev->mutable_hold_countdown()->set_hold_seconds(3);
       },
       "One.", "<speak>One.</speak>", "Hold... 1", "work"},
      {"a rep",
       [](SessionEvent* ev) {
         ev->mutable_rep()->set_rep(4);
         ev->mutable_rep()->set_reps(10);
       },
       "Four.", "", "Rep 4 of 10", "work"},
      {"a set on one side",
       [](SessionEvent* ev) {
         auto* s = ev->mutable_set_started();
         s->set_set(2);
         s->set_sets(3);
         s->set_reps(5);
         s->set_side("left");
       },
       "Set 2 of 3, left: 5 reps. Ready.",
       "<speak>Set 2 of 3, left: 5 reps.<break time=\"400ms\"/>Ready.</speak>",
       "Set 2 of 3, left: 5 reps", "work"},
      {"a self-paced set",
       [](SessionEvent* ev) {
         auto* s = ev->mutable_set_started();
         s->set_set(1);
         s->set_sets(1);
         s->set_reps(1);
         s->set_self_paced(true);
       },
       "Set 1 of 1: 1 rep.", "", "Set 1 of 1: 1 rep", "work"},
      {"switch sides",
       [](SessionEvent* ev) { ev->mutable_switch_sides()->set_side("right"); },
       "Switch sides: now your right.", "", "Switch to your right", "rest"},
      {"rest",
       [](SessionEvent* ev) { ev->mutable_rest_started()->set_seconds(45); },
       "Rest for 45 seconds. Shake it out and breathe.", "", "Rest", "rest"},
      {"set done",
       [](SessionEvent* ev) {
         ev->mutable_set_done()->set_set(2);
         ev->mutable_set_done()->set_sets(3);
       },
       "That's set 2 of 3.", "", "Set 2 of 3 done", "work"},
      {"a step cue with SSML specials",
       [](SessionEvent* ev) {
         ev->mutable_step_cue()->set_text("Pull <gently> & \"slowly\"");
       },
       "Pull <gently> & \"slowly\"",
       "<speak>Pull &lt;gently&gt; &amp; &quot;slowly&quot;</speak>",
       "Pull <gently> & \"slowly\"", "work"},
      {"coach cue",
       [](SessionEvent* ev) {
         ev->mutable_coach_cue()->set_text("Chin tucked");
       },
       "Your coach says: Chin tucked", "", "Chin tucked", "work"},
      {"exercise skipped",
       [](SessionEvent* ev) { ev->mutable_exercise_done()->set_skipped(true); },
       "Skipping Seated Resistance Band Row.", "", "Skipped", "done"},
      {"exercise done", [](SessionEvent* ev) { ev->mutable_exercise_done(); },
       "Nice work. Seated Resistance Band Row done.", "", "Done", "done"},
      {"paused",
       [](SessionEvent* ev) {
         ev->mutable_paused()->set_remaining_ms(2000);
         ev->mutable_status()->set_run_state(coach::v1::RUN_STATE_PAUSED);
         ev->mutable_status()->clear_deadline();
       },
       "Paused. Say resume when you're ready.", "",
       "Paused, 0:02 left on the timer", "paused"},
      {"paused waiting for done",
       [](SessionEvent* ev) {
         ev->mutable_paused()->set_remaining_ms(0);
         ev->mutable_status()->set_run_state(coach::v1::RUN_STATE_PAUSED);
         ev->mutable_status()->clear_deadline();
       },
       "Paused. Say resume when you're ready.", "", "Paused", "paused"},
      {"paused with minutes left",
       [](SessionEvent* ev) {
         ev->mutable_paused()->set_remaining_ms(74500);
         ev->mutable_status()->set_run_state(coach::v1::RUN_STATE_PAUSED);
         ev->mutable_status()->clear_deadline();
       },
       "Paused. Say resume when you're ready.", "",
       "Paused, 1:15 left on the timer", "paused"},
      {"intro",
       [](SessionEvent* ev) {
         auto* intro = ev->mutable_exercise_intro();
         const coach::v1::Exercise& ex =
             *RealCatalog().FindExercise("band-row");
         intro->set_name(ex.name());
         intro->set_good_for(ex.good_for());
         *intro->mutable_setup() = ex.setup();
         *intro->mutable_prescription() = ex.prescription();
       },
       "Next: Seated Resistance Band Row. Tones the mid back and draws the "
       "shoulders back, easy on the joints. Sit on the floor with your legs "
       "straight out in front. Loop the band around the soles of your feet, "
       "one end in each hand. Sit up tall with your core lightly switched "
       "on. 3 sets of 10 reps, with a 1-second hold.",
       "", "Sit on the floor with your legs straight out in front.", "info"},
  };
  for (const SpeechCase& c : cases) {
    SCOPED_TRACE(c.name);
    SessionEvent ev = InSet();
    c.payload(&ev);
    const SessionEvent out = Render(ev);
    EXPECT_EQ(out.speech().text(), c.text);
    if (!c.ssml.empty()) {
      EXPECT_EQ(out.speech().ssml(), c.ssml);
    }
    EXPECT_EQ(out.card().current_step(), c.current_step);
    EXPECT_EQ(out.card().accent(), c.accent);
  }
}

TEST(RendererTest, CardShowsWhereTheSessionIs) {
  const SessionEvent ev = Render(InSet(), /*step_index=*/1, /*timer=*/2);
  const coach::v1::Card& card = ev.card();
  const coach::v1::Exercise& ex = *RealCatalog().FindExercise("band-row");
  EXPECT_EQ(card.title(), ex.name());
  EXPECT_THAT(card.steps(), ElementsAreArray(ex.steps()));
  EXPECT_EQ(card.current_step_index(), 1);
  EXPECT_EQ(card.set(), 2);
  EXPECT_EQ(card.sets(), 3);
  EXPECT_EQ(card.rep(), 4);
  EXPECT_EQ(card.reps(), 10);
  EXPECT_EQ(card.deadline().seconds(), 1767596460);
  EXPECT_EQ(card.timer_seconds(), 2);
  EXPECT_EQ(card.progress_percent(), 40);  // Step 40 of 0..100.
}

TEST(RendererTest, AHoldsCardCountsDownToTheHoldsEndNotTheTicks) {
  SessionEvent ev = InSet();
  ev.mutable_status()->set_step_kind(coach::v1::STEP_KIND_HOLD);
  ev.mutable_status()->mutable_deadline()->set_nanos(750000000);
  ev.mutable_hold_countdown()->set_seconds_left(3);
  ev.mutable_hold_countdown()->set_hold_seconds(3);
  RenderContext ctx;
  ctx.routine = &TestRoutine();
  ctx.exercise = RealCatalog().FindExercise("band-row");
  ctx.timer_seconds = 3;
  ctx.timer_past_deadline_us = 2500000;  // Two more ticks of 1.25 s.
  RenderEvent(ctx, &ev);
  EXPECT_EQ(ev.card().deadline().seconds(), 1767596463);
  EXPECT_EQ(ev.card().deadline().nanos(), 250000000);
  EXPECT_EQ(ev.card().timer_seconds(), 3);
  EXPECT_EQ(ev.status().deadline().seconds(), 1767596460);  // Unchanged.
}

TEST(RendererTest, NoDeadlineMeansNoTimerOnTheCard) {
  SessionEvent ev = InSet();
  ev.mutable_status()->clear_deadline();
  const SessionEvent out = Render(ev, 1, /*timer_seconds=*/30);
  EXPECT_FALSE(out.card().has_deadline());
  EXPECT_EQ(out.card().timer_seconds(), 0);
}

TEST(RendererTest, StoppedStatesOverrideTheAccent) {
  struct Case {
    coach::v1::RunState state;
    coach::v1::StepKind kind;
    std::string accent;
  };
  for (const Case& c :
       {Case{coach::v1::RUN_STATE_PAUSED, coach::v1::STEP_KIND_REP, "paused"},
        Case{coach::v1::RUN_STATE_DISCOMFORT, coach::v1::STEP_KIND_REP,
             "alert"},
        Case{coach::v1::RUN_STATE_RUNNING, coach::v1::STEP_KIND_REST, "rest"},
        Case{coach::v1::RUN_STATE_RUNNING, coach::v1::STEP_KIND_REP, "work"}}) {
    SCOPED_TRACE(absl::StrCat(coach::v1::RunState_Name(c.state), " ",
                              coach::v1::StepKind_Name(c.kind)));
    SessionEvent ev = InSet();
    ev.mutable_status()->set_run_state(c.state);
    ev.mutable_status()->set_step_kind(c.kind);
    ev.mutable_rep()->set_rep(1);  // A repeated cue, say.
    EXPECT_EQ(Render(ev).card().accent(), c.accent);
  }
}

TEST(RendererTest, DiscomfortBannerCarriesTheNote) {
  SessionEvent ev = InSet();
  ev.mutable_status()->set_run_state(coach::v1::RUN_STATE_DISCOMFORT);
  ev.mutable_discomfort_reported()->set_note("lower back");
  const SessionEvent out = Render(ev);
  EXPECT_EQ(out.card().banner(),
            "Discomfort reported: lower back. Skip, switch to mobility, or "
            "end.");
  EXPECT_EQ(out.card().accent(), "alert");
  EXPECT_EQ(out.speech().text(),
            "Stop the exercise now. Don't push through pain. You can skip it, "
            "switch to a gentle mobility move, or end the session.");
}

TEST(RendererTest, SessionDoneSaysHowMuchWasDone) {
  struct Case {
    int64_t duration_ms;
    int percent;
    bool early;
    std::string text;
  };
  for (const Case& c :
       {Case{638000, 100, false,
             "Workout complete. Great job! You did 100 percent of the plan in "
             "11 minutes."},
        Case{40000, 33, true,
             "Session ended. Good on you for showing up. You did 33 percent "
             "of the plan in 1 minute."}}) {
    SCOPED_TRACE(c.text);
    SessionEvent ev = InSet();
    ev.mutable_session_done()->set_ended_early(c.early);
    ev.mutable_session_done()->mutable_summary()->set_duration_ms(
        c.duration_ms);
    ev.mutable_session_done()->mutable_summary()->set_percent_done(c.percent);
    const SessionEvent out = Render(ev);
    EXPECT_EQ(out.speech().text(), c.text);
    EXPECT_EQ(out.card().progress_percent(), 100);
    EXPECT_EQ(out.card().title(), "Workout complete");
    EXPECT_TRUE(out.card().steps().empty());
  }
}

TEST(RendererTest, SessionDoneCountsWhatWasSkipped) {
  struct Case {
    std::vector<std::pair<std::string, bool>> items;  // Name, skipped.
    int skips;
    std::string said;  // After "You did 100 percent of the reps in 2 minutes."
    std::string shown;
  };
  for (const Case& c : {
           Case{{{"Light Cardio Warm-Up", true}, {"Superman", false}},
                1,
                "You skipped Light Cardio Warm-Up.",
                "100% of the reps done, 1 skipped"},
           Case{{{"Light Cardio Warm-Up", true}, {"Superman", true}},
                2,
                "You skipped Light Cardio Warm-Up and Superman.",
                "100% of the reps done, 2 skipped"},
           Case{{{"Superman", false}},
                2,
                "You skipped 2 parts.",
                "100% of the reps done, 2 skipped"},
           Case{{{"A", true}, {"B", true}, {"C", false}},
                3,
                "You skipped A, B and 1 more part.",
                "100% of the reps done, 3 skipped"},
       }) {
    SCOPED_TRACE(c.said);
    SessionEvent ev = InSet();
    coach::v1::SessionSummary* summary =
        ev.mutable_session_done()->mutable_summary();
    summary->set_duration_ms(120000);
    summary->set_percent_done(100);
    summary->set_skips(c.skips);
    for (const auto& [name, skipped] : c.items) {
      coach::v1::ItemSummary* item = summary->add_items();
      item->set_exercise_name(name);
      item->set_skipped(skipped);
    }
    const SessionEvent out = Render(ev);
    EXPECT_EQ(out.speech().text(),
              absl::StrCat("Workout complete. Great job! You did 100 percent "
                           "of the reps in 2 minutes. ",
                           c.said));
    EXPECT_EQ(out.card().current_step(), c.shown);
  }
}

TEST(RendererTest, SessionStartedAnnouncesTheRoutine) {
  SessionEvent ev = InSet();
  *ev.mutable_session_started()->mutable_routine() = TestRoutine();
  const SessionEvent out = Render(ev);
  EXPECT_EQ(out.speech().text(),
            "Welcome to your back workout: Band and floor. About 11 minutes, 2 "
            "parts. Let's begin.");
  EXPECT_EQ(out.card().title(), "Band and floor");
}

TEST(RendererTest, SnapshotsAreNotSpoken) {
  SessionEvent ev = InSet();
  ev.mutable_snapshot()->set_recovered(true);
  EXPECT_FALSE(Render(ev).has_speech());
}

TEST(RendererTest, NumberWords) {
  const std::vector<std::pair<int, std::string>> cases = {
      {0, "Zero"},        {1, "One"},     {3, "Three"}, {10, "Ten"},
      {21, "Twenty-one"}, {30, "Thirty"}, {31, ""},     {-1, ""}};
  for (const auto& [n, word] : cases) {
    SCOPED_TRACE(n);
    EXPECT_EQ(NumberWord(n), word);
  }
}

}  // namespace
}  // namespace coachd
