#include "services/session/timeline.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/catalog/timing.h"

namespace coachd {
namespace {

using coach::v1::Exercise;
using coach::v1::Prescription;

std::vector<std::string> SideNames(const Exercise& exercise) {
  std::vector<std::string> names;
  if (!exercise.side_names().empty()) {
    names = absl::StrSplit(exercise.side_names(), ',');
  }
  if (names.size() != 2) names = {"one side", "other side"};
  return names;
}

void AddTimedItem(int item, const Exercise& exercise, const Prescription& p,
                  std::vector<TimelineStep>* out) {
  const int flows = exercise.steps_size();
  const int base = p.duration_seconds() / flows;
  for (int i = 0; i < flows; ++i) {
    TimelineStep s;
    s.kind = coach::v1::STEP_KIND_FLOW;
    s.item_index = item;
    s.flow_index = i;
    s.seconds =
        i + 1 < flows ? base : p.duration_seconds() - base * (flows - 1);
    s.segment_start = i == 0;
    out->push_back(s);
  }
}

void AddCountedItem(int item, const Exercise& exercise, const Prescription& p,
                    std::vector<TimelineStep>* out) {
  const std::vector<std::string> side_names = SideNames(exercise);
  const int sides = p.per_side() ? 2 : 1;
  const int effort = (p.tempo_seconds() + 1) / 2;
  const int back = p.tempo_seconds() - effort;
  for (int set = 1; set <= p.sets(); ++set) {
    for (int side = 0; side < sides; ++side) {
      TimelineStep base;
      base.item_index = item;
      base.set = set;
      base.sets = p.sets();
      base.reps = p.reps();
      base.side = p.per_side() ? side_names[side] : "";
      if (side > 0) {
        TimelineStep sw = base;
        sw.kind = coach::v1::STEP_KIND_SWITCH_SIDES;
        sw.seconds = kSwitchSidesSeconds;
        out->push_back(sw);
      }
      TimelineStep start = base;
      start.kind = coach::v1::STEP_KIND_SET_START;
      start.seconds = kSetStartSeconds;
      start.segment_start = true;
      if (set > 1 && side == 0 && p.rest_seconds() == 0) {
        start.closes_set = set - 1;
      }
      out->push_back(start);
      if (p.self_paced()) {
        TimelineStep wait = base;
        wait.kind = coach::v1::STEP_KIND_AWAIT_DONE;
        wait.seconds = 0;
        out->push_back(wait);
        continue;
      }
      for (int rep = 1; rep <= p.reps(); ++rep) {
        TimelineStep r = base;
        r.rep = rep;
        r.first_rep_of_set = rep == 1;
        r.kind = coach::v1::STEP_KIND_REP;
        r.seconds = effort;
        out->push_back(r);
        for (int h = p.hold_seconds(); h >= 1; --h) {
          TimelineStep hold = r;
          hold.kind = coach::v1::STEP_KIND_HOLD;
          hold.seconds = 1;
          hold.hold_left = h;
          out->push_back(hold);
        }
        if (back > 0) {
          TimelineStep ret = r;
          ret.kind = coach::v1::STEP_KIND_REP_RETURN;
          ret.seconds = back;
          out->push_back(ret);
        }
      }
    }
    if (set < p.sets() && p.rest_seconds() > 0) {
      TimelineStep rest;
      rest.kind = coach::v1::STEP_KIND_REST;
      rest.item_index = item;
      rest.set = set;
      rest.sets = p.sets();
      rest.seconds = p.rest_seconds();
      rest.segment_start = true;
      rest.closes_set = set;
      out->push_back(rest);
    }
  }
}

}  // namespace

absl::StatusOr<Timeline> Timeline::Build(const Catalog& catalog,
                                         const coach::v1::Routine& routine) {
  if (routine.items_size() > kMaxRoutineItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("routine.items: ", routine.items_size(),
                     " items, more than ", kMaxRoutineItems));
  }
  Timeline t;
  t.routine_ = routine;
  for (int item = 0; item < routine.items_size(); ++item) {
    const coach::v1::RoutineItem& ri = routine.items(item);
    const Exercise* exercise = catalog.FindExercise(ri.exercise_id());
    if (exercise == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routine.items[", item, "].exercise_id: unknown exercise \"",
          ri.exercise_id(), "\""));
    }
    t.exercises_.push_back(exercise);
    const Prescription& p = ri.prescription();
    const bool timed = p.duration_seconds() > 0;
    if (!timed && (p.sets() < 1 || p.reps() < 1 || p.tempo_seconds() < 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("routine.items[", item,
                       "].prescription: needs sets, reps and tempo"));
    }
    // A routine read back from the store is held to the catalogue's limits
    // too: a corrupt one must not unroll into millions of steps.
    if (!timed && (p.sets() > kMaxSets || p.reps() > kMaxReps ||
                   p.tempo_seconds() > kMaxTempo || p.hold_seconds() < 0 ||
                   p.hold_seconds() > kMaxHold || p.rest_seconds() < 0 ||
                   p.rest_seconds() > kMaxRest)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routine.items[", item, "].prescription: outside the limits (sets ",
          kMinSets, "..", kMaxSets, ", reps ", kMinReps, "..", kMaxReps,
          ", tempo_seconds up to ", kMaxTempo, ", hold_seconds 0..", kMaxHold,
          ", rest_seconds 0..", kMaxRest, ")"));
    }
    if (timed && p.duration_seconds() > kMaxDuration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routine.items[", item, "].prescription.duration_seconds: ",
          p.duration_seconds(), " is more than ", kMaxDuration));
    }
    if (timed && exercise->steps_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "routine.items[", item, "]: a timed exercise needs steps"));
    }
    TimelineStep intro;
    intro.kind = item == 0 && exercise->area() == coach::v1::AREA_WARMUP
                     ? coach::v1::STEP_KIND_WARMUP
                     : coach::v1::STEP_KIND_INTRO;
    intro.item_index = item;
    intro.seconds = kIntroSeconds;
    intro.segment_start = true;
    t.steps_.push_back(intro);
    if (timed) {
      AddTimedItem(item, *exercise, p, &t.steps_);
    } else {
      AddCountedItem(item, *exercise, p, &t.steps_);
    }
    TimelineStep done;
    done.kind = coach::v1::STEP_KIND_EXERCISE_DONE;
    done.item_index = item;
    done.seconds = kExerciseDoneSeconds;
    done.closes_set = timed ? 0 : p.sets();
    done.sets = timed ? 0 : p.sets();
    t.steps_.push_back(done);
  }
  TimelineStep end;
  end.kind = coach::v1::STEP_KIND_SESSION_DONE;
  end.segment_start = true;
  t.steps_.push_back(end);
  return t;
}

int Timeline::FirstStepOf(int item_index) const {
  for (int i = 0; i < size(); ++i) {
    if (steps_[i].item_index == item_index) return i;
  }
  return size() - 1;
}

int Timeline::DoneStepOf(int item_index) const {
  for (int i = 0; i < size(); ++i) {
    if (steps_[i].item_index == item_index &&
        steps_[i].kind == coach::v1::STEP_KIND_EXERCISE_DONE) {
      return i;
    }
  }
  return size() - 1;
}

int Timeline::NextSegment(int index) const {
  for (int i = index + 1; i < size(); ++i) {
    if (steps_[i].segment_start) return i;
  }
  return size() - 1;
}

int Timeline::PreviousSegment(int index) const {
  int current = index;
  while (current > 0 && !steps_[current].segment_start) --current;
  for (int i = current - 1; i >= 0; --i) {
    if (steps_[i].segment_start) return i;
  }
  return -1;
}

}  // namespace coachd
