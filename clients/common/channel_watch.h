// Counts a gRPC channel's connections for metrics: each time it becomes
// READY (the first connection, then every reconnect) and each time it
// fails to connect (TRANSIENT_FAILURE). A thread of its own waits for the
// channel's state changes (never asking it to connect); changes faster
// than the thread wakes may be seen as one.
//
//   ChannelWatch watch(channel, connects, failures);   // counting from now
//   ...
//   // destroyed: the thread stops within kPoll
#ifndef CLIENTS_COMMON_CHANNEL_WATCH_H_
#define CLIENTS_COMMON_CHANNEL_WATCH_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <thread>

#include "absl/time/time.h"
#include "services/metrics/metrics.h"

namespace coachd {

// Owns its thread. `connects` and `failures` must outlive it.
class ChannelWatch {
 public:
  // How long the thread waits for a change before it checks for Stop.
  static constexpr absl::Duration kPoll = absl::Milliseconds(200);

  ChannelWatch(std::shared_ptr<grpc::Channel> channel, Counter* connects,
               Counter* failures);
  ~ChannelWatch();
  ChannelWatch(const ChannelWatch&) = delete;
  ChannelWatch& operator=(const ChannelWatch&) = delete;

 private:
  void Run();

  const std::shared_ptr<grpc::Channel> channel_;
  Counter* const connects_;
  Counter* const failures_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace coachd

#endif  // CLIENTS_COMMON_CHANNEL_WATCH_H_
