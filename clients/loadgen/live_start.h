// When loadgen's live scenario resumes a household's session. The session is
// started paused, its devices open their streams, and only once every one of
// them has had its first response (it is attached: whatever coachd makes
// from then on reaches it live) is RESUME sent, exactly once per session.
// Pure: no gRPC, no clock; the household calls it under its own lock.
//
//   LiveStart start;
//   start.Begin(/*devices=*/2);              // session started paused
//   start.Attached(0);                       // kWait
//   if (start.Attached(1) == LiveStart::Step::kResume) SendResume();
#ifndef CLIENTS_LOADGEN_LIVE_START_H_
#define CLIENTS_LOADGEN_LIVE_START_H_

#include <vector>

namespace coachd {

// One household's current session. Not thread-safe (the caller's lock).
class LiveStart {
 public:
  // What the household does after a device's first response.
  enum class Step {
    kWait,    // Another device is not attached yet.
    kResume,  // Every device is attached: send RESUME now (once).
    kIgnore,  // No session waits, or this device was counted already.
  };

  // A new session whose `devices` (>= 1) streams are about to open; forgets
  // the previous session.
  void Begin(int devices);

  // Device `device` (0 <= device < devices) had its first response.
  Step Attached(int device);

  // Device `device`'s call ended before it was attached: the session will
  // not be resumed (its other devices wait until the run ends).
  void Failed(int device);

  // True once Attached returned kResume for the current session.
  bool resumed() const { return resumed_; }
  // Devices attached in the current session.
  int attached() const { return attached_; }

 private:
  std::vector<bool> seen_;  // Per device: attached (or failed).
  int attached_ = 0;
  bool failed_ = false;
  bool resumed_ = false;
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_LIVE_START_H_
