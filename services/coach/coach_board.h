// Every coach's live board, whatever keeps it: the interface that Coaching
// and WatchLive use, with two implementations. MemoryCoachBoard
// (memory_coach_board.h) keeps the boards in this process's memory and sees the
// commits made here (the embedded default); RedisCoachBoard
// (redis_coach_board.h) keeps them in Redis, so every replica sees the commits
// of every replica and a restart loses nothing.
//
// A board is a stream of compact updates per coach (and one per person, of
// their own sessions: AttachOwn), numbered with the board's epoch and a
// sequence contiguous from 1, so that a dashboard that reconnects resumes
// exactly like a session subscriber: every later update exactly once, or a
// SNAPSHOT with recovered=false.
//
//   std::unique_ptr<CoachBoard> board =
//   std::make_unique<MemoryCoachBoard>(...);
//   observers.push_back(board->Observer());  // for SessionComponent
//   auto attachment = board->Attach("coach-bob", &position, sink);
//   // sink->Deliver(...) gets missed updates (or a snapshot), then live ones.
#ifndef SERVICES_COACH_COACH_BOARD_H_
#define SERVICES_COACH_COACH_BOARD_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/coach.pb.h"
#include "coach/v1/session.pb.h"
#include "services/session/session_runner.h"

namespace coachd {

// An update once numbered: immutable and shared by every watcher.
using SharedUpdate = std::shared_ptr<const coach::v1::LiveUpdate>;

// A watcher of a coach's board.
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // Receives the next update. Called with the board's lock held, in
  // sequence order: must be quick and must not call back into the board.
  virtual void Deliver(const SharedUpdate& update) = 0;

  // The board could not attach the sink after all (a board that catches up
  // asynchronously, e.g. UNAVAILABLE while Redis is unreachable). Called at
  // most once, instead of any Deliver, with the board's lock held: must be
  // quick. The default does nothing (boards that attach synchronously never
  // call it).
  virtual void Fail(const absl::Status& status) {}
};

// A coach's board as one process serves it to its watchers.
class BoardFeed {
 public:
  virtual ~BoardFeed() = default;
  // Removes `sink`; once this returns, the sink is never called again.
  virtual void Detach(LiveSink* sink) = 0;
  // A SNAPSHOT of the board as of the last update this feed delivered, with
  // `recovered` and `reason`. In memory: never blocks, but takes the feed's
  // lock, so never call it from inside Deliver.
  virtual SharedUpdate Snapshot(bool recovered,
                                absl::string_view reason) const = 0;
};

// A sink's place on a coach's board. Destroying it detaches the sink: once
// the destructor returns, the sink is never called again (and a board that
// was still catching up stops doing so for it).
class BoardAttachment {
 public:
  BoardAttachment(std::shared_ptr<BoardFeed> feed, LiveSink* sink);
  ~BoardAttachment();
  BoardAttachment(const BoardAttachment&) = delete;
  BoardAttachment& operator=(const BoardAttachment&) = delete;

  // See BoardFeed::Snapshot.
  SharedUpdate Snapshot(bool recovered, absl::string_view reason) const;

 private:
  std::shared_ptr<BoardFeed> feed_;
  LiveSink* sink_;
};

// What the board knows of one person.
struct PersonLive {
  std::vector<coach::v1::LiveSession> live;  // Sessions not finished.
  // Their last "that hurts" report; unset when none is known.
  std::optional<coach::v1::DiscomfortNote> last_discomfort;
};

// Every coach's board. Implementations are thread-safe; their pointers
// passed in must outlive them.
class CoachBoard {
 public:
  virtual ~CoachBoard() = default;

  // The runner observer feeding the board (calls OnCommit). Never blocks.
  CommitObserver Observer();

  // One commit of a session: turns it into compact updates (discomfort
  // first) for the coaches of the session's owner. Never blocks: the work
  // is queued.
  virtual void OnCommit(const coach::internal::SessionRecord& record,
                        const std::vector<StoredEvent>& events) = 0;

  // `person` linked `coach`: the coach's board gets CLIENT_LINKED (one per
  // live session of the person, with its row; one without a row when none).
  // Queued; never blocks.
  virtual void OnLinked(const std::string& person,
                        const std::string& coach) = 0;

  // `person` unlinked `coach`: their rows leave the coach's board with one
  // CLIENT_UNLINKED, and no later update of theirs reaches it. Queued.
  virtual void OnUnlinked(const std::string& person,
                          const std::string& coach) = 0;

  // Attaches `sink` to `coach`'s board. With no `position`, the sink first
  // gets a SNAPSHOT (recovered=true). With one, every update after
  // position->last_sequence exactly once; where that is impossible (another
  // epoch, history trimmed, a position ahead of history) a SNAPSHOT with
  // recovered=false. Then live updates. Never blocks on I/O: a board that
  // must read first delivers later, or calls sink->Fail. `position` is only
  // read during the call.
  virtual absl::StatusOr<std::unique_ptr<BoardAttachment>> Attach(
      const std::string& coach, const coach::v1::ResumePosition* position,
      LiveSink* sink) = 0;

  // Attaches `sink` to `person`'s own board (WatchMySessions): the same
  // updates a coach of theirs gets for every commit of their sessions, with
  // the board's own epoch and sequence, whether or not they have a coach;
  // never CLIENT_LINKED or CLIENT_UNLINKED. Resume and delivery exactly as
  // Attach. A person's board and a coach's board of the same id are apart.
  virtual absl::StatusOr<std::unique_ptr<BoardAttachment>> AttachOwn(
      const std::string& person, const coach::v1::ResumePosition* position,
      LiveSink* sink) = 0;

  // The live sessions and last discomfort of `person` (for ListClients).
  // May block on I/O; UNAVAILABLE when the board's store is unreachable.
  virtual absl::StatusOr<PersonLive> LiveOf(const std::string& person) = 0;

  // Blocks until the work queued before the call is done (tests).
  virtual void Drain() = 0;

  // Counts one watcher of this process (WatchLive, WatchMySessions) that
  // fell behind its stream's queue and was handed a snapshot instead of
  // the updates it missed. Thread-safe; never blocks.
  void CountFellBehind() {
    fell_behind_.fetch_add(1, std::memory_order_relaxed);
  }

  // How many times CountFellBehind was called (for metrics).
  int64_t FellBehind() const {
    return fell_behind_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> fell_behind_{0};
};

}  // namespace coachd

#endif  // SERVICES_COACH_COACH_BOARD_H_
