// Builds routines from the catalogue: for a focus, the equipment at hand, the
// minutes available, a level and an optional named prescription (e.g. 3-3-3).
//
//   absl::StatusOr<coach::v1::Routine> r = BuildRoutine(catalog, request);
//
// Properties every routine has: it starts with the warm-up; its estimated
// duration (timing.h) fits the minutes; no exercise needs equipment that is
// not at hand; BALANCED covers upper, mid and lower back plus mobility; the
// same request always gives the same routine.
#ifndef SERVICES_CATALOG_ROUTINE_BUILDER_H_
#define SERVICES_CATALOG_ROUTINE_BUILDER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/v1/catalog.pb.h"
#include "services/catalog/catalog.h"

namespace coachd {

// Builds a routine for `request`. INVALID_ARGUMENT, naming the field and
// why, when the request is malformed (minutes outside 5..120, an unknown
// prescription id, an unknown enum value) or cannot be met (no exercise of
// the focus with the equipment at hand, too few minutes for the warm-up and
// one exercise).
absl::StatusOr<coach::v1::Routine> BuildRoutine(
    const Catalog& catalog, const coach::v1::BuildRoutineRequest& request);

// Builds the preset routine `preset_id`; NOT_FOUND when there is none.
absl::StatusOr<coach::v1::Routine> BuildPresetRoutine(
    const Catalog& catalog, absl::string_view preset_id);

// The gentle move offered in place of `current` after a discomfort report
// (switch to mobility): the catalogue's first mobility exercise that needs
// no equipment, as a routine item with its beginner prescription (else its
// default) and its estimate. FAILED_PRECONDITION, saying why, when
// `current` is already gentle (mobility or the warm-up) or the catalogue
// has no such move.
absl::StatusOr<coach::v1::RoutineItem> GentleAlternative(
    const Catalog& catalog, const coach::v1::Exercise& current);

}  // namespace coachd

#endif  // SERVICES_CATALOG_ROUTINE_BUILDER_H_
