// Time, injected. Everything in coachd that reads the time takes a Clock, so
// tests drive exact timelines with a FakeClock instead of sleeping.
//
//   RealClock clock;
//   absl::Time now = clock.Now();
#ifndef SERVICES_COMMON_CLOCK_H_
#define SERVICES_COMMON_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace coachd {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // The current time.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  // Starts at `start` (by default 2026-01-05 07:00:00 UTC, a Monday).
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767596400))
      : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Moves the clock forward by `d` (d >= 0).
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // Sets the clock to `t`.
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // SERVICES_COMMON_CLOCK_H_
