// The coach console's model of a coach's clients: applies WatchLive updates
// (a snapshot replaces the live rows; later updates change them) and
// ListClients answers (who the clients are, weekly progress, last
// discomfort), and renders the live table, discomfort flagged at the top,
// or one plain line per update for scripts. Pure; no gRPC.
//
//   BoardModel model;
//   model.SetClients(list_clients_response);
//   if (model.Apply(update)) std::cout << PlainLine(update) << "\n";
//   std::cout << model.Render(absl::Now(), 100);
#ifndef CLIENTS_COACH_BOARD_VIEW_H_
#define CLIENTS_COACH_BOARD_VIEW_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "coach/v1/coach.pb.h"

namespace coachd {

// Not thread-safe: callers serialize.
class BoardModel {
 public:
  // Applies `update`. False (and nothing changes) for an update already
  // applied (same epoch, sequence not after the last one).
  bool Apply(const coach::v1::LiveUpdate& update);

  // Replaces the client list (progress, last discomfort, idle clients).
  void SetClients(const coach::v1::ListClientsResponse& clients);

  // The table as lines of at most `width` columns (ASCII, no escape codes):
  // a header, open discomfort flagged at the top, then one row per client:
  // training (exercise, set, routine progress), paused or idle; this week's
  // progress; the last discomfort.
  std::string Render(absl::Time now, int width) const;

  // Where the model is in the coach's board history.
  const std::string& epoch() const { return epoch_; }
  int64_t last_sequence() const { return last_sequence_; }

 private:
  // One client as the console shows them.
  struct Client {
    std::map<std::string, coach::v1::LiveSession> live;  // By session id.
    std::optional<coach::v1::ClientProgress> progress;
    std::optional<coach::v1::DiscomfortNote> last_discomfort;
    std::string last_event;  // "set 2 done", "ended 85%"...
  };

  std::string epoch_;
  int64_t last_sequence_ = -1;
  std::map<std::string, Client> clients_;  // By person id.
};

// One line for `update`, e.g. "#12 !! DISCOMFORT alice s=ab12 Band row:
// \"lower back\"".
std::string PlainLine(const coach::v1::LiveUpdate& update);

// One line for a session event followed cue by cue, e.g. "#40 Band row set
// 2/3 rep 3/8 | Exhale and pull...".
std::string FollowLine(const coach::v1::SessionEvent& event);

// The summary as lines: duration, pauses, skips, each exercise's sets, reps
// and holds done against prescribed, and every discomfort report.
std::string RenderSummary(const coach::v1::SessionSummaryView& summary);

}  // namespace coachd

#endif  // CLIENTS_COACH_BOARD_VIEW_H_
