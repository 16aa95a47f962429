#include "services/auth/revoked_devices.h"

namespace coachd {

bool RevokedDevices::Add(const std::string& device_id, absl::Time at) {
  absl::MutexLock lock(&mu_);
  return revoked_.emplace(device_id, at).second;
}

bool RevokedDevices::Contains(absl::string_view device_id) const {
  absl::MutexLock lock(&mu_);
  return revoked_.contains(device_id);
}

void RevokedDevices::Prune(absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (auto it = revoked_.begin(); it != revoked_.end();) {
    if (it->second < now - retention_) {
      revoked_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace coachd
