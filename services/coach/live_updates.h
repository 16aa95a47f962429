// What a coach's board learns from one commit of a session: the compact
// updates (started, exercise changed, set done, paused, resumed, discomfort,
// ended) with discomfort first, and the session's row as it now stands.
// Pure functions of the committed record and events.
//
//   SessionBatch batch = BatchOf(record, events);   // in a runner observer
//   for (const coach::v1::LiveUpdate& u : batch.updates) ...
#ifndef SERVICES_COACH_LIVE_UPDATES_H_
#define SERVICES_COACH_LIVE_UPDATES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/coach.pb.h"
#include "coach/v1/session.pb.h"
#include "services/store/stored_event.h"

namespace coachd {

// One commit, as the board sees it.
struct SessionBatch {
  std::string person;  // The session's owner.
  std::string session_id;
  coach::v1::LiveSession row;  // The session after the commit.
  bool finished = false;       // The session is over.
  // The updates for coaches, flagged ones (discomfort) first, then the
  // others in event order. No epoch or sequence yet: each coach's board
  // numbers them.
  std::vector<coach::v1::LiveUpdate> updates;
};

// The batch of `events`, just committed with `record`.
SessionBatch BatchOf(const coach::internal::SessionRecord& record,
                     const std::vector<StoredEvent>& events);

// The row of the session of `record` where `status` says it is, as of
// event `sequence`.
coach::v1::LiveSession RowOf(const coach::internal::SessionRecord& record,
                             const coach::v1::SessionStatus& status,
                             int64_t sequence);

// The name of exercise `exercise_id` in the record's routine; empty when it
// is not there.
std::string ExerciseNameIn(const coach::internal::SessionRecord& record,
                           const std::string& exercise_id);

// A coach's board: its rows by session id.
using BoardRows = std::map<std::string, coach::v1::LiveSession>;

// Applies `update` to `rows`: ENDED removes its session, CLIENT_UNLINKED
// every session of its person, any other update with a row sets its
// session's row.
void ApplyToRows(const coach::v1::LiveUpdate& update, BoardRows* rows);

// A SNAPSHOT of `rows` as of (`epoch`, `sequence`), stamped `now`, ordered
// by session id.
coach::v1::LiveUpdate BoardSnapshot(const std::string& epoch, int64_t sequence,
                                    const BoardRows& rows, absl::Time now,
                                    bool recovered, absl::string_view reason);

}  // namespace coachd

#endif  // SERVICES_COACH_LIVE_UPDATES_H_
