// The logic of sessions over a store: start, read, command, and fire timers.
// Each change is load -> engine -> one atomic commit (state and events
// together), serialized per session in this process and guarded by the
// expected sequence across processes. No gRPC inside.
//
//   SessionRunner runner(&catalog, &store, &clock, &driver, &policy, {}, {});
//   absl::StatusOr<coach::v1::SessionView> view = runner.Start(who, request);
//   runner.Tick(view->session_id());   // after its deadline
#ifndef SERVICES_SESSION_SESSION_RUNNER_H_
#define SERVICES_SESSION_SESSION_RUNNER_H_

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coach/v1/session.pb.h"
#include "services/auth/identity.h"
#include "services/catalog/catalog.h"
#include "services/common/clock.h"
#include "services/quota/quotas.h"
#include "services/session/access_policy.h"
#include "services/session/session_engine.h"
#include "services/session/timer_driver.h"
#include "services/store/session_store.h"

namespace coachd {

// Options of SessionRunner.
struct RunnerOptions {
  double time_scale = 1.0;  // Durations are divided by it (demo speed).
  // A command id sent again within this time of being applied is answered
  // as a duplicate and not applied again, on every replica (the ids live in
  // the session's record). Past it, the id may be applied again.
  absl::Duration command_id_window = absl::Minutes(10);
  // Commands applied per session within command_id_window; past it a
  // command gets RESOURCE_EXHAUSTED (the window's ids must all be kept).
  int max_commands_per_window = 300;
};

// Called after every commit with the record as stored and its new events,
// as the store returned them (shared, not copied) (for completions, coach
// views). Must not block.
using CommitObserver = std::function<void(const coach::internal::SessionRecord&,
                                          const std::vector<StoredEvent>&)>;

// Thread-safe. Methods block on the store: call them on worker threads.
// Every pointer passed in must outlive the runner. Timers go through
// `driver` (leases; several replicas may share the store): a new session is
// adopted, ticks run only for driven sessions, and every commit updates the
// driver, which schedules the timer queue. `observers` are called after
// every commit, in order.
class SessionRunner {
 public:
  SessionRunner(const Catalog* catalog, SessionStore* store, const Clock* clock,
                TimerDriver* driver, const AccessPolicy* policy,
                RunnerOptions options,
                std::vector<CommitObserver> observers = {});

  // Starts a session owned by `who` (user or device role). INVALID_ARGUMENT
  // for a request without a routine or a routine that cannot be built;
  // NOT_FOUND for an unknown preset; PERMISSION_DENIED for coaches;
  // RESOURCE_EXHAUSTED past the sessions started or live sessions limit.
  // With request.paused the first events end with PAUSED and no timer is
  // scheduled until RESUME.
  absl::StatusOr<coach::v1::SessionView> Start(
      const Identity& who, const coach::v1::StartSessionRequest& request);

  // The session's full view. NOT_FOUND, PERMISSION_DENIED.
  absl::StatusOr<coach::v1::SessionView> Get(const Identity& who,
                                             absl::string_view session_id);

  // The record of a session `who` may read (for Subscribe).
  absl::StatusOr<coach::internal::SessionRecord> LoadReadable(
      const Identity& who, absl::string_view session_id);

  // Applies a command; the same command id twice is applied once (the
  // second gets duplicate=true). INVALID_ARGUMENT naming the field,
  // NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION naming the state.
  absl::StatusOr<coach::v1::SendCommandResponse> Command(
      const Identity& who, const coach::v1::SendCommandRequest& request);

  // Speaks a coach's cue into a live session (access is the caller's to
  // check). FAILED_PRECONDITION when the session has finished.
  absl::StatusOr<int64_t> CoachCue(const Identity& coach,
                                   absl::string_view session_id,
                                   absl::string_view text);

  // Fires the session's due timers and reschedules it, for a session this
  // replica drives (else OK, nothing done). After another replica's change
  // (the driver made the timer due) it starts from a fresh load.
  absl::Status Tick(absl::string_view session_id);

  // Adds an observer of commits, for tests and tools that watch a running
  // server. Not thread-safe: call before serving.
  void AddObserverForTest(CommitObserver observer) {
    observers_.push_back(std::move(observer));
  }

  // Limits StartSession and SendCommand per person (the sessions, commands
  // and live sessions quotas: a session holds a live place from its start
  // until it finishes) from now on; null (the default): no such limit. Call
  // before serving; `quotas` must outlive the runner.
  void SetQuotas(Quotas* quotas) { quotas_ = quotas; }

 private:
  // Drops from `record` the applied command ids older than the command id
  // window at `now` (moving ids of the older format in first).
  void ForgetOldCommands(absl::Time now,
                         coach::internal::SessionRecord* record) const;

  // Loads, lets `change` update the record and produce events, commits;
  // retries when another process committed first (loading again and calling
  // `change` again: a failed commit consumes the events). A `timer` change
  // of a driven session may start from the driver's cached record.
  using Change =
      std::function<absl::StatusOr<std::vector<coach::v1::SessionEvent>>(
          const SessionEngine& engine, coach::internal::SessionRecord* record)>;
  absl::StatusOr<coach::internal::SessionRecord> Mutate(
      absl::string_view session_id, const Change& change, bool timer = false);
  // The engine of `record`'s routine (cached per session). A `stored`
  // record (read back, not one Start is making) must make an engine and
  // pass its CheckRecord: DATA_LOSS otherwise, and nothing plays it.
  absl::StatusOr<std::shared_ptr<const SessionEngine>> EngineFor(
      const coach::internal::SessionRecord& record, bool stored = true);
  absl::Mutex& LockFor(absl::string_view session_id);
  coach::v1::SessionView ViewOf(const SessionEngine& engine,
                                const coach::internal::SessionRecord& record);
  void AfterCommit(const coach::internal::SessionRecord& record,
                   const std::vector<StoredEvent>& events);

  const Catalog* catalog_;
  SessionStore* store_;
  const Clock* clock_;
  TimerDriver* const driver_;
  const AccessPolicy* policy_;
  const RunnerOptions options_;
  Quotas* quotas_ = nullptr;
  std::vector<CommitObserver> observers_;

  // The engine that plays `routine` at `time_scale`: the one live sessions
  // of the same routine already share, else a new one. An engine (its
  // timeline: about 80 bytes a step, some 12 KB for the demo routine) is
  // made once per distinct routine, not once per session.
  absl::StatusOr<std::shared_ptr<const SessionEngine>> SharedEngine(
      const coach::v1::Routine& routine, double time_scale);

  std::array<absl::Mutex, 64> session_locks_;
  struct CachedEngine {
    int routine_version = 0;
    std::string epoch;
    std::shared_ptr<const SessionEngine> engine;
  };
  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, CachedEngine> engines_
      ABSL_GUARDED_BY(cache_mu_);
  // Engines by routine (serialized) and time scale; an entry lives while
  // some session's cache holds its engine. Expired entries are swept when
  // the map has doubled since the last sweep.
  absl::flat_hash_map<std::string, std::weak_ptr<const SessionEngine>>
      shared_engines_ ABSL_GUARDED_BY(cache_mu_);
  size_t sweep_shared_at_ ABSL_GUARDED_BY(cache_mu_) = 64;
};

}  // namespace coachd

#endif  // SERVICES_SESSION_SESSION_RUNNER_H_
