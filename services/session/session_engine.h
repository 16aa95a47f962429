// The session engine: a pure state machine that plays a routine's timeline as
// coaching events. It knows nothing of gRPC or storage: each call takes the
// stored record and the time, changes the record, and returns the events to
// append. Timers are deadlines in the record, so any process can continue
// them.
//
//   absl::StatusOr<std::unique_ptr<SessionEngine>> engine =
//       SessionEngine::Create(&catalog, record.routine(), record.time_scale());
//   std::vector<coach::v1::SessionEvent> events = (*engine)->Start(now,
//   &record);
//   ... later ...
//   events = (*engine)->Tick(clock.Now(), &record);           // due timers
//   auto result = (*engine)->Apply(command, clock.Now(), &record);
#ifndef SERVICES_SESSION_SESSION_ENGINE_H_
#define SERVICES_SESSION_SESSION_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/session.pb.h"
#include "services/catalog/catalog.h"
#include "services/session/timeline.h"

namespace coachd {

// A command as the engine sees it.
struct EngineCommand {
  coach::v1::CommandType type = coach::v1::COMMAND_TYPE_UNSPECIFIED;
  std::string note;  // REPORT_DISCOMFORT: the person's words.
  coach::v1::DeviceKind from_kind = coach::v1::DEVICE_KIND_UNSPECIFIED;
};

// Plays one routine. Immutable after Create; its methods are const and
// thread-safe (the record passed in is the caller's to guard).
class SessionEngine {
 public:
  // Builds the timeline of `routine`; `catalog` must outlive the engine.
  // Durations are divided by `time_scale` (> 0; 1 is real time).
  static absl::StatusOr<std::unique_ptr<SessionEngine>> Create(
      const Catalog* catalog, const coach::v1::Routine& routine,
      double time_scale);

  // Starts the session: resets record->engine and returns the first events
  // (session started, warm-up). The record's routine must be this engine's.
  std::vector<coach::v1::SessionEvent> Start(
      absl::Time now, coach::internal::SessionRecord* record) const;

  // Fires every timer due at `now`, in order, each next step starting at
  // the previous deadline (no drift). Returns the events; none when nothing
  // was due.
  std::vector<coach::v1::SessionEvent> Tick(
      absl::Time now, coach::internal::SessionRecord* record) const;

  // Applies `command` at `now`. FAILED_PRECONDITION, naming the state, when
  // the state forbids it (the record is then unchanged); INVALID_ARGUMENT for
  // an unspecified command. SWITCH_TO_MOBILITY changes record->routine and
  // bumps engine.routine_version: the caller must build a new engine for the
  // record afterwards.
  absl::StatusOr<std::vector<coach::v1::SessionEvent>> Apply(
      const EngineCommand& command, absl::Time now,
      coach::internal::SessionRecord* record) const;

  // A coach's message spoken into the session (no state change but the cue).
  std::vector<coach::v1::SessionEvent> CoachCue(
      absl::string_view coach_id, absl::string_view text, absl::Time now,
      coach::internal::SessionRecord* record) const;

  // OK when `record` (as read back from the store) can be played by this
  // engine: its step index and tally marker lie in the timeline, it has
  // one item summary per routine item, its run state is known, and its
  // times are Unix microseconds before the year 10000. DATA_LOSS naming the
  // field and why otherwise: a corrupt or foreign record is refused, never
  // played (Status, Tick and Apply require a record that passes).
  absl::Status CheckRecord(const coach::internal::SessionRecord& record) const;

  // Where the session is, as carried by every event.
  coach::v1::SessionStatus Status(
      const coach::internal::SessionRecord& record) const;

  // When Tick next has work: the running timer's deadline, or
  // absl::InfiniteFuture() when no timer runs (paused, waiting, finished).
  static absl::Time NextDeadline(const coach::internal::SessionRecord& record);

  const Timeline& timeline() const { return timeline_; }

 private:
  SessionEngine(const Catalog* catalog, Timeline timeline, double time_scale)
      : catalog_(catalog),
        timeline_(std::move(timeline)),
        time_scale_(time_scale) {}

  class Run;  // One call's working state (session_engine.cc).

  const Catalog* catalog_;
  Timeline timeline_;
  double time_scale_;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SESSION_ENGINE_H_
