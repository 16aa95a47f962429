#include "services/session/session_engine.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/catalog/routine_builder.h"
#include "services/catalog/timing.h"
#include "services/common/check.h"
#include "services/session/renderer.h"

namespace coachd {

using coach::internal::EngineState;
using coach::internal::SessionRecord;
using coach::v1::SessionEvent;
using coach::v1::StepKind;

namespace {

google::protobuf::Timestamp ToProto(int64_t unix_us) {
  google::protobuf::Timestamp t;
  t.set_seconds(unix_us / 1000000);
  t.set_nanos(static_cast<int>((unix_us % 1000000) * 1000));
  return t;
}

absl::Status Forbidden(absl::string_view command, coach::v1::RunState state,
                       absl::string_view why = "") {
  return absl::FailedPreconditionError(
      absl::StrCat(command, ": not allowed while the session is ",
                   RunStateWords(state), why.empty() ? "" : "; ", why));
}

// Steps where the person is working (skipping them skips work).
bool IsWork(StepKind k) {
  return k == coach::v1::STEP_KIND_SET_START || k == coach::v1::STEP_KIND_REP ||
         k == coach::v1::STEP_KIND_HOLD ||
         k == coach::v1::STEP_KIND_REP_RETURN ||
         k == coach::v1::STEP_KIND_AWAIT_DONE ||
         k == coach::v1::STEP_KIND_FLOW || k == coach::v1::STEP_KIND_WARMUP;
}

// What a step is, in words a person hears ("this set runs on its own timer").
const char* StepWords(StepKind k) {
  switch (k) {
    case coach::v1::STEP_KIND_WARMUP:
      return "the warm-up";
    case coach::v1::STEP_KIND_INTRO:
      return "this introduction";
    case coach::v1::STEP_KIND_FLOW:
      return "this move";
    case coach::v1::STEP_KIND_REST:
      return "this rest";
    case coach::v1::STEP_KIND_SWITCH_SIDES:
      return "the switch of sides";
    case coach::v1::STEP_KIND_SET_START:
    case coach::v1::STEP_KIND_REP:
    case coach::v1::STEP_KIND_HOLD:
    case coach::v1::STEP_KIND_REP_RETURN:
      return "this set";
    default:
      return "this part";
  }
}

// A command as the person says or types it (coachctl's words).
std::string CommandWord(coach::v1::CommandType type) {
  switch (type) {
    case coach::v1::COMMAND_TYPE_PAUSE:
      return "pause";
    case coach::v1::COMMAND_TYPE_RESUME:
      return "resume";
    case coach::v1::COMMAND_TYPE_NEXT:
      return "next";
    case coach::v1::COMMAND_TYPE_PREVIOUS:
      return "previous";
    case coach::v1::COMMAND_TYPE_REPEAT:
      return "repeat";
    case coach::v1::COMMAND_TYPE_SET_DONE:
      return "set_done";
    case coach::v1::COMMAND_TYPE_END:
      return "end";
    case coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT:
      return "report_discomfort";
    case coach::v1::COMMAND_TYPE_SKIP_EXERCISE:
      return "skip_exercise";
    case coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY:
      return "switch_to_mobility";
    default:
      return "command";
  }
}

bool IsRepPhase(StepKind k) {
  return k == coach::v1::STEP_KIND_REP || k == coach::v1::STEP_KIND_HOLD ||
         k == coach::v1::STEP_KIND_REP_RETURN;
}

}  // namespace

// The working state of one engine call over one timeline.
class SessionEngine::Run {
 public:
  Run(const SessionEngine& engine, const Timeline& timeline, absl::Time now,
      SessionRecord* record)
      : engine_(engine),
        timeline_(timeline),
        now_us_(absl::ToUnixMicros(now)),
        record_(record),
        st_(record->mutable_engine()) {}

  // The events made, oldest first. Also saves the run's last cue into the
  // state (once per run rather than a copy per cue): call it before the
  // record is used or moved.
  std::vector<SessionEvent> TakeEvents() {
    SaveLastCue();
    return std::move(events_);
  }

  const TimelineStep& step() const { return timeline_.step(st_->step_index()); }

  int64_t DurationUs(int seconds) const {
    return std::max<int64_t>(1,
                             std::llround(seconds * 1e6 / engine_.time_scale_));
  }

  // Emits `ev` with the status after it and its renderings.
  void Push(SessionEvent ev, bool is_cue = true) {
    *ev.mutable_server_time() = ToProto(now_us_);
    *ev.mutable_status() = StatusOf(timeline_, *record_);
    RenderContext ctx;
    ctx.routine = &record_->routine();
    const TimelineStep& s = step();
    if (s.item_index >= 0) ctx.exercise = &timeline_.exercise(s.item_index);
    ctx.flow_or_step_index = CurrentStepIndex(s);
    const CardTimer timer = CardTimerOf(s);
    ctx.timer_seconds = timer.seconds;
    ctx.timer_past_deadline_us = timer.past_deadline_us;
    RenderEvent(ctx, &ev);
    if (is_cue) last_cue_ = static_cast<int>(events_.size());
    events_.push_back(std::move(ev));
  }

  // The timer a card shows at step `s`: its length as it really lasts, and
  // how long it runs past the step's deadline. A hold is one timer on the
  // card from its first tick (its whole length, ending at its end) while
  // the speaker hears one event per second, so a display counts the hold
  // down by itself. A set that waits for "done" shows none (0 seconds).
  struct CardTimer {
    int seconds = 0;
    int64_t past_deadline_us = 0;
  };
  CardTimer CardTimerOf(const TimelineStep& s) const {
    CardTimer timer;
    if (s.kind == coach::v1::STEP_KIND_AWAIT_DONE) return timer;
    if (s.kind == coach::v1::STEP_KIND_HOLD) {
      const int hold =
          record_->routine().items(s.item_index).prescription().hold_seconds();
      COACHD_DCHECK(s.hold_left >= 1 && s.hold_left <= hold,
                    "a hold's tick outside its hold");
      // Each tick lasts DurationUs(1) from the previous one's deadline.
      timer.seconds = std::max(
          1, static_cast<int>(std::lround(hold / engine_.time_scale_)));
      timer.past_deadline_us = (s.hold_left - 1) * DurationUs(1);
      return timer;
    }
    timer.seconds =
        static_cast<int>(std::lround(s.seconds / engine_.time_scale_));
    return timer;
  }

  // Copies the newest cue pushed in this run, if any, into the state.
  void SaveLastCue() {
    if (last_cue_ < 0) return;
    *st_->mutable_last_cue() = events_[static_cast<size_t>(last_cue_)];
    last_cue_ = -1;
  }

  int CurrentStepIndex(const TimelineStep& s) const {
    if (s.item_index < 0) return -1;
    const int n = timeline_.exercise(s.item_index).steps_size();
    if (s.kind == coach::v1::STEP_KIND_FLOW) return s.flow_index;
    if (n == 0) return -1;
    if (s.kind == coach::v1::STEP_KIND_REP ||
        s.kind == coach::v1::STEP_KIND_HOLD) {
      return std::max(0, (n + 1) / 2 - 1);
    }
    if (s.kind == coach::v1::STEP_KIND_REP_RETURN) return n - 1;
    return -1;
  }

  coach::v1::ItemSummary* Item(int index) {
    return st_->mutable_summary()->mutable_items(index);
  }

  // Counts the natural completion of step `index` (a timer ran out, or
  // SET_DONE on a self-paced set). Returns whether it was new (PREVIOUS can
  // replay steps already counted).
  bool Complete(int index) {
    if (index <= st_->tallied_through()) return false;
    st_->set_tallied_through(index);
    const TimelineStep& s = timeline_.step(index);
    if (s.item_index < 0) return true;
    coach::v1::ItemSummary* item = Item(s.item_index);
    if (s.kind == coach::v1::STEP_KIND_HOLD && s.hold_left == 1) {
      item->set_holds_kept(item->holds_kept() + 1);
    }
    if (IsRepPhase(s.kind)) {
      const bool last_phase =
          index + 1 >= timeline_.size() ||
          !IsRepPhase(timeline_.step(index + 1).kind) ||
          timeline_.step(index + 1).kind == coach::v1::STEP_KIND_REP;
      if (last_phase) item->set_reps_done(item->reps_done() + 1);
    }
    if (s.kind == coach::v1::STEP_KIND_AWAIT_DONE) {
      item->set_reps_done(item->reps_done() + s.reps);
    }
    return true;
  }

  // Moves to step `index`, its timer starting at `start_us`, and emits its
  // events. `counted_close`: the step that led here completed naturally, so
  // a set it closes counts as done.
  void Enter(int index, int64_t start_us, bool counted_close,
             bool skipped = false) {
    st_->set_step_index(index);
    st_->set_reminders_sent(0);
    st_->set_remaining_us(-1);
    const TimelineStep& s = timeline_.step(index);
    if (s.seconds > 0) {
      st_->set_deadline_us(start_us + DurationUs(s.seconds));
    } else if (s.kind == coach::v1::STEP_KIND_AWAIT_DONE) {
      st_->set_deadline_us(start_us + DurationUs(kDoneReminderSeconds));
    } else {
      st_->set_deadline_us(0);
    }
    // "That's set 2 of 3" only when the set really ended here, not when
    // NEXT or PREVIOUS jumped onto the step.
    if (s.closes_set > 0 && !skipped && counted_close) {
      coach::v1::ItemSummary* item = Item(s.item_index);
      item->set_sets_done(item->sets_done() + 1);
      SessionEvent ev;
      ev.mutable_set_done()->set_set(s.closes_set);
      ev.mutable_set_done()->set_sets(s.sets);
      Push(std::move(ev));
    }
    const coach::v1::Exercise* ex =
        s.item_index >= 0 ? &timeline_.exercise(s.item_index) : nullptr;
    const coach::v1::Prescription* p =
        s.item_index >= 0
            ? &record_->routine().items(s.item_index).prescription()
            : nullptr;
    SessionEvent ev;
    switch (s.kind) {
      case coach::v1::STEP_KIND_WARMUP:
        ev.mutable_warmup_started()->set_seconds(p->duration_seconds());
        Push(std::move(ev));
        for (const std::string& note : ex->safety()) {
          SessionEvent safety;
          safety.mutable_safety_note()->set_text(note);
          Push(std::move(safety));
        }
        break;
      case coach::v1::STEP_KIND_INTRO: {
        auto* intro = ev.mutable_exercise_intro();
        intro->set_exercise_id(ex->id());
        intro->set_name(ex->name());
        intro->set_good_for(ex->good_for());
        *intro->mutable_setup() = ex->setup();
        *intro->mutable_prescription() = *p;
        Push(std::move(ev));
        for (const std::string& note : ex->safety()) {
          SessionEvent safety;
          safety.mutable_safety_note()->set_text(note);
          Push(std::move(safety));
        }
        break;
      }
      case coach::v1::STEP_KIND_FLOW:
        ev.mutable_step_cue()->set_text(ex->steps(s.flow_index));
        ev.mutable_step_cue()->set_step_index(s.flow_index);
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_SET_START: {
        auto* set = ev.mutable_set_started();
        set->set_set(s.set);
        set->set_sets(s.sets);
        set->set_reps(s.reps);
        set->set_side(s.side);
        set->set_self_paced(p->self_paced());
        Push(std::move(ev));
        break;
      }
      case coach::v1::STEP_KIND_AWAIT_DONE:
        // No timer from here: every device learns the set now waits for done.
        ev.mutable_step_cue()->set_text(absl::StrCat(
            s.reps, s.reps == 1 ? " rep" : " reps",
            s.side.empty() ? "" : absl::StrCat(" on your ", s.side),
            " at your own pace. Say done when you finish."));
        ev.mutable_step_cue()->set_step_index(-1);
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_REP: {
        ev.mutable_rep()->set_rep(s.rep);
        ev.mutable_rep()->set_reps(s.reps);
        ev.mutable_rep()->set_side(s.side);
        Push(std::move(ev));
        if (s.first_rep_of_set) {
          const int half = (ex->steps_size() + 1) / 2;
          for (int i = 0; i < half; ++i) PushStepCue(*ex, i);
        }
        PushBreath(*ex, coach::v1::BREATH_PHASE_EFFORT);
        break;
      }
      case coach::v1::STEP_KIND_HOLD:
        ev.mutable_hold_countdown()->set_seconds_left(s.hold_left);
        ev.mutable_hold_countdown()->set_hold_seconds(p->hold_seconds());
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_REP_RETURN:
        if (s.first_rep_of_set) {
          const int half = (ex->steps_size() + 1) / 2;
          for (int i = half; i < ex->steps_size(); ++i) PushStepCue(*ex, i);
        }
        PushBreath(*ex, coach::v1::BREATH_PHASE_RETURN);
        break;
      case coach::v1::STEP_KIND_SWITCH_SIDES:
        ev.mutable_switch_sides()->set_side(s.side);
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_REST:
        // The rest as it really lasts (the time scale applied), like its
        // deadline.
        ev.mutable_rest_started()->set_seconds(std::max<int>(
            1, static_cast<int>(std::lround(s.seconds / engine_.time_scale_))));
        *ev.mutable_rest_started()->mutable_deadline() =
            ToProto(st_->deadline_us());
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_EXERCISE_DONE:
        ev.mutable_exercise_done()->set_exercise_id(ex->id());
        ev.mutable_exercise_done()->set_skipped(skipped);
        Push(std::move(ev));
        break;
      case coach::v1::STEP_KIND_SESSION_DONE:
        Finish(/*ended_early=*/false);
        break;
      default:
        break;
    }
  }

  void PushStepCue(const coach::v1::Exercise& ex, int i) {
    SessionEvent ev;
    ev.mutable_step_cue()->set_text(ex.steps(i));
    ev.mutable_step_cue()->set_step_index(i);
    Push(std::move(ev));
  }

  void PushBreath(const coach::v1::Exercise& ex, coach::v1::BreathPhase phase) {
    for (const coach::v1::BreathCue& cue : ex.breathing()) {
      if (cue.phase() != phase) continue;
      SessionEvent ev;
      ev.mutable_breath_cue()->set_phase(phase);
      ev.mutable_breath_cue()->set_text(cue.text());
      Push(std::move(ev));
    }
  }

  // Ends the session: final tallies and the summary event.
  void Finish(bool ended_early) {
    st_->set_step_index(timeline_.size() - 1);
    st_->set_run_state(coach::v1::RUN_STATE_FINISHED);
    st_->set_deadline_us(0);
    st_->set_remaining_us(-1);
    st_->set_ended_us(now_us_);
    coach::v1::SessionSummary* summary = st_->mutable_summary();
    summary->set_duration_ms((now_us_ - st_->started_us()) / 1000);
    summary->set_completed(!ended_early);
    int64_t prescribed = 0, done = 0;
    for (const coach::v1::ItemSummary& item : summary->items()) {
      prescribed += item.reps_prescribed();
      done += std::min(item.reps_done(), item.reps_prescribed());
    }
    summary->set_percent_done(
        prescribed > 0 ? static_cast<int>(done * 100 / prescribed) : 100);
    SessionEvent ev;
    *ev.mutable_session_done()->mutable_summary() = *summary;
    ev.mutable_session_done()->set_ended_early(ended_early);
    Push(std::move(ev));
  }

  // Completes the current step naturally and enters the next one at `at_us`.
  void Advance(int64_t at_us) {
    const int current = st_->step_index();
    const bool fresh = Complete(current);
    Enter(current + 1, at_us, fresh);
  }

  // Fires every due timer. Each pass moves a step on or sends a done
  // reminder, so the timeline bounds the passes; more would be a broken
  // engine (a step that does not move), asserted rather than spun on.
  void FireDue() {
    const int bound = timeline_.size() * 4 + kMaxDoneReminders + 8;
    for (int pass = 0; st_->run_state() == coach::v1::RUN_STATE_RUNNING &&
                       st_->deadline_us() != 0 && st_->deadline_us() <= now_us_;
         ++pass) {
      if (pass == bound) {
        COACHD_DCHECK(pass < bound, "a due timer does not move the session on");
        return;
      }
      if (step().kind == coach::v1::STEP_KIND_AWAIT_DONE) {
        st_->set_reminders_sent(st_->reminders_sent() + 1);
        SessionEvent ev;
        ev.mutable_done_reminder()->set_count(st_->reminders_sent());
        st_->set_deadline_us(st_->reminders_sent() < kMaxDoneReminders
                                 ? st_->deadline_us() +
                                       DurationUs(kDoneReminderSeconds)
                                 : 0);
        Push(std::move(ev), /*is_cue=*/false);
        continue;
      }
      Advance(st_->deadline_us());
    }
  }

  // Stops every timer, keeping what is left.
  void StopTimers() {
    if (st_->deadline_us() != 0) {
      st_->set_remaining_us(std::max<int64_t>(0, st_->deadline_us() - now_us_));
    }
    st_->set_deadline_us(0);
  }

  void JumpTo(int index, bool skipped = false) {
    st_->set_run_state(coach::v1::RUN_STATE_RUNNING);
    Enter(index, now_us_, /*counted_close=*/false, skipped);
  }

  absl::Status ApplyCommand(const EngineCommand& c) {
    const coach::v1::RunState state = st_->run_state();
    if (state == coach::v1::RUN_STATE_FINISHED) {
      return Forbidden(CommandWord(c.type), state);
    }
    const bool stopped = state == coach::v1::RUN_STATE_PAUSED ||
                         state == coach::v1::RUN_STATE_DISCOMFORT;
    switch (c.type) {
      case coach::v1::COMMAND_TYPE_PAUSE: {
        if (state != coach::v1::RUN_STATE_RUNNING) {
          return Forbidden("pause", state, "say resume to continue");
        }
        StopTimers();
        st_->set_run_state(coach::v1::RUN_STATE_PAUSED);
        st_->mutable_summary()->set_pauses(st_->summary().pauses() + 1);
        SessionEvent ev;
        ev.mutable_paused()->set_remaining_ms(
            std::max<int64_t>(0, st_->remaining_us()) / 1000);
        Push(std::move(ev), /*is_cue=*/false);
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_RESUME: {
        if (!stopped) return Forbidden("resume", state, "nothing to resume");
        st_->set_run_state(coach::v1::RUN_STATE_RUNNING);
        st_->set_deadline_us(st_->remaining_us() >= 0
                                 ? now_us_ +
                                       std::max<int64_t>(1, st_->remaining_us())
                                 : 0);
        st_->set_remaining_us(-1);
        SessionEvent ev;
        if (st_->deadline_us() != 0) {
          *ev.mutable_resumed()->mutable_deadline() =
              ToProto(st_->deadline_us());
        } else {
          ev.mutable_resumed();
        }
        Push(std::move(ev), /*is_cue=*/false);
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_NEXT: {
        if (state == coach::v1::RUN_STATE_DISCOMFORT) return SkipExercise();
        if (IsWork(step().kind)) {  // Only skipped work counts as a skip.
          st_->mutable_summary()->set_skips(st_->summary().skips() + 1);
          // A timed item (the warm-up, a stretch) has no reps to show what
          // was left out: it is marked skipped instead.
          const int item = step().item_index;
          if (item >= 0 && Item(item)->reps_prescribed() == 0) {
            Item(item)->set_skipped(true);
          }
        }
        JumpTo(timeline_.NextSegment(st_->step_index()));
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_PREVIOUS: {
        const int target = timeline_.PreviousSegment(st_->step_index());
        if (target < 0) {
          return absl::FailedPreconditionError(
              "previous: already at the first part of the session");
        }
        JumpTo(target);
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_REPEAT: {
        SaveLastCue();
        if (!st_->has_last_cue()) {
          return absl::FailedPreconditionError("repeat: nothing said yet");
        }
        SessionEvent ev = st_->last_cue();
        ev.set_repeated_cue(true);
        *ev.mutable_server_time() = ToProto(now_us_);
        *ev.mutable_status() = StatusOf(timeline_, *record_);
        // The card's timer is the one running now (none while paused).
        const CardTimer timer = CardTimerOf(step());
        if (ev.status().has_deadline() && timer.seconds > 0) {
          *ev.mutable_card()->mutable_deadline() =
              ToProto(st_->deadline_us() + timer.past_deadline_us);
          ev.mutable_card()->set_timer_seconds(timer.seconds);
        } else {
          ev.mutable_card()->clear_deadline();
          ev.mutable_card()->set_timer_seconds(0);
        }
        events_.push_back(std::move(ev));
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_SET_DONE: {
        if (step().kind != coach::v1::STEP_KIND_AWAIT_DONE) {
          return absl::FailedPreconditionError(
              absl::StrCat("set_done: ", StepWords(step().kind),
                           " runs on its own timer; say next to skip it"));
        }
        if (state == coach::v1::RUN_STATE_DISCOMFORT) {
          return Forbidden("set_done", state, "skip, switch, resume or end");
        }
        st_->set_run_state(coach::v1::RUN_STATE_RUNNING);
        Advance(now_us_);
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_END:
        Finish(/*ended_early=*/true);
        return absl::OkStatus();
      case coach::v1::COMMAND_TYPE_REPORT_DISCOMFORT: {
        if (state == coach::v1::RUN_STATE_RUNNING) StopTimers();
        st_->set_run_state(coach::v1::RUN_STATE_DISCOMFORT);
        const TimelineStep& s = step();
        const std::string exercise_id =
            s.item_index >= 0 ? timeline_.exercise(s.item_index).id() : "";
        if (s.item_index >= 0) Item(s.item_index)->set_discomfort(true);
        coach::v1::DiscomfortRecord* rec =
            st_->mutable_summary()->add_discomfort();
        rec->set_exercise_id(exercise_id);
        rec->set_note(c.note);
        *rec->mutable_at() = ToProto(now_us_);
        SessionEvent ev;
        auto* d = ev.mutable_discomfort_reported();
        d->set_exercise_id(exercise_id);
        d->set_note(c.note);
        d->add_options("skip");
        d->add_options("switch to a mobility move");
        d->add_options("end");
        if (c.from_kind != coach::v1::DEVICE_KIND_UNSPECIFIED) {
          d->set_device_kind(coach::v1::DeviceKind_Name(c.from_kind));
        }
        Push(std::move(ev), /*is_cue=*/false);
        const std::string& note = engine_.catalog_->file().discomfort_note();
        if (!note.empty()) {
          SessionEvent safety;
          safety.mutable_safety_note()->set_text(note);
          Push(std::move(safety), /*is_cue=*/false);
        }
        return absl::OkStatus();
      }
      case coach::v1::COMMAND_TYPE_SKIP_EXERCISE:
        return SkipExercise();
      case coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY:
        return absl::InternalError("switch handled by the engine");
      default:
        return absl::InvalidArgumentError(
            "command: must be one of pause, resume, next, previous, repeat, "
            "set_done, end, report_discomfort, skip_exercise, "
            "switch_to_mobility");
    }
  }

  absl::Status SkipExercise() {
    const TimelineStep& s = step();
    if (s.item_index < 0) {
      return absl::FailedPreconditionError("skip: no exercise is running");
    }
    Item(s.item_index)->set_skipped(true);
    st_->mutable_summary()->set_skips(st_->summary().skips() + 1);
    JumpTo(timeline_.DoneStepOf(s.item_index), /*skipped=*/true);
    return absl::OkStatus();
  }

  // Initial state and first events.
  void Start() {
    EngineState fresh;
    *st_ = fresh;
    st_->set_run_state(coach::v1::RUN_STATE_RUNNING);
    st_->set_started_us(now_us_);
    st_->set_tallied_through(-1);
    st_->set_remaining_us(-1);
    for (const coach::v1::RoutineItem& ri : record_->routine().items()) {
      AddItemSummary(ri, st_->mutable_summary()->add_items());
    }
    SessionEvent ev;
    *ev.mutable_session_started()->mutable_routine() = record_->routine();
    Push(std::move(ev));
    Enter(0, now_us_, false);
  }

  static void AddItemSummary(const coach::v1::RoutineItem& ri,
                             coach::v1::ItemSummary* item) {
    const coach::v1::Prescription& p = ri.prescription();
    item->set_exercise_id(ri.exercise_id());
    item->set_exercise_name(ri.exercise_name());
    if (p.duration_seconds() == 0) {
      const int sides = p.per_side() ? 2 : 1;
      item->set_sets_prescribed(p.sets());
      item->set_reps_prescribed(p.sets() * p.reps() * sides);
      item->set_holds_prescribed(
          p.hold_seconds() > 0 ? p.sets() * p.reps() * sides : 0);
    }
  }

  static coach::v1::SessionStatus StatusOf(const Timeline& timeline,
                                           const SessionRecord& record) {
    const EngineState& st = record.engine();
    coach::v1::SessionStatus status;
    const TimelineStep& s = timeline.step(st.step_index());
    status.set_run_state(st.run_state());
    status.set_step_kind(s.kind);
    status.set_item_index(s.item_index >= 0 ? s.item_index
                                            : record.routine().items_size());
    if (s.item_index >= 0) {
      status.set_exercise_id(timeline.exercise(s.item_index).id());
      status.set_exercise_name(timeline.exercise(s.item_index).name());
    }
    status.set_set(s.set);
    status.set_sets(s.sets);
    status.set_rep(s.rep);
    status.set_reps(s.reps);
    status.set_side(s.side);
    if (st.deadline_us() != 0) {
      *status.mutable_deadline() = ToProto(st.deadline_us());
    }
    if (st.remaining_us() >= 0 &&
        st.run_state() != coach::v1::RUN_STATE_RUNNING) {
      status.set_remaining_ms(st.remaining_us() / 1000);
    }
    status.set_step_index(st.step_index());
    status.set_step_count(timeline.size());
    status.set_items_done(s.item_index >= 0 ? s.item_index
                                            : record.routine().items_size());
    if (s.kind == coach::v1::STEP_KIND_EXERCISE_DONE) {
      status.set_items_done(s.item_index + 1);
    }
    return status;
  }

  const SessionEngine& engine_;
  const Timeline& timeline_;
  const int64_t now_us_;
  SessionRecord* record_;
  EngineState* st_;
  std::vector<SessionEvent> events_;
  int last_cue_ = -1;  // Index in events_ of the newest cue not yet saved.
};

absl::StatusOr<std::unique_ptr<SessionEngine>> SessionEngine::Create(
    const Catalog* catalog, const coach::v1::Routine& routine,
    double time_scale) {
  if (!(time_scale > 0)) {
    return absl::InvalidArgumentError("time_scale: must be greater than 0");
  }
  if (routine.items_size() == 0) {
    return absl::InvalidArgumentError("routine: has no items");
  }
  absl::StatusOr<Timeline> timeline = Timeline::Build(*catalog, routine);
  if (!timeline.ok()) return timeline.status();
  return std::unique_ptr<SessionEngine>(
      new SessionEngine(catalog, *std::move(timeline), time_scale));
}

std::vector<SessionEvent> SessionEngine::Start(absl::Time now,
                                               SessionRecord* record) const {
  Run run(*this, timeline_, now, record);
  run.Start();
  return run.TakeEvents();
}

std::vector<SessionEvent> SessionEngine::Tick(absl::Time now,
                                              SessionRecord* record) const {
  Run run(*this, timeline_, now, record);
  run.FireDue();
  return run.TakeEvents();
}

absl::StatusOr<std::vector<SessionEvent>> SessionEngine::Apply(
    const EngineCommand& command, absl::Time now, SessionRecord* record) const {
  SessionRecord draft = *record;
  if (command.type != coach::v1::COMMAND_TYPE_SWITCH_TO_MOBILITY) {
    Run run(*this, timeline_, now, &draft);
    run.FireDue();  // Timers due before the command happen first.
    absl::Status status = run.ApplyCommand(command);
    if (!status.ok()) return status;
    std::vector<SessionEvent> events = run.TakeEvents();  // Before the move.
    *record = std::move(draft);
    return events;
  }

  // Switching rebuilds the timeline with a mobility move after the current
  // exercise, which is marked skipped.
  std::vector<SessionEvent> events;
  {
    Run run(*this, timeline_, now, &draft);
    run.FireDue();
    events = run.TakeEvents();
  }
  const coach::v1::RunState state = draft.engine().run_state();
  const TimelineStep& s = timeline_.step(draft.engine().step_index());
  if (state == coach::v1::RUN_STATE_FINISHED) {
    return Forbidden("switch_to_mobility", state);
  }
  if (s.item_index < 0) {
    return absl::FailedPreconditionError(
        "switch_to_mobility: no exercise is running");
  }
  const coach::v1::Exercise& current = timeline_.exercise(s.item_index);
  absl::StatusOr<coach::v1::RoutineItem> gentle =
      GentleAlternative(*catalog_, current);
  if (!gentle.ok()) {
    return absl::Status(
        gentle.status().code(),
        absl::StrCat("switch_to_mobility: ", gentle.status().message()));
  }
  const std::string mobility_id = gentle->exercise_id();
  coach::v1::RoutineItem item = *std::move(gentle);
  coach::v1::Routine routine = draft.routine();
  auto* items = routine.mutable_items();
  items->Add(std::move(item));
  for (int i = items->size() - 1; i > s.item_index + 1; --i) {
    items->SwapElements(i, i - 1);
  }
  routine.set_estimated_seconds(
      routine.estimated_seconds() +
      routine.items(s.item_index + 1).estimated_seconds());
  absl::StatusOr<Timeline> next = Timeline::Build(*catalog_, routine);
  if (!next.ok()) return next.status();

  *draft.mutable_routine() = routine;
  coach::internal::EngineState* st = draft.mutable_engine();
  st->set_routine_version(st->routine_version() + 1);
  auto* summaries = st->mutable_summary()->mutable_items();
  summaries->Mutable(s.item_index)->set_skipped(true);
  // Steps after the current exercise move back by the inserted ones; keep
  // the "already counted" marker pointing at the same step.
  const int inserted = next->size() - timeline_.size();
  if (st->tallied_through() > timeline_.DoneStepOf(s.item_index)) {
    st->set_tallied_through(st->tallied_through() + inserted);
  }
  Run::AddItemSummary(routine.items(s.item_index + 1), summaries->Add());
  for (int i = summaries->size() - 1; i > s.item_index + 1; --i) {
    summaries->SwapElements(i, i - 1);
  }
  st->mutable_summary()->set_skips(st->summary().skips() + 1);

  Run run(*this, *next, now, &draft);
  SessionEvent ev;
  auto* sw = ev.mutable_exercise_switched();
  sw->set_from_exercise_id(current.id());
  sw->set_to_exercise_id(mobility_id);
  *sw->mutable_routine() = routine;
  st->set_step_index(next->FirstStepOf(s.item_index + 1));
  st->set_run_state(coach::v1::RUN_STATE_RUNNING);
  run.Push(std::move(ev), /*is_cue=*/false);
  run.JumpTo(next->FirstStepOf(s.item_index + 1));
  for (SessionEvent& e : run.TakeEvents()) events.push_back(std::move(e));
  *record = std::move(draft);
  return events;
}

std::vector<SessionEvent> SessionEngine::CoachCue(absl::string_view coach_id,
                                                  absl::string_view text,
                                                  absl::Time now,
                                                  SessionRecord* record) const {
  Run run(*this, timeline_, now, record);
  run.FireDue();
  SessionEvent ev;
  ev.mutable_coach_cue()->set_coach_id(std::string(coach_id));
  ev.mutable_coach_cue()->set_text(std::string(text));
  run.Push(std::move(ev), /*is_cue=*/false);
  return run.TakeEvents();
}

absl::Status SessionEngine::CheckRecord(const SessionRecord& record) const {
  // 9999-12-31T23:59:59.999999Z: any later time is corrupt, and the engine
  // adds durations to these without overflowing.
  constexpr int64_t kMaxMicros = 253402300799999999;
  const EngineState& st = record.engine();
  auto corrupt = [&record](auto&&... what) {
    return absl::DataLossError(absl::StrCat("the stored record of session ",
                                            record.session_id(),
                                            " is corrupt: ", what...));
  };
  const int steps = timeline_.size();
  if (st.step_index() < 0 || st.step_index() >= steps) {
    return corrupt("engine.step_index ", st.step_index(),
                   " is outside the timeline's ", steps, " steps");
  }
  if (st.tallied_through() < -1 || st.tallied_through() >= steps) {
    return corrupt("engine.tallied_through ", st.tallied_through(),
                   " is outside the timeline's ", steps, " steps");
  }
  if (st.summary().items_size() != record.routine().items_size()) {
    return corrupt("engine.summary has ", st.summary().items_size(),
                   " items for ", record.routine().items_size(),
                   " routine items");
  }
  if (!coach::v1::RunState_IsValid(st.run_state()) ||
      st.run_state() == coach::v1::RUN_STATE_UNSPECIFIED) {
    return corrupt("engine.run_state ", static_cast<int>(st.run_state()),
                   " is not a run state");
  }
  const std::pair<const char*, int64_t> times[] = {
      {"engine.deadline_us", st.deadline_us()},
      {"engine.started_us", st.started_us()},
      {"engine.ended_us", st.ended_us()},
      {"engine.remaining_us", st.remaining_us() == -1 ? 0 : st.remaining_us()},
  };
  for (const auto& [field, value] : times) {
    if (value < 0 || value > kMaxMicros) {
      return corrupt(field, " ", value, " is not a time from 1970 to 9999");
    }
  }
  if (st.reminders_sent() < 0) {
    return corrupt("engine.reminders_sent ", st.reminders_sent(),
                   " is negative");
  }
  return absl::OkStatus();
}

coach::v1::SessionStatus SessionEngine::Status(
    const SessionRecord& record) const {
  return Run::StatusOf(timeline_, record);
}

absl::Time SessionEngine::NextDeadline(const SessionRecord& record) {
  const EngineState& st = record.engine();
  if (st.run_state() != coach::v1::RUN_STATE_RUNNING || st.deadline_us() == 0) {
    return absl::InfiniteFuture();
  }
  return absl::FromUnixMicros(st.deadline_us());
}

}  // namespace coachd
