// The server side of CoachService.WatchLive and WatchMySessions: one reactor
// per stream, a sink of a coach's board or of a person's own board
// (CoachBoard) with a bounded queue. A dashboard too slow to keep up loses
// its queue and is caught up with a snapshot (recovered=false), never slowing
// the board and never growing memory without bound. The stream never ends by
// itself; it ends when the watcher cancels or the server shuts down.
#ifndef SERVICES_COACH_WATCH_LIVE_REACTOR_H_
#define SERVICES_COACH_WATCH_LIVE_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/v1/coach.pb.h"
#include "services/auth/identity.h"
#include "services/auth/unary_call.h"
#include "services/coach/coach_board.h"
#include "services/common/stream_registry.h"

namespace coachd {

// Everything a WatchLive stream needs; pointers outlive the server.
struct WatchLiveDeps {
  ServiceDeps service;
  CoachBoard* board = nullptr;
  int max_queue = 256;  // Updates queued per stream before a snapshot.
};

// Whose board a stream watches.
enum class BoardOwner {
  kCoach,   // WatchLive: the calling coach's board of their clients.
  kPerson,  // WatchMySessions: the calling person's own board.
};

// Deletes itself when the call is done. Construct with new.
class WatchLiveReactor : public grpc::ServerWriteReactor<coach::v1::LiveUpdate>,
                         public LiveSink {
 public:
  // Authenticates, checks the caller's role for `owner`, validates `resume`
  // (nullptr: none; only read during the call) and attaches to the caller's
  // board (never blocks: a board that reads first delivers later), or
  // finishes with the error.
  WatchLiveReactor(const WatchLiveDeps& deps,
                   grpc::CallbackServerContext* context,
                   const coach::v1::ResumePosition* resume, BoardOwner owner);

  // LiveSink: queues the update and starts a write when idle.
  void Deliver(const SharedUpdate& update) override;

  // LiveSink: the board could not attach us; finishes with `status`.
  void Fail(const absl::Status& status) override;

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lets shutdown end the stream with UNAVAILABLE.
  void RegisterForShutdown();
  // Ends the stream with UNAUTHENTICATED when `who`'s token expires or its
  // device is revoked.
  void WatchLifetime(const Identity& who);
  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WatchLiveDeps deps_;
  const char* const method_;  // For the log line.
  const absl::Time start_;
  Identity who_;

  // Lets shutdown end this stream at once; reset in OnDone.
  StreamRegistration registration_;
  // This stream's place among its caller's open streams; reset in OnDone.
  StreamSlot slot_;
  // Ends this stream at its token\'s expiry or revocation; reset in OnDone.
  LifetimeRegistration lifetime_;
  absl::Mutex mu_;
  std::unique_ptr<BoardAttachment> attachment_ ABSL_GUARDED_BY(mu_);
  std::deque<SharedUpdate> queue_ ABSL_GUARDED_BY(mu_);
  SharedUpdate writing_ ABSL_GUARDED_BY(mu_);  // Kept alive until written.
  bool lagged_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  int snapshots_for_lag_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace coachd

#endif  // SERVICES_COACH_WATCH_LIVE_REACTOR_H_
