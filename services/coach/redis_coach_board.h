// Every coach's live board in Redis: each replica sees the updates of every
// session, whichever replica committed it, and a restart loses neither the
// boards nor anyone's last discomfort. See coach_board.h for the contract.
//
// Keys (PREFIX defaults to "coachd"; RedisCoachKeys), per coach C:
//   PREFIX:{coach:C}:board  stream: one entry per update, id "<seq>-0",
//                           field u = LiveUpdate bytes (without epoch and
//                           sequence, which the id and meta give);
//                           MAXLEN ~ window
//   PREFIX:{coach:C}:meta   hash: epoch (made once; new when Redis lost the
//                           board), seq (the last update's sequence)
//   PREFIX:{coach:C}:rows   hash: "<person>\0<session>" -> LiveSession bytes
//   PREFIX:{coach:C}:seen   hash: session -> last session sequence published
//   PREFIX:{coach:C}:ended  list: finished sessions whose `seen` is kept
// and per person P:
//   PREFIX:{person:P}:live  hash: row:<session> -> LiveSession bytes,
//                           seq:<session> -> its session sequence,
//                           discomfort -> DiscomfortNote bytes
//   PREFIX:{person:P}:ended list, as for coaches
//   PREFIX:{person:P}:own-board, own-meta, own-rows, own-seen, own-ended:
//                           the person's own board (AttachOwn), kept like a
//                           coach's, with every update of their sessions
// All of a coach's keys, and the coach's clients hash of RedisCoachLinkStore,
// share the slot {coach:C}: one Lua script per coach appends a commit's
// updates, assigning the sequences, updates the rows, and checks in the
// same step that the person is still a client (so nothing of a client
// follows their CLIENT_UNLINKED). A person's own board is written by the
// same script in the person's slot, with no client check. Cluster-ready as
// it stands.
//
// Who writes: the replica that committed. Its runner observer queues the
// commit; the board's worker thread reads the person's coaches (one round
// trip) and sends the person's script, their own board's and one per coach
// in one pipelined round trip. The board is written after the session's commit,
// not in its transaction: a crash (or losing Redis) between the two loses
// that commit's updates for the coaches (the session's own history keeps
// them; the next commit puts the rows right). Two replicas committing one
// session back to back may publish out of order: the older commit's updates
// are then appended without their rows (LiveUpdate.session unset), and the
// rows stay as the newer commit left them; nothing is lost, no row goes back.
//
// Who reads: each replica runs one reader per watched coach (a thread with
// XREAD BLOCK on its own connection), keeping a mirror of the board (rows,
// recent updates) from which its watchers are fed. Fresh watches and
// resumes beyond the mirror read Redis on the board's I/O thread; resumes
// within it are served from memory at once. A reader leaves when its
// coach's last watcher does.
//
//   RedisCoachLinkStore links(links_options);
//   RedisCoachBoard board(&links, &clock, &client, board_options);
//   observers.push_back(board.Observer());  // for SessionComponent
#ifndef SERVICES_COACH_REDIS_COACH_BOARD_H_
#define SERVICES_COACH_REDIS_COACH_BOARD_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/coach/coach_board.h"
#include "services/coach/coach_links.h"
#include "services/coach/live_updates.h"
#include "services/coach/redis_coach_link_store.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/redis/redis_client.h"

namespace coachd {

// Options of RedisCoachBoard.
struct RedisCoachBoardOptions {
  // Must be RedisCoachLinkStore' prefix: the board checks its clients hash.
  std::string key_prefix = "coachd";
  // Updates kept per coach, about (Redis MAXLEN ~, and each replica's
  // mirror); a resume older than that gets a snapshot.
  int window = 512;
  // Finished sessions remembered per coach and person, to drop their late
  // commits.
  int ended_memory = 256;
  int io_threads = 2;  // Threads for catch-ups (they block on Redis).
  absl::Duration follow_block = absl::Seconds(1);  // A reader's XREAD BLOCK.
};

// What the board has published since it was made.
struct RedisBoardStats {
  int64_t published = 0;  // Updates appended to coaches' boards.
};

// CoachBoard on Redis. Thread-safe. `links` (a RedisCoachLinkStore with the
// same prefix, for CoachesOf), `clock` and `client` must outlive it. Uses the
// client's connections, plus one of its own per board watched on this
// replica.
class RedisCoachBoard : public CoachBoard {
 public:
  RedisCoachBoard(CoachLinkStore* links, const Clock* clock,
                  RedisClient* client, RedisCoachBoardOptions options);
  // Publishes what is queued, then stops every reader.
  ~RedisCoachBoard() override;
  RedisCoachBoard(const RedisCoachBoard&) = delete;
  RedisCoachBoard& operator=(const RedisCoachBoard&) = delete;

  // CoachBoard. A commit, link or unlink that cannot be published (Redis
  // unreachable) is logged and dropped. Attach never blocks; a watch that
  // must read Redis first gets its first updates from the I/O thread, or
  // Fail(UNAVAILABLE) when Redis is unreachable. LiveOf is one round trip.
  void OnCommit(const coach::internal::SessionRecord& record,
                const std::vector<StoredEvent>& events) override;
  void OnLinked(const std::string& person, const std::string& coach) override;
  void OnUnlinked(const std::string& person, const std::string& coach) override;
  absl::StatusOr<std::unique_ptr<BoardAttachment>> Attach(
      const std::string& coach, const coach::v1::ResumePosition* position,
      LiveSink* sink) override;
  absl::StatusOr<std::unique_ptr<BoardAttachment>> AttachOwn(
      const std::string& person, const coach::v1::ResumePosition* position,
      LiveSink* sink) override;
  absl::StatusOr<PersonLive> LiveOf(const std::string& person) override;
  // Waits for the publishing queued before the call (then Redis has it;
  // readers deliver it to watchers when they read it).
  void Drain() override;

  // Boards (coaches' and persons' own) with a reader on this replica now
  // (for tests).
  int ReaderCountForTest() const;

  // Counters of what was sent to Redis.
  RedisBoardStats Stats() const;

 private:
  class Feed;
  // Where one board lives in Redis: a coach's, or a person's own.
  struct BoardKeys {
    std::string name;     // "coach C" or "person P": logs and the feeds' map.
    bool own = false;     // A person's own board: no client check.
    std::string clients;  // Coach: its clients hash; own: any key of the slot.
    std::string board, meta, rows, seen, ended;
  };
  BoardKeys CoachBoardKeys(const std::string& coach) const;
  BoardKeys OwnBoardKeys(const std::string& person) const;
  absl::StatusOr<std::unique_ptr<BoardAttachment>> AttachTo(
      BoardKeys keys, const coach::v1::ResumePosition* position,
      LiveSink* sink);
  // A coach's board as Redis holds it.
  struct BoardState {
    std::string epoch;
    int64_t sequence = 0;
    BoardRows rows;
  };

  // What publishes some commits: script calls for one pipeline, and
  // which of them write a coach's board (counted in Stats).
  struct PublishCalls {
    std::vector<RedisCommand> calls;
    std::vector<const RedisScript*> scripts;
    std::vector<bool> coach_board;
  };
  using CoachesByPerson =
      absl::flat_hash_map<std::string,
                          absl::StatusOr<std::vector<coach::v1::CoachLink>>>;

  // On the worker, in order. Commits are published together: each run
  // takes every commit queued so far (pending_), looks up each person's
  // coaches once and sends the scripts of up to kPublishBatch commits in
  // one round trip, so that the worker keeps up with a busy replica (one
  // commit at a time, two round trips each, it fell seconds behind under
  // load, and a replica stopping took that long to drain it).
  void PublishPending();
  void AddPublish(const SessionBatch& batch, CoachesByPerson* coaches,
                  PublishCalls* out);
  void PublishLinked(const std::string& person, const std::string& coach);
  void PublishUnlinked(const std::string& person, const std::string& coach);
  // Runs the calls in one round trip; logs failures.
  void RunPublish(absl::string_view what, PublishCalls publish);
  RedisCommand BoardCall(const BoardKeys& keys, const std::string& person,
                         const std::vector<std::string>& args) const;

  // On the I/O threads.
  void CatchUp(const std::shared_ptr<Feed>& feed,
               const std::optional<coach::v1::ResumePosition>& position,
               uint64_t pending_id);
  void RetireIfIdle(const std::string& name);
  void ScheduleRetire(const std::string& name);

  // The board at `keys` (epoch made if missing): a coach's rows of current
  // clients, or all of a person's own rows.
  absl::StatusOr<BoardState> LoadBoard(RedisConnection* connection,
                                       const BoardKeys& keys);
  absl::StatusOr<PersonLive> ReadPerson(const std::string& person);

  CoachLinkStore* links_;
  const Clock* clock_;
  RedisClient* const client_;
  const RedisCoachBoardOptions options_;
  const RedisCoachKeys keys_;
  std::atomic<int64_t> published_{0};

  mutable absl::Mutex feeds_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Feed>> feeds_
      ABSL_GUARDED_BY(feeds_mu_);

  // Commits waiting for the worker; publish_scheduled_: a PublishPending
  // is queued on it that will take them.
  absl::Mutex pending_mu_;
  std::vector<std::shared_ptr<const SessionBatch>> pending_
      ABSL_GUARDED_BY(pending_mu_);
  bool publish_scheduled_ ABSL_GUARDED_BY(pending_mu_) = false;

  std::unique_ptr<Executor> io_;      // Catch-ups and retirements.
  std::unique_ptr<Executor> worker_;  // Publishing, one at a time, in order.
};

}  // namespace coachd

#endif  // SERVICES_COACH_REDIS_COACH_BOARD_H_
