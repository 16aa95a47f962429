// loadgen's simulated homes (RunLoad's side that talks to the server): a
// Household runs one session at a time (StartSession, GetSession for the
// epoch, then its devices subscribe; when every stream has ended another
// session starts while the run lasts); each Device is one subscriber that
// checks every event it receives against its position (exactly once, no
// silent gap) and times it into the run's current window. What they count
// goes into one Load, which the runner (load_driver.cc) owns and reads.
//
//   Load load(config);  // + load.channels, load.stubs
//   load.NewWindow();
//   Household hh(&load, 0, load.stubs[0].get(), token);
//   hh.Begin(nullptr);  // sessions back to back until load.restart is false
//   ...                 // load.c.delivered, load.window.load()->all
//   load.running.store(false);
//   for (Device* d : hh.devices()) d->Cancel();
//
// Threads: every method may be called from any thread, gRPC's callback
// threads included, unless its comment says otherwise. None blocks.
#ifndef CLIENTS_LOADGEN_HOUSEHOLDS_H_
#define CLIENTS_LOADGEN_HOUSEHOLDS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/live_start.h"
#include "clients/loadgen/load_driver.h"
#include "clients/loadgen/sequence_tracker.h"
#include "coach/v1/session.grpc.pb.h"

namespace coachd {
namespace loadgen {

using Stub = coach::v1::SessionService::Stub;

// Adds `token` as the call's bearer token and the unary calls' deadline
// (30 s from now) to `context`.
void AddBearer(grpc::ClientContext* context, const std::string& token);

// A run's counters; relaxed atomics bumped from gRPC callback threads and
// read by the runner at any time.
struct Counters {
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> gaps{0};
  std::atomic<int64_t> silent_gaps{0};  // Jumps with no snapshot saying so.
  std::atomic<int64_t> missing{0};
  std::atomic<int64_t> stream_errors{0};
  std::atomic<int64_t> rpc_errors{0};
  std::atomic<int64_t> sessions_started{0};
  std::atomic<int64_t> sessions_finished{0};
  std::atomic<int64_t> bytes_sum{0};
  std::atomic<int64_t> bytes_samples{0};
  std::atomic<int64_t> connected{0};  // Calls that got their first event.
  std::atomic<int64_t> live_calls{0};
  std::atomic<int64_t> awaiting_first{0};  // Live calls with no event yet.
  std::atomic<int64_t> resumed{0};
  std::atomic<int64_t> last_resume_us{0};
  std::atomic<int64_t> repeats_sent{0};
  std::atomic<int64_t> repeats_rejected{0};
  std::atomic<int64_t> repeats_answered{0};
};

// Everything a run shares. Owned by RunLoad; outlives every call, every
// Device and every Household that points at it. Thread-safe.
class Load {
 public:
  explicit Load(const LoadConfig& config) : config(config) {}

  const LoadConfig config;
  // Filled by the runner before any Household exists; not changed after.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<Stub>> stubs;
  Counters c;
  // One measured window's latencies, swapped as one: an event is timed in
  // both histograms of a window or in neither.
  struct Window {
    LatencyHistogram all;
    // Of those, the events made after their subscriber opened its call:
    // what a live device waits for. The rest is history it asked to replay
    // (all of a session's events made before the devices attached), whose
    // age is not a delivery delay. The baseline makes every event after the
    // call opens, so for it both are the same.
    LatencyHistogram live;
  };
  // The current window; set (NewWindow) before any device opens a call.
  std::atomic<Window*> window{nullptr};
  LatencyHistogram resume_delay;    // storm: resume to first event, in us.
  std::atomic<bool> running{true};  // False once stopping.
  std::atomic<bool> restart{true};  // Households start a new session.
  std::atomic<int64_t> storm_start_us{0};

  // The histograms of a new window, made current; the old ones stay alive
  // (owned here) to the end.
  Window* NewWindow();

  // Keeps the first error only: `what` and the status, as text.
  void NoteError(absl::string_view what, const grpc::Status& status);
  // The first error noted; empty if none.
  std::string first_error();

  // Keeps the first gap's description only.
  void NoteGap(std::string what);
  // The first gap noted; empty if none.
  std::string first_gap();

  // Unary calls in flight: the run waits for none before it ends. Every
  // OpStarted is matched by one OpDone.
  void OpStarted();
  void OpDone();
  // Blocks until no unary call is in flight or `deadline`; false on timeout.
  // Not from a gRPC callback.
  bool WaitForOps(absl::Time deadline);

 private:
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Window>> windows_ ABSL_GUARDED_BY(mu_);
  std::string first_error_ ABSL_GUARDED_BY(mu_);
  std::string first_gap_ ABSL_GUARDED_BY(mu_);
  int64_t pending_ops_ ABSL_GUARDED_BY(mu_) = 0;
};

class Household;
class SubscribeCall;  // One Subscribe call of a Device (households.cc).

// A subscriber: a speaker, a display, a coach, or the stalled one. Keeps its
// position across calls (storm) and checks every event against it. At most
// one call at a time; it counts into `load` and, if it has a household,
// tells it when its call attaches and ends. Not copyable.
class Device {
 public:
  // `slot`: the household's speaker (0) or display (1); -1 for the others.
  // `household` may be null (the stalled subscriber). `load`, `household`
  // and `stub` must outlive the device. `stalled`: the device reads its
  // first event and then nothing until Unstall (and expects lost snapshots).
  Device(Load* load, Household* household, int slot, coach::v1::DeviceKind kind,
         Stub* stub, bool stalled);
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Opens a call on `session_id` replaying everything after `last_sequence`
  // of `epoch`, with `token`; the position starts there.
  void Open(const std::string& token, const std::string& session_id,
            const std::string& epoch, int64_t last_sequence);

  // storm: cancels the call without counting it as an error. True when there
  // was one to drop.
  bool Drop();

  // storm: opens a call from where the last one left off. True when opened.
  bool Resume();

  // Cancels the call at the end of the run (if there is one).
  void Cancel();

  // stalled: reads again.
  void Unstall();

  // For the device's SubscribeCall. Checks and counts `event`; true when it
  // is the call's first response.
  bool OnEvent(const coach::v1::SessionEvent& event);
  // For the device's SubscribeCall. The call had its first response
  // (outside every lock): tells the household (live mode resumes the
  // session once all are attached).
  void Attached();
  // For the device's SubscribeCall. `call` ended with `status`: counts an
  // error unless it was dropped, finished or cancelled by the stop, and
  // tells the household.
  void OnCallDone(SubscribeCall* call, const grpc::Status& status);

  // Totals, once no call is left (not thread-safe: only after the run).
  const SequenceTracker& tracker() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return tracker_;
  }

 private:
  SubscribeCall* NewCallLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SubscribeCall* Current();

  Load* const load_;
  Household* const household_;
  const int slot_;
  const coach::v1::DeviceKind kind_;
  Stub* const stub_;
  const bool stalled_;
  absl::Mutex mu_;
  SubscribeCall* call_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string token_ ABSL_GUARDED_BY(mu_);
  std::string session_id_ ABSL_GUARDED_BY(mu_);
  SequenceTracker tracker_ ABSL_GUARDED_BY(mu_);
  bool got_event_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_seen_ ABSL_GUARDED_BY(mu_) = false;
  bool dropping_ ABSL_GUARDED_BY(mu_) = false;
  bool resuming_ ABSL_GUARDED_BY(mu_) = false;
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
  // When the current call was opened (Unix us): events made before it
  // are replayed history (Load::Window::live).
  int64_t opened_us_ ABSL_GUARDED_BY(mu_) = 0;
};

// A home: a session at a time, a speaker and a display, maybe coaches. Owns
// its devices. Its session flow runs on gRPC's callback threads; a call
// that fails is counted in rpc_errors and noted in the Load. Not copyable.
class Household {
 public:
  // Household `index` (hh-<index>, whose device token is `token`) on `stub`.
  // `load` and `stub` must outlive it.
  Household(Load* load, int index, Stub* stub, std::string token);
  Household(const Household&) = delete;
  Household& operator=(const Household&) = delete;

  // Adds a coach subscriber (before the run, disabled until EnableCoach);
  // returns its number. Not thread-safe against the other methods.
  int AddCoach();

  // Starts a session, learns its epoch and opens the devices; `ready` (if
  // set) runs once, whether that worked or not. In live mode the session
  // starts paused and is resumed once both devices are attached.
  void Begin(std::function<void()> ready);

  // idle, first phase: a session, paused, and no device yet; then `done`
  // (required), whether that worked or not.
  void StartPaused(std::function<void()> done);

  // GetSession for the epoch, then every device from the first event (live
  // mode: from the pause, the paused session's last event); then `ready`
  // (if set), whether that worked or not.
  void Attach(std::function<void()> ready);

  // Coach number `coach` starts following this household's sessions with
  // `token` (now, if one runs).
  void EnableCoach(int coach, std::string token);

  // For the devices. A device's stream ended (finished or failed). When all
  // have, the session is over and, while the run lasts, another starts.
  void DeviceEnded(bool finished);

  // For the devices. live: device `slot` had its first response; the last
  // one to attach resumes the session.
  void DeviceAttached(int slot);

  // For the devices. live: device `slot`'s call ended with no response; no
  // RESUME follows.
  void DeviceNotAttached(int slot);

  // For the devices. A subscriber saw `sequence` for the first time: counts
  // it as published once per household.
  void NotePublished(int64_t sequence);

  // Sends REPEAT number `n` to the current session (counted in
  // repeats_sent, repeats_answered once answered, repeats_rejected if the
  // session refused it).
  void Repeat(int64_t n);

  // The current session's id and epoch (empty before the first).
  std::pair<std::string, std::string> Session();

  // The household's device token.
  const std::string& token() const { return token_; }
  int index() const { return index_; }
  // The speaker, the display, then the coaches; owned by the household.
  std::vector<Device*> devices();

 private:
  bool live() const { return load_->config.mode == LoadMode::kLive; }
  void Failed(absl::string_view what, const grpc::Status& status);
  void StartSession(std::function<void(bool)> then);
  void SendCommand(coach::v1::CommandType type, absl::string_view name,
                   std::function<void()> then);
  void Pause(std::function<void()> then);
  void Resume();
  void OpenDevices(const std::string& epoch, int64_t last_sequence);

  Load* const load_;
  const int index_;
  Stub* const stub_;
  const std::string token_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<std::unique_ptr<Device>> coaches_;
  std::atomic<int64_t> max_sequence_{0};
  std::atomic<int64_t> commands_{0};  // PAUSE and RESUME sent.
  absl::Mutex mu_;
  std::vector<std::string> coach_tokens_ ABSL_GUARDED_BY(mu_);
  std::string session_id_ ABSL_GUARDED_BY(mu_);
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  int open_devices_ ABSL_GUARDED_BY(mu_) = 0;
  bool session_finished_ ABSL_GUARDED_BY(mu_) = false;
  LiveStart live_start_ ABSL_GUARDED_BY(mu_);  // live mode only.
};

}  // namespace loadgen
}  // namespace coachd

#endif  // CLIENTS_LOADGEN_HOUSEHOLDS_H_
