#include "services/coach/live_updates.h"

#include <algorithm>
#include <utility>

namespace coachd {

using coach::v1::LiveUpdate;
using coach::v1::SessionEvent;

std::string ExerciseNameIn(const coach::internal::SessionRecord& record,
                           const std::string& exercise_id) {
  for (const coach::v1::RoutineItem& item : record.routine().items()) {
    if (item.exercise_id() == exercise_id) return item.exercise_name();
  }
  return "";
}

coach::v1::LiveSession RowOf(const coach::internal::SessionRecord& record,
                             const coach::v1::SessionStatus& status,
                             int64_t sequence) {
  coach::v1::LiveSession row;
  row.set_person_id(record.owner());
  row.set_session_id(record.session_id());
  row.set_run_state(status.run_state());
  row.set_exercise_id(status.exercise_id());
  row.set_exercise_name(status.exercise_name());
  row.set_set(status.set());
  row.set_sets(status.sets());
  row.set_items_done(status.items_done());
  row.set_items(record.routine().items_size());
  int percent = 0;
  if (status.run_state() == coach::v1::RUN_STATE_FINISHED) {
    percent = 100;
  } else if (status.step_count() > 0) {
    percent =
        std::clamp(status.step_index() * 100 / status.step_count(), 0, 100);
  }
  row.set_progress_percent(percent);
  const int64_t started_us = record.engine().started_us();
  row.mutable_started_at()->set_seconds(started_us / 1000000);
  row.mutable_started_at()->set_nanos(
      static_cast<int32_t>(started_us % 1000000) * 1000);
  const auto& reports = record.engine().summary().discomfort();
  if (!reports.empty()) {
    const coach::v1::DiscomfortRecord& last = *reports.rbegin();
    coach::v1::DiscomfortNote* note = row.mutable_last_discomfort();
    note->set_session_id(record.session_id());
    note->set_exercise_id(last.exercise_id());
    note->set_exercise_name(ExerciseNameIn(record, last.exercise_id()));
    note->set_note(last.note());
    *note->mutable_at() = last.at();
  }
  row.set_session_sequence(sequence);
  return row;
}

SessionBatch BatchOf(const coach::internal::SessionRecord& record,
                     const std::vector<StoredEvent>& events) {
  SessionBatch batch;
  batch.person = record.owner();
  batch.session_id = record.session_id();
  batch.finished = record.engine().run_state() == coach::v1::RUN_STATE_FINISHED;
  for (const StoredEvent& stored : events) {
    const SessionEvent& event = *stored;
    LiveUpdate update;
    const coach::v1::SessionStatus& status = event.status();
    switch (event.payload_case()) {
      case SessionEvent::kSessionStarted:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_STARTED);
        update.set_exercise_id(status.exercise_id());
        update.set_exercise_name(status.exercise_name());
        break;
      case SessionEvent::kExerciseIntro:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_EXERCISE_CHANGED);
        update.set_exercise_id(event.exercise_intro().exercise_id());
        update.set_exercise_name(event.exercise_intro().name());
        break;
      case SessionEvent::kExerciseSwitched:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_EXERCISE_CHANGED);
        update.set_exercise_id(event.exercise_switched().to_exercise_id());
        update.set_exercise_name(
            ExerciseNameIn(record, event.exercise_switched().to_exercise_id()));
        break;
      case SessionEvent::kSetDone:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_SET_DONE);
        update.set_exercise_id(status.exercise_id());
        update.set_exercise_name(status.exercise_name());
        update.set_set(event.set_done().set());
        update.set_sets(event.set_done().sets());
        update.set_side(event.set_done().side());
        break;
      case SessionEvent::kPaused:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_PAUSED);
        update.set_exercise_id(status.exercise_id());
        update.set_exercise_name(status.exercise_name());
        break;
      case SessionEvent::kResumed:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_RESUMED);
        update.set_exercise_id(status.exercise_id());
        update.set_exercise_name(status.exercise_name());
        break;
      case SessionEvent::kDiscomfortReported: {
        const coach::v1::DiscomfortReported& d = event.discomfort_reported();
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_DISCOMFORT);
        update.set_flagged(true);
        update.set_exercise_id(d.exercise_id());
        update.set_exercise_name(ExerciseNameIn(record, d.exercise_id()));
        update.set_note(d.note());
        break;
      }
      case SessionEvent::kSessionDone:
        update.set_kind(coach::v1::LIVE_UPDATE_KIND_ENDED);
        *update.mutable_summary() = event.session_done().summary();
        update.set_ended_early(event.session_done().ended_early());
        break;
      default:
        continue;  // Routine detail: only a full follower needs it.
    }
    update.set_person_id(record.owner());
    update.set_session_id(record.session_id());
    *update.mutable_server_time() = event.server_time();
    *update.mutable_session() = RowOf(record, status, event.sequence());
    if (update.kind() == coach::v1::LIVE_UPDATE_KIND_DISCOMFORT &&
        !update.session().has_last_discomfort()) {
      // Not tallied on the record (yet): the event says it all.
      coach::v1::DiscomfortNote* note =
          update.mutable_session()->mutable_last_discomfort();
      note->set_session_id(record.session_id());
      note->set_exercise_id(update.exercise_id());
      note->set_exercise_name(update.exercise_name());
      note->set_note(update.note());
      *note->mutable_at() = event.server_time();
    }
    batch.updates.push_back(std::move(update));
  }
  std::stable_partition(batch.updates.begin(), batch.updates.end(),
                        [](const LiveUpdate& u) { return u.flagged(); });
  const int64_t last =
      events.empty() ? record.last_sequence() : events.back()->sequence();
  batch.row = RowOf(
      record,
      events.empty() ? coach::v1::SessionStatus() : events.back()->status(),
      last);
  return batch;
}

void ApplyToRows(const LiveUpdate& update, BoardRows* rows) {
  switch (update.kind()) {
    case coach::v1::LIVE_UPDATE_KIND_ENDED:
      rows->erase(update.session_id());
      break;
    case coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED:
      for (auto it = rows->begin(); it != rows->end();) {
        if (it->second.person_id() == update.person_id()) {
          it = rows->erase(it);
        } else {
          ++it;
        }
      }
      break;
    default:
      if (update.has_session()) (*rows)[update.session_id()] = update.session();
      break;
  }
}

LiveUpdate BoardSnapshot(const std::string& epoch, int64_t sequence,
                         const BoardRows& rows, absl::Time now, bool recovered,
                         absl::string_view reason) {
  LiveUpdate update;
  update.set_epoch(epoch);
  update.set_sequence(sequence);
  const int64_t micros = absl::ToUnixMicros(now);
  update.mutable_server_time()->set_seconds(micros / 1000000);
  update.mutable_server_time()->set_nanos(
      static_cast<int32_t>(micros % 1000000) * 1000);
  update.set_kind(coach::v1::LIVE_UPDATE_KIND_SNAPSHOT);
  coach::v1::LiveBoard* board = update.mutable_board();
  for (const auto& [id, row] : rows) *board->add_sessions() = row;
  board->set_recovered(recovered);
  board->set_reason(std::string(reason));
  return update;
}

}  // namespace coachd
