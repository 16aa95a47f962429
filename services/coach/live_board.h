// Every coach's live board: compact updates about every live session of
// their clients, numbered per coach (epoch and sequence, contiguous from 1),
// so a dashboard that reconnects resumes exactly like a session subscriber:
// every later update exactly once, or a snapshot of the board with
// recovered=false. Fed by SessionRunner commits (Observer) and by link
// changes; the work runs on the board's own single worker thread, in order,
// so the runner's commit path never blocks on the link store.
//
//   LiveBoard board(&links, &clock, {});
//   runner.AddObserver(board.Observer());
//   auto attachment = board.Attach("coach-bob", &position, sink);
//   // sink->Deliver(...) gets missed updates (or a snapshot), then live ones.
#ifndef SERVICES_COACH_LIVE_BOARD_H_
#define SERVICES_COACH_LIVE_BOARD_H_

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coach/v1/coach.pb.h"
#include "coach/v1/session.pb.h"
#include "services/coach/coach_links.h"
#include "services/coach/live_updates.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/session/session_runner.h"

namespace coachd {

// An update once numbered: immutable and shared by every watcher.
using SharedUpdate = std::shared_ptr<const coach::v1::LiveUpdate>;

// A watcher of a coach's board.
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // Receives the next update. Called with the board channel's lock held, in
  // sequence order: must be quick and must not call back into the board.
  virtual void Deliver(const SharedUpdate& update) = 0;
};

// Options of LiveBoard.
struct LiveBoardOptions {
  int window = 512;  // Recent updates kept per coach for resumes.
};

class CoachChannel;

// A sink's place on a coach's board. Destroying it detaches the sink: once
// the destructor returns, the sink is never called again.
class BoardAttachment {
 public:
  BoardAttachment(std::shared_ptr<CoachChannel> channel, LiveSink* sink);
  ~BoardAttachment();
  BoardAttachment(const BoardAttachment&) = delete;
  BoardAttachment& operator=(const BoardAttachment&) = delete;

  // A SNAPSHOT of the board as of its last update, with `recovered` and
  // `reason`. Takes the channel's lock: never call it from inside Deliver.
  SharedUpdate Snapshot(bool recovered, absl::string_view reason) const;

 private:
  std::shared_ptr<CoachChannel> channel_;
  LiveSink* sink_;
};

// What the board knows of one person.
struct PersonLive {
  std::vector<coach::v1::LiveSession> live;  // Sessions not finished.
  // Their last "that hurts" report seen by this process; unset when none.
  std::optional<coach::v1::DiscomfortNote> last_discomfort;
};

// Thread-safe. `links` and `clock` must outlive the board. Only commits
// made in this process are seen (see docs/COACH.md).
class LiveBoard {
 public:
  LiveBoard(CoachLinkStore* links, const Clock* clock,
            LiveBoardOptions options = {});
  // Finishes the queued work first.
  ~LiveBoard();
  LiveBoard(const LiveBoard&) = delete;
  LiveBoard& operator=(const LiveBoard&) = delete;

  // The runner observer feeding the board. Never blocks: it turns the
  // commit into compact updates and queues them for the worker.
  CommitObserver Observer();

  // Queues one commit (what Observer's function does).
  void OnCommit(const coach::internal::SessionRecord& record,
                const std::vector<coach::v1::SessionEvent>& events);

  // `person` linked `coach`: the coach's board gets CLIENT_LINKED (one per
  // live session of the person, with its row; one without a row when none).
  // Queued; never blocks.
  void OnLinked(const std::string& person, const std::string& coach);

  // `person` unlinked `coach`: their rows leave the coach's board with one
  // CLIENT_UNLINKED, and no later update of theirs reaches it. Queued.
  void OnUnlinked(const std::string& person, const std::string& coach);

  // Attaches `sink` to `coach`'s board. With no `position`, the sink first
  // gets a SNAPSHOT (recovered=true). With one, every update after
  // position->last_sequence exactly once; where that is impossible (another
  // epoch, history trimmed, a position ahead of history) a SNAPSHOT with
  // recovered=false. Then live updates. Never blocks on I/O.
  absl::StatusOr<std::unique_ptr<BoardAttachment>> Attach(
      const std::string& coach, const coach::v1::ResumePosition* position,
      LiveSink* sink);

  // The live sessions and last discomfort of `person` as the board knows
  // them (for ListClients). Kept up to date with every commit.
  PersonLive LiveOf(const std::string& person) const;

  // Blocks until the work queued before the call is done (tests).
  void Drain();

 private:
  // On the worker.
  void Apply(const SessionBatch& batch);
  void ApplyLinked(const std::string& person, const std::string& coach);
  void ApplyUnlinked(const std::string& person, const std::string& coach);
  std::shared_ptr<CoachChannel> ChannelOf(const std::string& coach);

  CoachLinkStore* links_;
  const Clock* clock_;
  const LiveBoardOptions options_;

  mutable absl::Mutex channels_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<CoachChannel>> channels_
      ABSL_GUARDED_BY(channels_mu_);

  mutable absl::Mutex persons_mu_;
  struct PersonState {
    std::map<std::string, coach::v1::LiveSession> live;  // By session id.
    std::optional<coach::v1::DiscomfortNote> last_discomfort;
  };
  absl::flat_hash_map<std::string, PersonState> persons_
      ABSL_GUARDED_BY(persons_mu_);

  // Last: destroyed first, running what is queued while the rest is alive.
  std::unique_ptr<Executor> worker_;
};

}  // namespace coachd

#endif  // SERVICES_COACH_LIVE_BOARD_H_
