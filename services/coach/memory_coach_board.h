// Every coach's live board in this process's memory (the embedded default;
// see coach_board.h for the contract): compact updates about every live
// session of their clients, numbered per coach (epoch and sequence,
// contiguous from 1), and each person's own board of their sessions. Fed by
// SessionRunner commits (Observer) and by link changes; the work runs on the
// board's own single worker thread, in order, so the runner's commit path never
// blocks on the link store.
//
//   MemoryCoachBoard board(&links, &clock, {});
//   observers.push_back(board.Observer());  // for SessionComponent
//   auto attachment = board.Attach("coach-bob", &position, sink);
//   // sink->Deliver(...) gets missed updates (or a snapshot), then live ones.
#ifndef SERVICES_COACH_MEMORY_COACH_BOARD_H_
#define SERVICES_COACH_MEMORY_COACH_BOARD_H_

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
#include "services/coach/coach_board.h"
#include "services/coach/coach_links.h"
#include "services/coach/live_updates.h"
#include "services/common/clock.h"
#include "services/common/executor.h"
#include "services/session/session_runner.h"

namespace coachd {

// Options of MemoryCoachBoard.
struct MemoryCoachBoardOptions {
  int window = 512;  // Recent updates kept per coach for resumes.
};

class CoachChannel;

// Thread-safe. `links` and `clock` must outlive the board. Only commits
// made in this process are seen, and only until it exits (see
// docs/COACH.md); RedisCoachBoard lifts both limits.
class MemoryCoachBoard : public CoachBoard {
 public:
  MemoryCoachBoard(CoachLinkStore* links, const Clock* clock,
                   MemoryCoachBoardOptions options = {});
  // Finishes the queued work first.
  ~MemoryCoachBoard();
  MemoryCoachBoard(const MemoryCoachBoard&) = delete;
  MemoryCoachBoard& operator=(const MemoryCoachBoard&) = delete;

  // CoachBoard. Attach delivers the first updates before it returns;
  // LiveOf never fails and never blocks.
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
  void Drain() override;

 private:
  // On the worker.
  void Apply(const SessionBatch& batch);
  void ApplyLinked(const std::string& person, const std::string& coach);
  void ApplyUnlinked(const std::string& person, const std::string& coach);
  std::shared_ptr<CoachChannel> ChannelOf(const std::string& coach);
  // `person`'s own channel, or null while nothing ever watched it.
  std::shared_ptr<CoachChannel> OwnChannelIfWatched(const std::string& person)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(persons_mu_);
  using Channels =
      absl::flat_hash_map<std::string, std::shared_ptr<CoachChannel>>;
  // The channel of `id` in `channels`, made if missing.
  std::shared_ptr<CoachChannel> ChannelInLocked(Channels* channels,
                                                const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(channels_mu_);
  PersonLive Known(const std::string& person) const;

  CoachLinkStore* links_;
  const Clock* clock_;
  const MemoryCoachBoardOptions options_;

  mutable absl::Mutex channels_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<CoachChannel>> channels_
      ABSL_GUARDED_BY(channels_mu_);
  // Each person's own board, by person, made by its first AttachOwn from
  // the person's rows in persons_: until something watches, a person has
  // no channel (no second copy of their rows, no epoch, no sequence).
  absl::flat_hash_map<std::string, std::shared_ptr<CoachChannel>> own_channels_
      ABSL_GUARDED_BY(channels_mu_);

  // Taken before channels_mu_ and a channel's lock.
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

#endif  // SERVICES_COACH_MEMORY_COACH_BOARD_H_
