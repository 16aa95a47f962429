#include "services/common/stream_registry.h"

namespace coachd {

StreamRegistration& StreamRegistration::operator=(
    StreamRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void StreamRegistration::Reset() {
  if (registry_ != nullptr) registry_->Unregister(id_);
  registry_ = nullptr;
}

StreamRegistration StreamRegistry::Register(std::string kind,
                                            std::function<void()> close) {
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      const int64_t id = next_id_++;
      closers_.emplace(id, Stream{std::move(kind), std::move(close)});
      return StreamRegistration(this, id);
    }
  }
  close();  // Already shutting down: this stream ends now.
  return StreamRegistration();
}

void StreamRegistry::CloseAll() {
  // Closers run under the lock so that Unregister (from OnDone) waits for a
  // running closer before the stream's reactor is deleted.
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (auto& [id, stream] : closers_) stream.close();
}

int StreamRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(closers_.size());
}

absl::flat_hash_map<std::string, int> StreamRegistry::SizeByKind() const {
  absl::flat_hash_map<std::string, int> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, stream] : closers_) ++out[stream.kind];
  return out;
}

void StreamRegistry::Unregister(int64_t id) {
  absl::MutexLock lock(&mu_);
  closers_.erase(id);
}

}  // namespace coachd
