// Follows a session's event stream for a device, the way every client should:
// it remembers where it is (epoch, last sequence), and when the stream
// breaks it reconnects with backoff and resumes from there, so nothing is
// missed or repeated. Stops when the session is finished.
//
//   SessionFollower follower(channel, token, session_id, DEVICE_KIND_VOICE);
//   absl::Status s = follower.Run([](const coach::v1::SessionEvent& e) {
//     std::cout << e.speech().text() << "\n";
//   });
#ifndef CLIENTS_COMMON_SESSION_FOLLOWER_H_
#define CLIENTS_COMMON_SESSION_FOLLOWER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/common/token_provider.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/metrics/metrics.h"

namespace coachd {

// Options of SessionFollower.
struct FollowerOptions {
  // Start from the first event (replay) instead of a snapshot of now.
  bool from_start = false;
  // Give up after this many reconnects in a row without an event.
  int max_retries = 30;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(3);
  // If set, each reconnect is also counted here (metrics); must outlive
  // Run.
  Counter* reconnects = nullptr;
};

// Not thread-safe except Stop(), which may be called from any thread.
class SessionFollower {
 public:
  SessionFollower(std::shared_ptr<grpc::Channel> channel, std::string token,
                  std::string session_id, coach::v1::DeviceKind kind,
                  FollowerOptions options = {});
  // With tokens from `tokens`: when the stream ends UNAUTHENTICATED (the
  // token expired or was revoked) it asks for a refreshed one and, if it
  // gets one, resumes at once from where it was.
  SessionFollower(std::shared_ptr<grpc::Channel> channel, TokenProvider tokens,
                  std::string session_id, coach::v1::DeviceKind kind,
                  FollowerOptions options = {});

  // Streams events to `on_event` until the session finishes (OK), Stop()
  // (CANCELLED), a non-retryable error (its status: NOT_FOUND,
  // PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT), or retries run out.
  absl::Status Run(
      const std::function<void(const coach::v1::SessionEvent&)>& on_event);

  // Ends Run from another thread.
  void Stop();

  // Where the follower is.
  const std::string& epoch() const { return epoch_; }
  int64_t last_sequence() const { return last_sequence_; }
  int reconnects() const { return reconnects_; }
  int refreshes() const { return refreshes_; }

 private:
  std::unique_ptr<coach::v1::SessionService::Stub> stub_;
  const TokenProvider tokens_;
  const std::string session_id_;
  const coach::v1::DeviceKind kind_;
  const FollowerOptions options_;
  std::string epoch_;
  int64_t last_sequence_ = -1;  // -1: nothing seen yet.
  int reconnects_ = 0;
  int refreshes_ = 0;
  std::atomic<bool> stopped_{false};
  absl::Mutex mu_;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace coachd

#endif  // CLIENTS_COMMON_SESSION_FOLLOWER_H_
