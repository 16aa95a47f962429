#include "clients/common/channel_watch.h"

#include <utility>

#include "absl/time/clock.h"

namespace coachd {

ChannelWatch::ChannelWatch(std::shared_ptr<grpc::Channel> channel,
                           Counter* connects, Counter* failures)
    : channel_(std::move(channel)), connects_(connects), failures_(failures) {
  thread_ = std::thread([this] { Run(); });
}

ChannelWatch::~ChannelWatch() {
  stop_ = true;
  thread_.join();
}

void ChannelWatch::Run() {
  grpc_connectivity_state state = channel_->GetState(false);
  if (state == GRPC_CHANNEL_READY) connects_->Increment();
  while (!stop_) {
    if (!channel_->WaitForStateChange(
            state, absl::ToChronoTime(absl::Now() + kPoll))) {
      continue;  // No change before the deadline.
    }
    state = channel_->GetState(false);
    if (state == GRPC_CHANNEL_READY) connects_->Increment();
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) failures_->Increment();
  }
}

}  // namespace coachd
