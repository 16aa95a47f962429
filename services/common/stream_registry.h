// The long-lived streams a server has open (Subscribe, WatchLive,
// WatchMySessions, WatchReminders), by kind (for metrics), so that shutting
// down can end them at once with UNAVAILABLE ("reconnect") instead of holding
// the whole grace period: a device then resumes on another replica right away.
//
//   StreamRegistration reg =
//       registry->Register("SessionService/Subscribe", [this] {
//       CloseForShutdown(); });
//   ...
//   reg.Reset();   // in OnDone, before the reactor is deleted
#ifndef SERVICES_COMMON_STREAM_REGISTRY_H_
#define SERVICES_COMMON_STREAM_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace coachd {

class StreamRegistry;

// A stream's place in the registry; unregisters when reset or destroyed.
// Movable, not copyable.
class StreamRegistration {
 public:
  StreamRegistration() = default;
  StreamRegistration(StreamRegistry* registry, int64_t id)
      : registry_(registry), id_(id) {}
  StreamRegistration(StreamRegistration&& other) noexcept {
    *this = std::move(other);
  }
  StreamRegistration& operator=(StreamRegistration&& other) noexcept;
  ~StreamRegistration() { Reset(); }

  // Unregisters. After it returns, the closer is never called (and is not
  // running). Idempotent.
  void Reset();

 private:
  StreamRegistry* registry_ = nullptr;
  int64_t id_ = 0;
};

// Thread-safe.
class StreamRegistry {
 public:
  // Registers a stream of `kind` (its method: "SessionService/Subscribe") and
  // `close`, which ends it (must not block, must not call the registry). Once
  // CloseAll has run, `close` is called right away.
  StreamRegistration Register(std::string kind, std::function<void()> close);

  // Calls every registered closer once and refuses new streams from now on.
  void CloseAll();

  // Number of streams registered.
  int size() const;

  // Number of streams registered, by kind (kinds with none left out).
  absl::flat_hash_map<std::string, int> SizeByKind() const;

 private:
  friend class StreamRegistration;
  void Unregister(int64_t id);

  mutable absl::Mutex mu_;
  struct Stream {
    std::string kind;
    std::function<void()> close;
  };
  absl::flat_hash_map<int64_t, Stream> closers_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace coachd

#endif  // SERVICES_COMMON_STREAM_REGISTRY_H_
