// Watches a gRPC channel from a thread of its own: counts its connections
// for metrics (each time it becomes READY: the first connection, then every
// reconnect; each time it fails to connect: TRANSIENT_FAILURE) and, if
// asked, keeps it connecting (an IDLE channel is asked to connect at once).
// Changes faster than the thread wakes may be seen as one.
//
// The thread also keeps the channel's I/O going, which a client of gRPC's
// synchronous API needs. gRPC's C core advances a connection attempt (TCP
// connect, the TLS handshake, HTTP/2's preface) only while some thread
// polls: one waiting in a call, or on a CompletionQueue as this thread
// does. While the channel is in TRANSIENT_FAILURE, synchronous calls fail
// at once without polling; a client whose threads only make such calls
// and sleep between tries (loadgen's households) leaves each attempt to
// gRPC's backup poller, which polls every 5 s. A TLS handshake needs
// several polls, so every attempt ran out of its time (the minimum
// reconnect backoff) first, for as long as the client kept trying: the
// households never got back through a restarted nginx. Callback-API
// clients (the web gateway) have gRPC's own polling threads. MakeChannel
// (client_auth.h) gives every channel it makes a keeper of this kind.
//
//   ChannelWatch watch(channel, connects, failures);   // counting from now
//   ChannelWatchOptions keep;  keep.keep_connecting = true;
//   ChannelWatch keeper(channel, keep);                // and connected
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

// What a ChannelWatch does besides polling.
struct ChannelWatchOptions {
  Counter* connects = nullptr;  // If set, +1 each time the channel is READY.
  Counter* failures = nullptr;  // If set, +1 each TRANSIENT_FAILURE.
  // Ask the channel to connect whenever it is IDLE (a connection closed
  // by the server or a proxy), instead of waiting for the next call.
  bool keep_connecting = false;
};

// Owns its thread. The counters must outlive it.
class ChannelWatch {
 public:
  // How long the thread waits for a change before it checks for Stop.
  static constexpr absl::Duration kPoll = absl::Milliseconds(200);

  ChannelWatch(std::shared_ptr<grpc::Channel> channel,
               ChannelWatchOptions options);
  // Counts only (never asks the channel to connect).
  ChannelWatch(std::shared_ptr<grpc::Channel> channel, Counter* connects,
               Counter* failures)
      : ChannelWatch(std::move(channel),
                     ChannelWatchOptions{connects, failures, false}) {}
  ~ChannelWatch();
  ChannelWatch(const ChannelWatch&) = delete;
  ChannelWatch& operator=(const ChannelWatch&) = delete;

 private:
  void Run();
  // The channel's state now (asking it to connect if so configured),
  // counted if it is READY or TRANSIENT_FAILURE.
  grpc_connectivity_state Look();

  const std::shared_ptr<grpc::Channel> channel_;
  const ChannelWatchOptions options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace coachd

#endif  // CLIENTS_COMMON_CHANNEL_WATCH_H_
