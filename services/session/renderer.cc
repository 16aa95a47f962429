#include "services/session/renderer.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/common/check.h"

namespace coachd {
namespace {

using coach::v1::SessionEvent;

std::string EscapeSsml(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// Sentences joined with a pause between them.
void SetSpeech(const std::vector<std::string>& sentences, int pause_ms,
               coach::v1::Speech* speech) {
  speech->set_text(absl::StrJoin(sentences, " "));
  std::string ssml = "<speak>";
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (i > 0) absl::StrAppend(&ssml, "<break time=\"", pause_ms, "ms\"/>");
    absl::StrAppend(&ssml, EscapeSsml(sentences[i]));
  }
  absl::StrAppend(&ssml, "</speak>");
  speech->set_ssml(std::move(ssml));
}

// What a summary's skips were, as a sentence ("You skipped Light Cardio
// Warm-Up and 1 more part."), or "" when nothing was skipped. Items marked
// skipped are named; other skips (sets cut short) are counted.
std::string SkippedSentence(const coach::v1::SessionSummary& summary) {
  std::vector<std::string> parts;
  for (const coach::v1::ItemSummary& item : summary.items()) {
    if (item.skipped()) parts.push_back(item.exercise_name());
  }
  const int named = static_cast<int>(parts.size());
  const int others = summary.skips() - named;
  if (others > 0) {
    parts.push_back(absl::StrCat(others, named > 0 ? " more" : "",
                                 others == 1 ? " part" : " parts"));
  }
  if (parts.empty()) return "";
  std::string text = "You skipped ";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) absl::StrAppend(&text, i + 1 == parts.size() ? " and " : ", ");
    absl::StrAppend(&text, parts[i]);
  }
  return absl::StrCat(text, ".");
}

std::string Reps(int reps, bool per_side) {
  return absl::StrCat(reps, reps == 1 ? " rep" : " reps",
                      per_side ? " per side" : "");
}

std::string PrescriptionText(const coach::v1::Prescription& p) {
  if (p.duration_seconds() > 0) {
    return absl::StrCat(
        p.duration_seconds() / 60 > 0
            ? absl::StrCat(p.duration_seconds() / 60, " minutes")
            : absl::StrCat(p.duration_seconds(), " seconds"),
        ".");
  }
  std::string text =
      absl::StrCat(p.sets(), p.sets() == 1 ? " set of " : " sets of ",
                   Reps(p.reps(), p.per_side()));
  if (p.hold_seconds() > 0) {
    absl::StrAppend(&text, ", with a ", p.hold_seconds(), "-second hold");
  }
  return absl::StrCat(text, ".");
}

}  // namespace

const char* NumberWord(int n) {
  static const char* const kWords[] = {
      "Zero",         "One",         "Two",        "Three",
      "Four",         "Five",        "Six",        "Seven",
      "Eight",        "Nine",        "Ten",        "Eleven",
      "Twelve",       "Thirteen",    "Fourteen",   "Fifteen",
      "Sixteen",      "Seventeen",   "Eighteen",   "Nineteen",
      "Twenty",       "Twenty-one",  "Twenty-two", "Twenty-three",
      "Twenty-four",  "Twenty-five", "Twenty-six", "Twenty-seven",
      "Twenty-eight", "Twenty-nine", "Thirty"};
  if (n >= 0 && n <= 30) return kWords[n];
  return "";
}

const char* RunStateWords(coach::v1::RunState state) {
  switch (state) {
    case coach::v1::RUN_STATE_RUNNING:
      return "running";
    case coach::v1::RUN_STATE_PAUSED:
      return "paused";
    case coach::v1::RUN_STATE_DISCOMFORT:
      return "stopped for discomfort";
    case coach::v1::RUN_STATE_FINISHED:
      return "finished";
    default:
      return "not started";
  }
}

void RenderEvent(const RenderContext& ctx, SessionEvent* ev) {
  const coach::v1::SessionStatus& st = ev->status();
  const coach::v1::Exercise* ex = ctx.exercise;
  coach::v1::Card* card = ev->mutable_card();
  std::vector<std::string> say;
  int pause_ms = 400;

  card->set_title(ex != nullptr ? ex->name() : "");
  if (ex != nullptr) {
    for (const std::string& s : ex->steps()) card->add_steps(s);
  }
  card->set_current_step_index(ctx.flow_or_step_index);
  card->set_set(st.set());
  card->set_sets(st.sets());
  card->set_rep(st.rep());
  card->set_reps(st.reps());
  card->set_side(st.side());
  // A card counts down only a step's own timer (a hold's as a whole), not
  // the reminder of a set that waits for "done" (timer_seconds 0).
  COACHD_DCHECK(ctx.timer_past_deadline_us >= 0,
                "a card's timer cannot end before the step's deadline");
  if (st.has_deadline() && ctx.timer_seconds > 0) {
    const int64_t end_us = st.deadline().seconds() * 1000000 +
                           st.deadline().nanos() / 1000 +
                           ctx.timer_past_deadline_us;
    card->mutable_deadline()->set_seconds(end_us / 1000000);
    card->mutable_deadline()->set_nanos(
        static_cast<int>(end_us % 1000000 * 1000));
    card->set_timer_seconds(ctx.timer_seconds);
  }
  card->set_progress_percent(
      st.step_count() > 1 ? st.step_index() * 100 / (st.step_count() - 1) : 0);
  card->set_accent("work");

  switch (ev->payload_case()) {
    case SessionEvent::kSessionStarted: {
      const coach::v1::Routine& r = ev->session_started().routine();
      say.push_back(
          absl::StrCat("Welcome to your back workout: ", r.title(), "."));
      say.push_back(absl::StrCat("About ", (r.estimated_seconds() + 59) / 60,
                                 " minutes, ", r.items_size(),
                                 " parts. Let's begin."));
      card->set_title(r.title());
      card->set_current_step("Starting");
      card->set_accent("info");
      break;
    }
    case SessionEvent::kWarmupStarted: {
      say.push_back(
          absl::StrCat("Warm up first: ", ev->warmup_started().seconds() / 60,
                       " minutes of light cardio to get the blood "
                       "flowing."));
      if (ex != nullptr) {
        for (const std::string& s : ex->setup()) say.push_back(s);
      }
      card->set_current_step("Light cardio warm-up");
      break;
    }
    case SessionEvent::kExerciseIntro: {
      const auto& intro = ev->exercise_intro();
      say.push_back(absl::StrCat("Next: ", intro.name(), "."));
      if (!intro.good_for().empty()) say.push_back(intro.good_for());
      for (const std::string& s : intro.setup()) say.push_back(s);
      say.push_back(PrescriptionText(intro.prescription()));
      card->set_current_step(intro.setup_size() > 0 ? intro.setup(0)
                                                    : "Get into position");
      card->set_accent("info");
      break;
    }
    case SessionEvent::kStepCue:
      say.push_back(ev->step_cue().text());
      card->set_current_step(ev->step_cue().text());
      break;
    case SessionEvent::kBreathCue:
      say.push_back(ev->breath_cue().text());
      card->set_current_step(ev->breath_cue().text());
      break;
    case SessionEvent::kSetStarted: {
      const auto& s = ev->set_started();
      std::string line = absl::StrCat("Set ", s.set(), " of ", s.sets());
      if (!s.side().empty()) absl::StrAppend(&line, ", ", s.side());
      absl::StrAppend(&line, ": ", Reps(s.reps(), false));
      say.push_back(absl::StrCat(line, "."));
      if (!s.self_paced()) say.push_back("Ready.");
      card->set_current_step(line);
      break;
    }
    case SessionEvent::kRep: {
      const auto& r = ev->rep();
      say.push_back(absl::StrCat(NumberWord(r.rep()), "."));
      card->set_current_step(absl::StrCat("Rep ", r.rep(), " of ", r.reps()));
      break;
    }
    case SessionEvent::kHoldCountdown: {
      const int left = ev->hold_countdown().seconds_left();
      if (left == ev->hold_countdown().hold_seconds()) {
        say.push_back(absl::StrCat(
            "Hold, ", absl::AsciiStrToLower(NumberWord(left)), "."));
      } else {
        say.push_back(absl::StrCat(NumberWord(left), "."));
      }
      pause_ms = 200;
      card->set_current_step(absl::StrCat("Hold... ", left));
      card->set_banner("Hold");
      break;
    }
    case SessionEvent::kSwitchSides:
      say.push_back(absl::StrCat("Switch sides: now your ",
                                 ev->switch_sides().side(), "."));
      card->set_current_step(
          absl::StrCat("Switch to your ", ev->switch_sides().side()));
      card->set_accent("rest");
      break;
    case SessionEvent::kRestStarted:
      say.push_back(absl::StrCat("Rest for ", ev->rest_started().seconds(),
                                 " seconds. Shake it out and breathe."));
      card->set_current_step("Rest");
      card->set_accent("rest");
      break;
    case SessionEvent::kSetDone:
      say.push_back(absl::StrCat("That's set ", ev->set_done().set(), " of ",
                                 ev->set_done().sets(), "."));
      card->set_current_step(absl::StrCat("Set ", ev->set_done().set(), " of ",
                                          ev->set_done().sets(), " done"));
      break;
    case SessionEvent::kDoneReminder:
      say.push_back("Take your time. Say done when you finish the set.");
      card->set_current_step("Say \"done\" when you finish the set");
      break;
    case SessionEvent::kSafetyNote:
      say.push_back(ev->safety_note().text());
      card->set_current_step(ev->safety_note().text());
      card->set_banner(ev->safety_note().text());
      card->set_accent("alert");
      break;
    case SessionEvent::kPaused:
      say.push_back("Paused. Say resume when you're ready.");
      // The display's timer stops; the card says what is left of it.
      if (ev->paused().remaining_ms() > 0) {
        const int64_t left = (ev->paused().remaining_ms() + 999) / 1000;
        card->set_current_step(absl::StrCat("Paused, ", left / 60, ":",
                                            left % 60 < 10 ? "0" : "",
                                            left % 60, " left on the timer"));
      } else {
        card->set_current_step("Paused");
      }
      card->set_banner("Paused");
      card->set_accent("paused");
      break;
    case SessionEvent::kResumed:
      say.push_back("Resuming.");
      card->set_current_step("Resuming");
      break;
    case SessionEvent::kDiscomfortReported:
      say.push_back("Stop the exercise now. Don't push through pain.");
      say.push_back(
          "You can skip it, switch to a gentle mobility move, or end the "
          "session.");
      card->set_current_step("Stopped: discomfort reported");
      card->set_banner(absl::StrCat(
          "Discomfort reported",
          ev->discomfort_reported().note().empty()
              ? ""
              : absl::StrCat(": ", ev->discomfort_reported().note()),
          ". Skip, switch to mobility, or end."));
      card->set_accent("alert");
      break;
    case SessionEvent::kCoachCue:
      say.push_back(absl::StrCat("Your coach says: ", ev->coach_cue().text()));
      card->set_banner(absl::StrCat("Coach: ", ev->coach_cue().text()));
      card->set_current_step(ev->coach_cue().text());
      break;
    case SessionEvent::kExerciseDone:
      if (ev->exercise_done().skipped()) {
        say.push_back(absl::StrCat("Skipping ", card->title(), "."));
      } else {
        say.push_back(absl::StrCat("Nice work. ", card->title(), " done."));
      }
      card->set_current_step(ev->exercise_done().skipped() ? "Skipped"
                                                           : "Done");
      card->set_accent("done");
      break;
    case SessionEvent::kExerciseSwitched:
      say.push_back(absl::StrCat("Let's switch to ", card->title(),
                                 ", a gentle mobility move."));
      card->set_current_step("Switching to a mobility move");
      break;
    case SessionEvent::kSessionDone: {
      const auto& done = ev->session_done();
      const int minutes =
          static_cast<int>((done.summary().duration_ms() + 30000) / 60000);
      if (done.ended_early()) {
        say.push_back("Session ended. Good on you for showing up.");
      } else {
        say.push_back("Workout complete. Great job!");
      }
      // Percent done counts reps; what was skipped is said too, so a session
      // with its warm-up skipped never sounds like all of the plan.
      const std::string skipped = SkippedSentence(done.summary());
      const char* of_what = skipped.empty() ? " percent of the plan in "
                                            : " percent of the reps in ";
      say.push_back(absl::StrCat("You did ", done.summary().percent_done(),
                                 of_what, minutes,
                                 minutes == 1 ? " minute." : " minutes."));
      if (!skipped.empty()) say.push_back(skipped);
      card->set_title("Workout complete");
      card->clear_steps();
      card->set_current_step(
          skipped.empty() ? absl::StrCat(done.summary().percent_done(),
                                         "% of the plan done")
                          : absl::StrCat(done.summary().percent_done(),
                                         "% of the reps done, ",
                                         done.summary().skips(), " skipped"));
      card->set_progress_percent(100);
      card->set_accent("done");
      break;
    }
    case SessionEvent::kSnapshot:
    case SessionEvent::PAYLOAD_NOT_SET:
      break;
  }
  if (st.step_kind() == coach::v1::STEP_KIND_REST &&
      ev->payload_case() != SessionEvent::kRestStarted) {
    card->set_accent("rest");
  }
  if (st.run_state() == coach::v1::RUN_STATE_PAUSED) card->set_accent("paused");
  if (st.run_state() == coach::v1::RUN_STATE_DISCOMFORT) {
    card->set_accent("alert");
  }
  if (!say.empty()) SetSpeech(say, pause_ms, ev->mutable_speech());
}

}  // namespace coachd
