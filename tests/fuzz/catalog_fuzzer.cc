// The exercise catalogue: textproto parsing and every validation rule, as
// coachd runs them on its --catalog file at start-up; then what a catalogue
// that passes feeds: each preset's routine, built and played by the session
// engine to its end (bounded), with a routine built for every focus.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "services/catalog/catalog.h"
#include "services/catalog/routine_builder.h"
#include "services/session/session_engine.h"

namespace {

// Starts `routine` and fires its timers until it ends (at most 2000 steps),
// pressing "done" where a set waits for it.
void Play(const coachd::Catalog& catalog, const coach::v1::Routine& routine) {
  absl::StatusOr<std::unique_ptr<coachd::SessionEngine>> engine =
      coachd::SessionEngine::Create(&catalog, routine, 1.0);
  if (!engine.ok()) return;
  coach::internal::SessionRecord record;
  *record.mutable_routine() = routine;
  absl::Time now = absl::FromUnixSeconds(1767596400);
  (*engine)->Start(now, &record);
  for (int i = 0; i < 2000; ++i) {
    const absl::Time next = coachd::SessionEngine::NextDeadline(record);
    if (next == absl::InfiniteFuture()) {
      if (record.engine().run_state() == coach::v1::RUN_STATE_FINISHED) break;
      coachd::EngineCommand done;
      done.type = coach::v1::COMMAND_TYPE_SET_DONE;
      if (!(*engine)->Apply(done, now, &record).ok()) break;
      continue;
    }
    now = std::max(now, next);
    (*engine)->Tick(now, &record);
    (*engine)->Status(record);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<coachd::Catalog> catalog = coachd::Catalog::LoadFromText(
      absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!catalog.ok()) return 0;
  for (const coach::v1::RoutinePreset& preset : catalog->file().presets()) {
    absl::StatusOr<coach::v1::Routine> routine =
        coachd::BuildPresetRoutine(*catalog, preset.id());
    if (routine.ok()) Play(*catalog, *routine);
  }
  for (int focus = 1; focus <= 5; ++focus) {
    if (!coach::v1::Focus_IsValid(focus)) continue;
    coach::v1::BuildRoutineRequest request;
    request.set_focus(static_cast<coach::v1::Focus>(focus));
    request.set_minutes(20);
    absl::StatusOr<coach::v1::Routine> routine =
        coachd::BuildRoutine(*catalog, request);
    if (routine.ok()) Play(*catalog, *routine);
  }
  return 0;
}
