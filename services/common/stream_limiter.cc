#include "services/common/stream_limiter.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/common/check.h"

namespace coachd {

StreamSlot& StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Reset();
    limiter_ = std::exchange(other.limiter_, nullptr);
    identity_ = std::move(other.identity_);
  }
  return *this;
}

void StreamSlot::Reset() {
  if (limiter_ != nullptr) limiter_->Release(identity_);
  limiter_ = nullptr;
}

StreamLimiter::StreamLimiter(int max_per_identity) : max_(max_per_identity) {}

StreamLimiter::~StreamLimiter() {
  // Under the lock: the last Release may have run on a gRPC thread.
  absl::MutexLock lock(&mu_);
  COACHD_DCHECK(open_.empty(), "a stream limiter died with slots taken");
}

absl::StatusOr<StreamSlot> StreamLimiter::Acquire(absl::string_view method,
                                                  absl::string_view identity) {
  absl::MutexLock lock(&mu_);
  int& open = open_[std::string(identity)];
  if (max_ > 0 && open >= max_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        method, ": limit of ", max_,
        " open streams per person on this replica (--max_streams_per_person) "
        "reached; close one of them and retry (a stream's place frees as "
        "soon as it ends)"));
  }
  ++open;
  return StreamSlot(this, std::string(identity));
}

int StreamLimiter::OpenFor(absl::string_view identity) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(identity);
  return it == open_.end() ? 0 : it->second;
}

bool StreamLimiter::AwaitOpenForTest(absl::string_view identity, int count,
                                     absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() {
    auto it = open_.find(identity);
    return (it == open_.end() ? 0 : it->second) == count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void StreamLimiter::Release(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(identity);
  COACHD_DCHECK(it != open_.end() && it->second > 0,
                "a released stream slot was taken");
  if (--it->second == 0) open_.erase(it);
}

}  // namespace coachd
