#include "services/catalog/routine_builder.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/catalog/timing.h"

namespace coachd {
namespace {

using ::coach::v1::Area;
using ::coach::v1::BuildRoutineRequest;
using ::coach::v1::Equipment;
using ::coach::v1::Exercise;
using ::coach::v1::Focus;
using ::coach::v1::Level;
using ::coach::v1::Prescription;
using ::coach::v1::Routine;
using ::coach::v1::RoutineItem;

constexpr int kMinMinutes = 5;
constexpr int kMaxMinutes = 120;
// The guide: warm up for 5-10 minutes. A longer catalogue warm-up may be
// shortened down to this to fit; a beginner's never is.
constexpr int kMinWarmupSeconds = 300;

// Work areas in routine order: strength top to bottom, stretches last.
constexpr Area kWorkAreas[] = {coach::v1::AREA_UPPER, coach::v1::AREA_MID,
                               coach::v1::AREA_LOWER, coach::v1::AREA_MOBILITY};

// Position of `area` in kWorkAreas (the order items are played in).
int AreaRank(Area area) {
  for (int i = 0; i < static_cast<int>(std::size(kWorkAreas)); ++i) {
    if (kWorkAreas[i] == area) return i;
  }
  return static_cast<int>(std::size(kWorkAreas));
}

absl::string_view AreaName(Area area) {
  switch (area) {
    case coach::v1::AREA_UPPER:
      return "upper back";
    case coach::v1::AREA_MID:
      return "mid back";
    case coach::v1::AREA_LOWER:
      return "lower back";
    case coach::v1::AREA_MOBILITY:
      return "mobility";
    case coach::v1::AREA_WARMUP:
      return "warm-up";
    default:
      return "back";
  }
}

absl::string_view EquipmentName(int equipment) {
  switch (equipment) {
    case coach::v1::EQUIPMENT_DUMBBELLS:
      return "dumbbells";
    case coach::v1::EQUIPMENT_RESISTANCE_BAND:
      return "resistance band";
    case coach::v1::EQUIPMENT_BENCH:
      return "bench";
    default:
      return "unknown";
  }
}

absl::string_view FocusTitle(Focus focus) {
  switch (focus) {
    case coach::v1::FOCUS_UPPER:
      return "Upper back";
    case coach::v1::FOCUS_MID:
      return "Mid back";
    case coach::v1::FOCUS_LOWER:
      return "Lower back";
    case coach::v1::FOCUS_MOBILITY:
      return "Back mobility";
    default:
      return "Balanced back";
  }
}

// The equipment at hand, indexed by Equipment value.
struct EquipmentSet {
  bool has[coach::v1::Equipment_ARRAYSIZE] = {};

  bool CanDo(const Exercise& exercise) const {
    for (int e : exercise.equipment()) {
      if (e < 0 || e >= coach::v1::Equipment_ARRAYSIZE || !has[e]) return false;
    }
    return true;
  }

  // "dumbbells, bench", or "none (bodyweight only)".
  std::string Describe() const {
    std::vector<absl::string_view> names;
    for (int e = 1; e < coach::v1::Equipment_ARRAYSIZE; ++e) {
      if (has[e]) names.push_back(EquipmentName(e));
    }
    if (names.empty()) return "none (bodyweight only)";
    return absl::StrJoin(names, ", ");
  }
};

// "3 x 10" or "3 x 5 per side".
std::string CountedLabel(const Prescription& p) {
  return absl::StrCat(p.sets(), " x ", p.reps(),
                      p.per_side() ? " per side" : "");
}

// The prescription of `exercise` for `level`, or `named` (when not null) for
// counted exercises. Timed exercises keep their duration.
Prescription PrescriptionFor(const Exercise& exercise, Level level,
                             const Prescription* named) {
  const Prescription& base = exercise.prescription();
  const bool beginner = level == coach::v1::LEVEL_BEGINNER;
  if (base.duration_seconds() > 0) {
    return beginner && exercise.has_beginner() ? exercise.beginner() : base;
  }
  if (named != nullptr) {
    Prescription p = *named;
    p.set_per_side(base.per_side());
    if (p.label().empty()) p.set_label(CountedLabel(p));
    return p;
  }
  Prescription p = base;
  switch (level) {
    case coach::v1::LEVEL_BEGINNER:
      if (exercise.has_beginner()) return exercise.beginner();
      // Lighter: a set fewer, a quarter fewer reps, half the hold.
      p.set_sets(std::max(1, base.sets() - 1));
      p.set_reps(std::max(1, base.reps() - base.reps() / 4));
      p.set_hold_seconds(base.hold_seconds() / 2);
      p.set_label(CountedLabel(p));
      return p;
    case coach::v1::LEVEL_ADVANCED:
      p.set_sets(std::min(kMaxSets, base.sets() + 1));
      p.set_label(CountedLabel(p));
      return p;
    default:
      return p;
  }
}

// An exercise the request can use, with its prescription and estimate.
struct Candidate {
  const Exercise* exercise;
  int catalog_index;
  Prescription prescription;
  int seconds;
  bool used = false;
};

absl::Status ValidateRequest(const Catalog& catalog,
                             const BuildRoutineRequest& request) {
  if (request.minutes() < kMinMinutes || request.minutes() > kMaxMinutes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("minutes: must be between %d and %d, got %d",
                        kMinMinutes, kMaxMinutes, request.minutes()));
  }
  if (!coach::v1::Focus_IsValid(request.focus())) {
    return absl::InvalidArgumentError(
        absl::StrCat("focus: unknown value ", request.focus()));
  }
  if (!coach::v1::Level_IsValid(request.level())) {
    return absl::InvalidArgumentError(
        absl::StrCat("level: unknown value ", request.level()));
  }
  for (int i = 0; i < request.equipment_size(); ++i) {
    const int e = request.equipment(i);
    if (e == coach::v1::EQUIPMENT_UNSPECIFIED ||
        !coach::v1::Equipment_IsValid(e)) {
      return absl::InvalidArgumentError(
          absl::StrCat("equipment[", i, "]: unknown value ", e));
    }
  }
  if (!request.prescription_id().empty() &&
      catalog.FindPrescription(request.prescription_id()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("prescription_id: unknown prescription \"",
                     request.prescription_id(), "\""));
  }
  return absl::OkStatus();
}

RoutineItem MakeItem(const Exercise& exercise, const Prescription& p,
                     int seconds) {
  RoutineItem item;
  item.set_exercise_id(exercise.id());
  item.set_exercise_name(exercise.name());
  item.set_area(exercise.area());
  *item.mutable_prescription() = p;
  item.set_estimated_seconds(seconds);
  return item;
}

int CeilMinutes(int seconds) { return (seconds + 59) / 60; }

}  // namespace

absl::StatusOr<Routine> BuildRoutine(const Catalog& catalog,
                                     const BuildRoutineRequest& request) {
  if (absl::Status status = ValidateRequest(catalog, request); !status.ok()) {
    return status;
  }
  const Focus focus = request.focus() == coach::v1::FOCUS_UNSPECIFIED
                          ? coach::v1::FOCUS_BALANCED
                          : request.focus();
  const Level level = request.level() == coach::v1::LEVEL_UNSPECIFIED
                          ? coach::v1::LEVEL_BEGINNER
                          : request.level();
  EquipmentSet equipment;
  for (int e : request.equipment()) equipment.has[e] = true;
  const Prescription* named =
      request.prescription_id().empty()
          ? nullptr
          : catalog.FindPrescription(request.prescription_id());

  // Usable exercises by area, in catalogue order.
  std::vector<Candidate> candidates[coach::v1::Area_ARRAYSIZE];
  const std::vector<Exercise>& exercises = catalog.exercises();
  for (int i = 0; i < static_cast<int>(exercises.size()); ++i) {
    const Exercise& exercise = exercises[i];
    if (exercise.area() == coach::v1::AREA_WARMUP ||
        !equipment.CanDo(exercise)) {
      continue;
    }
    Prescription p = PrescriptionFor(exercise, level, named);
    const int seconds = EstimateExerciseSeconds(p);
    candidates[exercise.area()].push_back(
        {&exercise, i, std::move(p), seconds});
  }

  // The areas the routine works on; the required ones need one exercise each.
  std::vector<Area> areas;
  switch (focus) {
    case coach::v1::FOCUS_UPPER:
      areas = {coach::v1::AREA_UPPER};
      break;
    case coach::v1::FOCUS_MID:
      areas = {coach::v1::AREA_MID};
      break;
    case coach::v1::FOCUS_LOWER:
      areas = {coach::v1::AREA_LOWER};
      break;
    case coach::v1::FOCUS_MOBILITY:
      areas = {coach::v1::AREA_MOBILITY};
      break;
    default:
      areas.assign(std::begin(kWorkAreas), std::end(kWorkAreas));
      break;
  }
  std::vector<Area> required;
  for (Area area : areas) {
    if (!candidates[area].empty()) required.push_back(area);
  }
  if (required.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "equipment: no ",
        focus == coach::v1::FOCUS_BALANCED ? "back" : AreaName(areas[0]),
        " exercise can be done with: ", equipment.Describe()));
  }

  // The shortest exercise of each required area, for what must fit.
  std::vector<int> shortest(required.size());
  int required_seconds = 0;
  for (size_t k = 0; k < required.size(); ++k) {
    shortest[k] = candidates[required[k]].front().seconds;
    for (const Candidate& c : candidates[required[k]]) {
      shortest[k] = std::min(shortest[k], c.seconds);
    }
    required_seconds += shortest[k];
  }

  const int budget = request.minutes() * 60;
  const Exercise& warmup_exercise = catalog.warmup();
  Prescription warmup = warmup_exercise.prescription();
  const bool may_shorten_warmup = level != coach::v1::LEVEL_BEGINNER &&
                                  warmup.duration_seconds() > kMinWarmupSeconds;
  int warmup_seconds = EstimateExerciseSeconds(warmup);
  if (warmup_seconds + required_seconds > budget && may_shorten_warmup) {
    const int over = warmup_seconds + required_seconds - budget;
    warmup.set_duration_seconds(
        std::max(kMinWarmupSeconds, warmup.duration_seconds() - over));
    warmup_seconds = EstimateExerciseSeconds(warmup);
  }
  if (warmup_seconds + required_seconds > budget) {
    std::vector<absl::string_view> names;
    for (Area area : required) names.push_back(AreaName(area));
    const int needed = CeilMinutes(warmup_seconds + required_seconds);
    if (focus == coach::v1::FOCUS_BALANCED) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "minutes: a balanced routine with this equipment needs at least %d "
          "minutes (the warm-up and one exercise each for %s), got %d",
          needed, absl::StrJoin(names, ", "), request.minutes()));
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "minutes: needs at least %d minutes for the warm-up and one %s "
        "exercise, got %d",
        needed, names[0], request.minutes()));
  }

  int remaining = budget - warmup_seconds;
  std::vector<const Candidate*> chosen;
  auto take = [&](Candidate& c) {
    c.used = true;
    remaining -= c.seconds;
    chosen.push_back(&c);
  };

  // One exercise per required area: the first in catalogue order that leaves
  // room for the shortest of each area still to come.
  int reserve = required_seconds;
  for (size_t k = 0; k < required.size(); ++k) {
    reserve -= shortest[k];
    for (Candidate& c : candidates[required[k]]) {
      if (c.seconds <= remaining - reserve) {
        take(c);
        break;
      }
    }
  }

  // Then fill the time round-robin over the areas, each round taking the
  // next unused exercise of each area that fits.
  for (bool added = true; added;) {
    added = false;
    for (Area area : areas) {
      for (Candidate& c : candidates[area]) {
        if (!c.used && c.seconds <= remaining) {
          take(c);
          added = true;
          break;
        }
      }
    }
  }

  // A strength focus ends with one stretch when it fits.
  if (focus == coach::v1::FOCUS_UPPER || focus == coach::v1::FOCUS_MID ||
      focus == coach::v1::FOCUS_LOWER) {
    for (Candidate& c : candidates[coach::v1::AREA_MOBILITY]) {
      if (c.seconds <= remaining) {
        take(c);
        break;
      }
    }
  }

  // Play order: top of the back to the bottom, stretches last.
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const Candidate* a, const Candidate* b) {
                     const int ra = AreaRank(a->exercise->area());
                     const int rb = AreaRank(b->exercise->area());
                     if (ra != rb) return ra < rb;
                     return a->catalog_index < b->catalog_index;
                   });

  Routine routine;
  routine.set_id("custom");
  *routine.add_items() = MakeItem(warmup_exercise, warmup, warmup_seconds);
  int total = warmup_seconds;
  for (const Candidate* c : chosen) {
    *routine.add_items() = MakeItem(*c->exercise, c->prescription, c->seconds);
    total += c->seconds;
  }
  routine.set_estimated_seconds(total);
  routine.set_title(
      absl::StrCat(FocusTitle(focus), ", ", CeilMinutes(total), " min"));
  *routine.mutable_request() = request;
  return routine;
}

absl::StatusOr<Routine> BuildPresetRoutine(const Catalog& catalog,
                                           absl::string_view preset_id) {
  const coach::v1::RoutinePreset* preset = catalog.FindPreset(preset_id);
  if (preset == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("preset_id: no routine preset \"", preset_id, "\""));
  }
  absl::StatusOr<Routine> routine = BuildRoutine(catalog, preset->request());
  if (!routine.ok()) {
    return absl::Status(routine.status().code(),
                        absl::StrCat("preset \"", preset_id,
                                     "\": ", routine.status().message()));
  }
  routine->set_id(preset->id());
  return routine;
}

absl::StatusOr<coach::v1::RoutineItem> GentleAlternative(
    const Catalog& catalog, const coach::v1::Exercise& current) {
  if (current.area() == coach::v1::AREA_MOBILITY ||
      current.area() == coach::v1::AREA_WARMUP) {
    return absl::FailedPreconditionError(
        absl::StrCat(current.name(),
                     " is already gentle; skip it or end the session instead"));
  }
  for (const coach::v1::Exercise& e : catalog.exercises()) {
    if (e.area() != coach::v1::AREA_MOBILITY || e.equipment_size() != 0) {
      continue;
    }
    coach::v1::RoutineItem item;
    item.set_exercise_id(e.id());
    item.set_exercise_name(e.name());
    item.set_area(e.area());
    *item.mutable_prescription() =
        e.has_beginner() ? e.beginner() : e.prescription();
    item.set_estimated_seconds(EstimateExerciseSeconds(item.prescription()));
    return item;
  }
  return absl::FailedPreconditionError("the catalogue has no mobility move");
}

}  // namespace coachd
