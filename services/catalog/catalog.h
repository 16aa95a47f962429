// The exercise catalogue: exercises, named prescriptions and routine presets,
// loaded from a textproto file (coach.v1.CatalogFile) and validated once at
// start-up. A bad file is an error naming the file, the line and the reason.
//
//   absl::StatusOr<Catalog> catalog = Catalog::LoadFromFile(path);
//   if (!catalog.ok()) { /* stop: catalog.status().message() says why */ }
//   const coach::v1::Exercise* rows = catalog->FindExercise("bent-over-row");
#ifndef SERVICES_CATALOG_CATALOG_H_
#define SERVICES_CATALOG_CATALOG_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/v1/catalog.pb.h"

namespace coachd {

// The limits of a prescription (Prescription in catalog.proto): the
// catalogue file is held to them, and so is every routine a session plays
// (Timeline::Build), stored ones included.
inline constexpr int kMinSets = 1, kMaxSets = 10;
inline constexpr int kMinReps = 1, kMaxReps = 30;
inline constexpr int kMinTempo = 1, kMaxTempo = 10;
inline constexpr int kMaxHold = 30;
inline constexpr int kMaxRest = 300;
inline constexpr int kMinDuration = 10, kMaxDuration = 1800;

// An immutable, validated catalogue. Thread-safe after construction.
class Catalog {
 public:
  // Reads and validates the textproto file at `path`. Errors
  // (INVALID_ARGUMENT, or NOT_FOUND for a missing file) read
  // "<path>:<line>: <reason>".
  static absl::StatusOr<Catalog> LoadFromFile(const std::string& path);

  // Parses and validates `text`; `name` stands for the file in errors.
  static absl::StatusOr<Catalog> LoadFromText(absl::string_view text,
                                              absl::string_view name);

  // All exercises, in file order (the warm-up included).
  const std::vector<coach::v1::Exercise>& exercises() const {
    return exercises_;
  }

  // The exercise with `id`, or nullptr. The pointer lives as long as *this.
  const coach::v1::Exercise* FindExercise(absl::string_view id) const;

  // The named prescription with `id` (e.g. "3-3-3"), or nullptr.
  const coach::v1::Prescription* FindPrescription(absl::string_view id) const;

  // The routine preset with `id`, or nullptr.
  const coach::v1::RoutinePreset* FindPreset(absl::string_view id) const;

  // The warm-up exercise (area AREA_WARMUP). Validation guarantees one.
  const coach::v1::Exercise& warmup() const;

  // The whole file as loaded.
  const coach::v1::CatalogFile& file() const { return file_; }

 private:
  Catalog() = default;

  coach::v1::CatalogFile file_;
  std::vector<coach::v1::Exercise> exercises_;
  absl::flat_hash_map<std::string, size_t> exercise_index_;
  absl::flat_hash_map<std::string, size_t> prescription_index_;
  absl::flat_hash_map<std::string, size_t> preset_index_;
  size_t warmup_index_ = 0;
};

}  // namespace coachd

#endif  // SERVICES_CATALOG_CATALOG_H_
