// The bare baseline loadgen compares coachd with: a gRPC callback server of
// the same service shape (the method paths of coach.v1.SessionService) that
// streams pre-serialized events of a coaching event's size, with no logic and
// no store. It is a grpc::CallbackGenericService, so events go out as
// ByteBuffers that were never a protobuf message.
//
// What it keeps per session is only enough for loadgen's client code to run
// unchanged: StartSession gives an id (paused when the request asks, like
// coachd: one more event), GetSession the epoch and last sequence,
// SendCommand PAUSE stops a session's streams (idle devices) and RESUME lets
// them go on, and Subscribe streams events after the resume position: all of
// a session's `session_events` (the last one FINISHED, then the stream ends
// OK), back to back or one every `interval`; on a paused session, those up to
// the pause, then nothing until RESUME.
//
//   BaselineService service(BaselineOptions{});
//   builder.RegisterCallbackGenericService(&service);
#ifndef CLIENTS_LOADGEN_BASELINE_SERVICE_H_
#define CLIENTS_LOADGEN_BASELINE_SERVICE_H_

#include <grpcpp/generic/async_generic_service.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clients/loadgen/event_template.h"

namespace coachd {

// How the baseline streams.
struct BaselineOptions {
  int event_bytes = 900;     // Serialized size of each event.
  int session_events = 218;  // Events of a whole session.
  int start_events = 2;      // Events a session has when it starts.
  // Time between two events of one stream; zero writes the next as soon as
  // the previous write is done (saturation).
  absl::Duration interval = absl::ZeroDuration();
  // For tests of loadgen itself: when > 0, a stream skips every sequence
  // divisible by it (a gap) and sends the one before each sequence that is 2
  // more than a multiple of it twice (a duplicate). Never in a benchmark.
  int fault_every = 0;
};

class Pacer;

// Thread-safe. Must outlive the server it is registered with.
class BaselineService : public grpc::CallbackGenericService {
 public:
  explicit BaselineService(BaselineOptions options);
  ~BaselineService() override;

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // A session as the baseline knows it.
  struct Session {
    int64_t last_sequence = 0;  // Events "produced" so far (for GetSession).
    bool paused = false;
  };

  // A stream held by a paused session until RESUME.
  class Waiter {
   public:
    virtual ~Waiter() = default;
    // The session was resumed: stream the rest. Runs on the RESUME call's
    // thread, with none of the service's locks held.
    virtual void Resume() = 0;
    // The service lets go of the waiter (after Resume, or when it is
    // destroyed): drops the reference the waiter gave it.
    virtual void Release() = 0;
  };

  // Creates a session (paused: one more event, as PAUSE); returns its id
  // and state.
  std::string StartSession(Session* state, bool paused = false);
  // Looks a session up; false when unknown.
  bool GetSession(const std::string& id, Session* state);
  // GetSession, and when the session is paused, keeps `waiter` (which has
  // taken a reference for the service) until RESUME or the service's end.
  // Returns false when unknown; the waiter is kept iff it returns true with
  // state->paused.
  bool WatchSession(const std::string& id, Waiter* waiter, Session* state);
  // PAUSE marks a session paused (one more event, like coachd's "paused");
  // RESUME clears it and resumes its waiters. False when unknown.
  bool Command(const std::string& id, int command);

  const BaselineOptions& options() const { return options_; }
  const EventTemplate& events() const { return events_; }
  Pacer* pacer() { return pacer_.get(); }

  // Streams open now (for the log).
  std::atomic<int64_t> open_streams{0};

 private:
  const BaselineOptions options_;
  const EventTemplate events_;
  std::unique_ptr<Pacer> pacer_;  // Only with a non-zero interval.
  std::atomic<int64_t> next_id_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
  // Streams of paused sessions, by session id.
  absl::flat_hash_map<std::string, std::vector<Waiter*>> waiters_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_BASELINE_SERVICE_H_
