// A stream lives no longer than the token that opened it: Subscribe,
// WatchLive, WatchMySessions and WatchReminders register here, and end
// with UNAUTHENTICATED when the token's exp passes (the client refreshes
// and resumes from where it was) or when its device is revoked, in this
// process or, through the store's revocation list polled every tick, in
// any other replica.
//
//   LifetimeRegistration reg = lifetimes->Register(who, [this](auto status) {
//     absl::MutexLock lock(&mu_);
//     FinishLocked(status);
//   });
//   ...
//   reg.Reset();   // in OnDone, before the reactor is deleted
#ifndef SERVICES_AUTH_STREAM_LIFETIMES_H_
#define SERVICES_AUTH_STREAM_LIFETIMES_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/identity.h"
#include "services/auth/revoked_devices.h"
#include "services/common/clock.h"

namespace coachd {

class StreamLifetimes;

// A stream's place in StreamLifetimes; unregisters when reset or
// destroyed. Movable, not copyable.
class LifetimeRegistration {
 public:
  LifetimeRegistration() = default;
  LifetimeRegistration(StreamLifetimes* lifetimes, int64_t id)
      : lifetimes_(lifetimes), id_(id) {}
  LifetimeRegistration(LifetimeRegistration&& other) noexcept {
    *this = std::move(other);
  }
  LifetimeRegistration& operator=(LifetimeRegistration&& other) noexcept;
  ~LifetimeRegistration() { Reset(); }

  // Unregisters. After it returns, the callback is never called (and is not
  // running). Idempotent.
  void Reset();

 private:
  StreamLifetimes* lifetimes_ = nullptr;
  int64_t id_ = 0;
};

// Options of StreamLifetimes.
struct StreamLifetimesOptions {
  // How often the thread ends expired streams and polls revocations:
  // a revocation elsewhere ends streams here within about this long.
  absl::Duration tick = absl::Milliseconds(200);
};

// Thread-safe. `clock` and `revoked` must outlive it.
class StreamLifetimes {
 public:
  // Devices revoked lately in any process (the pairing store's
  // RevokedSince); called on the thread each tick; may block. Empty: only
  // Revoke() here revokes.
  using RevocationPoll =
      std::function<absl::StatusOr<std::vector<std::string>>(absl::Time now)>;

  StreamLifetimes(const Clock* clock, RevokedDevices* revoked,
                  RevocationPoll poll, StreamLifetimesOptions options = {});
  // Stops the thread. Every registration must be gone.
  ~StreamLifetimes();
  StreamLifetimes(const StreamLifetimes&) = delete;
  StreamLifetimes& operator=(const StreamLifetimes&) = delete;

  // Registers `end` for a stream opened by `who`; it is called once, with
  // UNAUTHENTICATED, when who.expires_at passes or who.device_id is
  // revoked (at once, before this returns, if either already happened). It
  // runs under this object's lock: it must be quick, must not block and
  // must not call this object.
  LifetimeRegistration Register(const Identity& who,
                                std::function<void(const grpc::Status&)> end);

  // Records `device_id` as revoked and ends its streams now.
  void Revoke(const std::string& device_id);

  // Ends the streams whose token expired by the clock now; returns how
  // many. The thread calls it every tick; tests with a FakeClock may too.
  int RunDue();

  // Polls revocations once (as the thread does each tick).
  void PollRevocations();

  // Starts the thread (ticks on real time; expiry reads the clock).
  void Start();
  // Stops it; idempotent.
  void Stop();

  // Streams registered now.
  int size() const;

 private:
  friend class LifetimeRegistration;
  struct Entry {
    std::string device_id;
    absl::Time expires_at;
    std::function<void(const grpc::Status&)> end;
  };
  void Unregister(int64_t id);
  // Calls and removes entry `id`.
  void EndLocked(int64_t id, const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  RevokedDevices* const revoked_;
  const RevocationPoll poll_;
  const StreamLifetimesOptions options_;

  mutable absl::Mutex mu_;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<int64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, int64_t>> by_expiry_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::set<int64_t>> by_device_
      ABSL_GUARDED_BY(mu_);

  absl::Mutex thread_mu_;
  bool stop_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread thread_;
};

}  // namespace coachd

#endif  // SERVICES_AUTH_STREAM_LIFETIMES_H_
