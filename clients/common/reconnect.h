// What a client stream does when it ends: give up (a status asking again
// cannot fix), give up after too many failures in a row, or wait with
// exponential backoff and reopen. Shared by every client that keeps a stream.
//
//   Reconnect reconnect({/*max_retries=*/30, absl::Milliseconds(200),
//                        absl::Seconds(3)});
//   for (;;) {
//     ... while (reader->Read(&e)) { reconnect.Reset(); ... }
//     absl::Status s = reconnect.AfterStreamEnded(reader->Finish());
//     if (!s.ok()) return s;   // otherwise it has waited: reopen
//   }
#ifndef CLIENTS_COMMON_RECONNECT_H_
#define CLIENTS_COMMON_RECONNECT_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/metrics/metrics.h"

namespace coachd {

// Limits of Reconnect.
struct ReconnectOptions {
  int max_retries = 30;  // Failures in a row without an event.
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(3);
  // If set, each reopen is also counted here (metrics); must outlive the
  // Reconnect.
  Counter* reopens = nullptr;
};

// Not thread-safe: one per stream loop.
class Reconnect {
 public:
  explicit Reconnect(ReconnectOptions options)
      : options_(options), backoff_(options.initial_backoff) {}

  // The stream is healthy again (an event arrived): start counting afresh.
  void Reset() {
    failures_ = 0;
    backoff_ = options_.initial_backoff;
  }

  // After a stream ended with `status`: the status as absl::Status when
  // reopening cannot help (see RetryableStatus), UNAVAILABLE "gave up
  // reconnecting" after max_retries failures in a row; else it waits the
  // backoff (blocking the caller's thread), doubles it up to max_backoff,
  // and returns OK: reopen the stream.
  absl::Status AfterStreamEnded(const grpc::Status& status);

  // Reopens so far.
  int reconnects() const { return reconnects_; }

 private:
  const ReconnectOptions options_;
  absl::Duration backoff_;
  int failures_ = 0;
  int reconnects_ = 0;
};

}  // namespace coachd

#endif  // CLIENTS_COMMON_RECONNECT_H_
