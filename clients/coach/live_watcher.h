// Watches a coach's live board the way every dashboard should: it remembers
// where it is (epoch, last sequence), and when the stream breaks it
// reconnects with backoff and resumes from there, so nothing is missed or
// shown twice (or it is told, with a snapshot, that something was lost).
// A stream ended with UNAUTHENTICATED (the token expired or was revoked)
// reopens at once with a refreshed token from its TokenProvider and resumes.
//
//   LiveWatcher watcher(channel, credentials->Provider());
//   absl::Status s = watcher.Run([](const coach::v1::LiveUpdate& u) {
//     std::cout << PlainLine(u) << "\n";
//   });
#ifndef CLIENTS_COACH_LIVE_WATCHER_H_
#define CLIENTS_COACH_LIVE_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/common/token_provider.h"
#include "coach/v1/coach.grpc.pb.h"

namespace coachd {

// Options of LiveWatcher.
struct WatcherOptions {
  // Give up after this many reconnects in a row without an update.
  int max_retries = 30;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(3);
};

// Not thread-safe except Stop(), which may be called from any thread.
class LiveWatcher {
 public:
  // `tokens` gives the token of each (re)open; see token_provider.h.
  LiveWatcher(std::shared_ptr<grpc::Channel> channel, TokenProvider tokens,
              WatcherOptions options = {});
  // A fixed `token` (FixedToken: UNAUTHENTICATED ends the run).
  LiveWatcher(std::shared_ptr<grpc::Channel> channel, std::string token,
              WatcherOptions options = {});

  // Streams updates to `on_update` until it returns false (OK), Stop()
  // (CANCELLED), a non-retryable error (its status: PERMISSION_DENIED,
  // UNAUTHENTICATED, INVALID_ARGUMENT), or retries run out (UNAVAILABLE).
  absl::Status Run(
      const std::function<bool(const coach::v1::LiveUpdate&)>& on_update);

  // Ends Run from another thread.
  void Stop();

  // Where the watcher is; last_sequence is -1 before the first update.
  const std::string& epoch() const { return epoch_; }
  int64_t last_sequence() const { return last_sequence_; }
  int reconnects() const { return reconnects_; }
  // Tokens refreshed after UNAUTHENTICATED so far.
  int refreshes() const { return refreshes_; }

 private:
  std::unique_ptr<coach::v1::CoachService::Stub> stub_;
  TokenProvider tokens_;
  const WatcherOptions options_;
  std::string epoch_;
  int64_t last_sequence_ = -1;
  int reconnects_ = 0;
  int refreshes_ = 0;
  std::atomic<bool> stopped_{false};
  absl::Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace coachd

#endif  // CLIENTS_COACH_LIVE_WATCHER_H_
