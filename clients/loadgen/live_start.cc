#include "clients/loadgen/live_start.h"

#include <cassert>

namespace coachd {

void LiveStart::Begin(int devices) {
  assert(devices >= 1);
  seen_.assign(devices, false);
  attached_ = 0;
  failed_ = false;
  resumed_ = false;
}

LiveStart::Step LiveStart::Attached(int device) {
  if (seen_.empty()) return Step::kIgnore;  // No session began.
  assert(device >= 0 && device < static_cast<int>(seen_.size()));
  if (seen_[device]) return Step::kIgnore;
  seen_[device] = true;
  ++attached_;
  if (failed_) return Step::kIgnore;
  if (attached_ < static_cast<int>(seen_.size())) return Step::kWait;
  assert(!resumed_);
  resumed_ = true;
  return Step::kResume;
}

void LiveStart::Failed(int device) {
  if (seen_.empty()) return;
  assert(device >= 0 && device < static_cast<int>(seen_.size()));
  if (seen_[device]) return;
  seen_[device] = true;
  failed_ = true;
}

}  // namespace coachd
