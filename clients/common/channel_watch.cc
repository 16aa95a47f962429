#include "clients/common/channel_watch.h"

#include <utility>

#include "absl/time/clock.h"

namespace coachd {

ChannelWatch::ChannelWatch(std::shared_ptr<grpc::Channel> channel,
                           ChannelWatchOptions options)
    : channel_(std::move(channel)), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

ChannelWatch::~ChannelWatch() {
  stop_ = true;
  thread_.join();
}

grpc_connectivity_state ChannelWatch::Look() {
  const grpc_connectivity_state state =
      channel_->GetState(options_.keep_connecting);
  if (state == GRPC_CHANNEL_READY && options_.connects != nullptr) {
    options_.connects->Increment();
  }
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE && options_.failures != nullptr) {
    options_.failures->Increment();
  }
  return state;
}

void ChannelWatch::Run() {
  grpc_connectivity_state state = channel_->GetState(options_.keep_connecting);
  if (state == GRPC_CHANNEL_READY && options_.connects != nullptr) {
    options_.connects->Increment();
  }
  while (!stop_) {
    // Waiting here polls gRPC's I/O (the header says why that matters).
    if (channel_->WaitForStateChange(state,
                                     absl::ToChronoTime(absl::Now() + kPoll))) {
      state = Look();
    }
  }
}

}  // namespace coachd
