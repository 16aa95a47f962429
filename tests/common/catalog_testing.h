// The shipped exercise catalogue, loaded once per test process, for tests
// of the catalogue, the engine and the session parts.
//
//   absl::StatusOr<coach::v1::Routine> r = BuildPresetRoutine(RealCatalog(),
//                                                            "demo");
#ifndef TESTS_COMMON_CATALOG_TESTING_H_
#define TESTS_COMMON_CATALOG_TESTING_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "services/catalog/catalog.h"

namespace coachd {

// services/catalog/back_catalog.textproto of the source tree
// (COACHD_SOURCE_DIR), loaded on first use and kept for the process. A
// catalogue that does not load fails the test that asked for it.
inline const Catalog& RealCatalog() {
  static const Catalog* catalog = [] {
    absl::StatusOr<Catalog> loaded =
        Catalog::LoadFromFile(std::string(COACHD_SOURCE_DIR) +
                              "/services/catalog/back_catalog.textproto");
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status();
      return static_cast<Catalog*>(nullptr);
    }
    return new Catalog(*std::move(loaded));
  }();
  return *catalog;
}

}  // namespace coachd

#endif  // TESTS_COMMON_CATALOG_TESTING_H_
