#include "services/auth/stream_lifetimes.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace coachd {
namespace {

grpc::Status Expired(absl::Time at) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      absl::StrCat("token expired at ",
                                   absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", at,
                                                    absl::UTCTimeZone()),
                                   "; refresh it and resume"));
}

grpc::Status Revoked(const std::string& device_id) {
  return grpc::Status(
      grpc::StatusCode::UNAUTHENTICATED,
      absl::StrCat("device ", device_id, " was revoked: pair it again"));
}

}  // namespace

LifetimeRegistration& LifetimeRegistration::operator=(
    LifetimeRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    lifetimes_ = std::exchange(other.lifetimes_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void LifetimeRegistration::Reset() {
  if (lifetimes_ != nullptr) lifetimes_->Unregister(id_);
  lifetimes_ = nullptr;
}

StreamLifetimes::StreamLifetimes(const Clock* clock, RevokedDevices* revoked,
                                 RevocationPoll poll,
                                 StreamLifetimesOptions options)
    : clock_(clock),
      revoked_(revoked),
      poll_(std::move(poll)),
      options_(options) {}

StreamLifetimes::~StreamLifetimes() { Stop(); }

LifetimeRegistration StreamLifetimes::Register(
    const Identity& who, std::function<void(const grpc::Status&)> end) {
  if (!who.device_id.empty() && revoked_->Contains(who.device_id)) {
    end(Revoked(who.device_id));
    return LifetimeRegistration();
  }
  if (clock_->Now() >= who.expires_at) {
    end(Expired(who.expires_at));
    return LifetimeRegistration();
  }
  absl::MutexLock lock(&mu_);
  const int64_t id = next_id_++;
  entries_.emplace(id, Entry{who.device_id, who.expires_at, std::move(end)});
  if (who.expires_at != absl::InfiniteFuture()) {
    by_expiry_.emplace(who.expires_at, id);
  }
  if (!who.device_id.empty()) by_device_[who.device_id].insert(id);
  return LifetimeRegistration(this, id);
}

void StreamLifetimes::EndLocked(int64_t id, const grpc::Status& status) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  by_expiry_.erase({entry.expires_at, id});
  if (!entry.device_id.empty()) {
    auto device = by_device_.find(entry.device_id);
    if (device != by_device_.end()) {
      device->second.erase(id);
      if (device->second.empty()) by_device_.erase(device);
    }
  }
  entry.end(status);
}

void StreamLifetimes::Unregister(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  by_expiry_.erase({it->second.expires_at, id});
  if (!it->second.device_id.empty()) {
    auto device = by_device_.find(it->second.device_id);
    if (device != by_device_.end()) {
      device->second.erase(id);
      if (device->second.empty()) by_device_.erase(device);
    }
  }
  entries_.erase(it);
}

void StreamLifetimes::Revoke(const std::string& device_id) {
  revoked_->Add(device_id, clock_->Now());
  absl::MutexLock lock(&mu_);
  auto device = by_device_.find(device_id);
  if (device == by_device_.end()) return;
  const std::set<int64_t> ids = device->second;
  for (int64_t id : ids) EndLocked(id, Revoked(device_id));
}

int StreamLifetimes::RunDue() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  int ended = 0;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    const auto [at, id] = *by_expiry_.begin();
    EndLocked(id, Expired(at));
    ++ended;
  }
  return ended;
}

void StreamLifetimes::PollRevocations() {
  if (!poll_) return;
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::vector<std::string>> ids = poll_(now);
  if (!ids.ok()) {
    // Streams keep their access until the store answers again; tokens of a
    // revoked device still expire within 15 minutes.
    LogWarning(absl::StrCat("revocations: ", ids.status().message()));
    return;
  }
  for (const std::string& id : *ids) {
    if (!revoked_->Contains(id)) Revoke(id);
  }
  revoked_->Prune(now);
}

void StreamLifetimes::Start() {
  absl::MutexLock lock(&thread_mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] {
    absl::MutexLock lock(&thread_mu_);
    while (!stop_) {
      thread_mu_.Unlock();
      RunDue();
      PollRevocations();
      thread_mu_.Lock();
      thread_mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.tick);
    }
  });
}

void StreamLifetimes::Stop() {
  {
    absl::MutexLock lock(&thread_mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int StreamLifetimes::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(entries_.size());
}

}  // namespace coachd
