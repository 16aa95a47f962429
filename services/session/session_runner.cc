#include "services/session/session_runner.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "services/catalog/routine_builder.h"
#include "services/common/log.h"
#include "services/store/memory_session_store.h"

namespace coachd {

using coach::internal::EngineState;
using coach::internal::SessionRecord;
using coach::v1::SessionEvent;

namespace {

constexpr int kMaxCommandIdLength = 64;
constexpr int kMaxNoteLength = 500;
constexpr int kCommitAttempts = 5;

absl::Status ValidateSessionId(absl::string_view id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("session_id: required");
  }
  if (id.size() > 128) {
    return absl::InvalidArgumentError("session_id: longer than 128 characters");
  }
  return absl::OkStatus();
}

// 60 random bits as 15 hex digits: a string that short lives inside
// std::string itself (libstdc++ keeps up to 15 characters in place), so the
// id costs no heap block in each map that finds a live session by it (the
// store, the runner, the timer driver, the board). 16 digits took one each.
// A collision (odds about 4 in 10^5 over 10^7 sessions) is refused by the
// store's Create (ALREADY_EXISTS), never merged.
std::string NewSessionId() { return RandomId(8).substr(0, 15); }

// A new session's first events at `now`: the engine's start, then, for a
// session started paused, its pause (so no timer runs until RESUME).
absl::StatusOr<std::vector<SessionEvent>> FirstEvents(
    const SessionEngine& engine, absl::Time now, bool paused,
    SessionRecord* record) {
  std::vector<SessionEvent> events = engine.Start(now, record);
  if (!paused) return events;
  EngineCommand command;
  command.type = coach::v1::COMMAND_TYPE_PAUSE;
  absl::StatusOr<std::vector<SessionEvent>> pause =
      engine.Apply(command, now, record);
  if (!pause.ok()) return pause.status();
  for (SessionEvent& event : *pause) events.push_back(std::move(event));
  return events;
}

}  // namespace

SessionRunner::SessionRunner(const Catalog* catalog, SessionStore* store,
                             const Clock* clock, TimerDriver* driver,
                             const AccessPolicy* policy, RunnerOptions options,
                             std::vector<CommitObserver> observers)
    : catalog_(catalog),
      store_(store),
      clock_(clock),
      driver_(driver),
      policy_(policy),
      options_(options),
      observers_(std::move(observers)) {}

absl::Mutex& SessionRunner::LockFor(absl::string_view session_id) {
  return session_locks_[absl::Hash<absl::string_view>()(session_id) %
                        session_locks_.size()];
}

absl::StatusOr<std::shared_ptr<const SessionEngine>> SessionRunner::EngineFor(
    const SessionRecord& record, bool stored) {
  std::shared_ptr<const SessionEngine> engine;
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = engines_.find(record.session_id());
    if (it != engines_.end() &&
        it->second.routine_version == record.engine().routine_version() &&
        it->second.epoch == record.epoch()) {
      engine = it->second.engine;
    }
  }
  if (engine == nullptr) {
    absl::StatusOr<std::shared_ptr<const SessionEngine>> made =
        SharedEngine(record.routine(), record.time_scale());
    if (!made.ok() && stored) {
      return absl::DataLossError(
          absl::StrCat("the stored record of session ", record.session_id(),
                       " is corrupt: ", made.status().message()));
    }
    if (!made.ok()) return made.status();
    engine = *std::move(made);
    absl::MutexLock lock(&cache_mu_);
    engines_[record.session_id()] =
        CachedEngine{record.engine().routine_version(), record.epoch(), engine};
  }
  if (stored) {
    absl::Status valid = engine->CheckRecord(record);
    if (!valid.ok()) return valid;
  }
  return engine;
}

absl::StatusOr<std::shared_ptr<const SessionEngine>>
SessionRunner::SharedEngine(const coach::v1::Routine& routine,
                            double time_scale) {
  // The routine's bytes name it: two routines that serialize alike play
  // alike (same catalogue), and a miss only costs an engine.
  std::string key;
  routine.SerializeToString(&key);
  key.append(reinterpret_cast<const char*>(&time_scale), sizeof(time_scale));
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = shared_engines_.find(key);
    if (it != shared_engines_.end()) {
      std::shared_ptr<const SessionEngine> engine = it->second.lock();
      if (engine != nullptr) return engine;
    }
  }
  // Built outside the lock; a race builds two, and the later one is shared.
  absl::StatusOr<std::unique_ptr<SessionEngine>> made =
      SessionEngine::Create(catalog_, routine, time_scale);
  if (!made.ok()) return made.status();
  std::shared_ptr<const SessionEngine> engine = *std::move(made);
  absl::MutexLock lock(&cache_mu_);
  shared_engines_[std::move(key)] = engine;
  if (shared_engines_.size() >= sweep_shared_at_) {
    absl::erase_if(shared_engines_,
                   [](const auto& entry) { return entry.second.expired(); });
    sweep_shared_at_ = std::max<size_t>(64, 2 * shared_engines_.size());
  }
  return engine;
}

coach::v1::SessionView SessionRunner::ViewOf(const SessionEngine& engine,
                                             const SessionRecord& record) {
  coach::v1::SessionView view;
  view.set_session_id(record.session_id());
  view.set_owner(record.owner());
  view.set_epoch(record.epoch());
  view.set_last_sequence(record.last_sequence());
  *view.mutable_routine() = record.routine();
  *view.mutable_status() = engine.Status(record);
  if (record.engine().has_last_cue()) {
    *view.mutable_card() = record.engine().last_cue().card();
    *view.mutable_speech() = record.engine().last_cue().speech();
  }
  view.mutable_started_at()->set_seconds(record.engine().started_us() /
                                         1000000);
  *view.mutable_summary() = record.engine().summary();
  return view;
}

void SessionRunner::AfterCommit(const SessionRecord& record,
                                const std::vector<StoredEvent>& events) {
  driver_->Update(record);
  if (record.engine().run_state() == coach::v1::RUN_STATE_FINISHED) {
    {
      absl::MutexLock lock(&cache_mu_);
      engines_.erase(record.session_id());
    }
    if (quotas_ != nullptr) {  // Its place among the owner's live sessions.
      absl::Status released =
          quotas_->Release(quotas_->options().live_sessions, record.owner(),
                           record.session_id());
      if (!released.ok()) {  // The next StartSession past the limit frees it.
        LogWarning(absl::StrCat("session ", record.session_id(),
                                " finished; its live-session place stays "
                                "taken for now: ",
                                released.message()));
      }
    }
  }
  for (const CommitObserver& observer : observers_) observer(record, events);
}

absl::StatusOr<coach::v1::SessionView> SessionRunner::Start(
    const Identity& who, const coach::v1::StartSessionRequest& request) {
  if (who.role == Role::kCoach) {
    return absl::PermissionDeniedError(
        "coaches follow their clients' sessions; start one with a user or "
        "device token");
  }
  absl::StatusOr<coach::v1::Routine> routine;
  switch (request.routine_source_case()) {
    case coach::v1::StartSessionRequest::kRoutineId:
      if (request.routine_id().empty()) {
        return absl::InvalidArgumentError("routine_id: must not be empty");
      }
      routine = BuildPresetRoutine(*catalog_, request.routine_id());
      if (absl::IsNotFound(routine.status())) {
        return absl::NotFoundError(absl::StrCat(
            "routine_id: no routine preset \"", request.routine_id(), "\""));
      }
      break;
    case coach::v1::StartSessionRequest::kBuild:
      routine = BuildRoutine(*catalog_, request.build());
      break;
    default:
      return absl::InvalidArgumentError(
          "routine_id or build: one of them is required");
  }
  if (!routine.ok()) return routine.status();
  if (quotas_ != nullptr) {
    absl::Status quota =
        quotas_->Take("StartSession", quotas_->options().sessions, who.subject);
    if (!quota.ok()) return quota;
  }

  SessionRecord record;
  record.set_session_id(NewSessionId());
  record.set_owner(who.subject);
  if (quotas_ != nullptr) {
    // A place among the person's live sessions, shared by the replicas; a
    // session found finished (or gone) frees its place.
    absl::Status held = quotas_->Hold(
        "StartSession", quotas_->options().live_sessions, who.subject,
        record.session_id(), [this](const std::string& id) {
          absl::StatusOr<SessionRecord> live = store_->Load(id);
          if (absl::IsNotFound(live.status())) return false;
          return !live.ok() ||
                 live->engine().run_state() != coach::v1::RUN_STATE_FINISHED;
        });
    if (!held.ok()) return held;
  }
  *record.mutable_routine() = *std::move(routine);
  record.set_time_scale(options_.time_scale);
  record.set_created_us(absl::ToUnixMicros(clock_->Now()));
  absl::StatusOr<std::shared_ptr<const SessionEngine>> engine =
      EngineFor(record, /*stored=*/false);
  absl::StatusOr<std::vector<SessionEvent>> first =
      engine.ok()
          ? FirstEvents(**engine, clock_->Now(), request.paused(), &record)
          : absl::StatusOr<std::vector<SessionEvent>>(engine.status());
  absl::StatusOr<std::vector<StoredEvent>> created =
      first.ok() ? store_->Create(  // Not retried: it consumes the events.
                       &record, *std::move(first))
                 : absl::StatusOr<std::vector<StoredEvent>>(first.status());
  if (!created.ok()) {
    if (quotas_ != nullptr) {  // Best effort: a later Hold frees it anyway.
      quotas_
          ->Release(quotas_->options().live_sessions, who.subject,
                    record.session_id())
          .IgnoreError();
    }
    return created.status();
  }
  {
    absl::MutexLock lock(&cache_mu_);
    engines_[record.session_id()].epoch = record.epoch();
  }
  driver_->Adopt(record);
  AfterCommit(record, *created);
  return ViewOf(**engine, record);
}

absl::StatusOr<SessionRecord> SessionRunner::LoadReadable(
    const Identity& who, absl::string_view session_id) {
  absl::Status valid = ValidateSessionId(session_id);
  if (!valid.ok()) return valid;
  absl::StatusOr<SessionRecord> record = store_->Load(session_id);
  if (!record.ok()) return record.status();
  absl::Status allowed = policy_->Check(who, *record, SessionAccess::kRead);
  if (!allowed.ok()) return allowed;
  return record;
}

absl::StatusOr<coach::v1::SessionView> SessionRunner::Get(
    const Identity& who, absl::string_view session_id) {
  absl::StatusOr<SessionRecord> record = LoadReadable(who, session_id);
  if (!record.ok()) return record.status();
  absl::StatusOr<std::shared_ptr<const SessionEngine>> engine =
      EngineFor(*record);
  if (!engine.ok()) return engine.status();
  return ViewOf(**engine, *record);
}

absl::StatusOr<SessionRecord> SessionRunner::Mutate(
    absl::string_view session_id, const Change& change, bool timer) {
  absl::MutexLock lock(&LockFor(session_id));
  for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
    // A timer of a session this replica drives starts from the record it
    // last committed (no round trip); if another replica committed since,
    // the commit is ABORTED and the next attempt loads. Commands always load:
    // they must be checked against the newest state.
    std::optional<SessionRecord> cached;
    if (timer && attempt == 0) {
      cached = driver_->Cached(session_id);
    }
    absl::StatusOr<SessionRecord> record =
        cached.has_value() ? *std::move(cached) : store_->Load(session_id);
    if (!record.ok()) return record.status();
    absl::StatusOr<std::shared_ptr<const SessionEngine>> engine =
        EngineFor(*record);
    if (!engine.ok()) return engine.status();
    const int64_t expected = record->last_sequence();
    const int step_before = record->engine().step_index();
    const int64_t deadline_before = record->engine().deadline_us();
    absl::StatusOr<std::vector<SessionEvent>> events =
        change(**engine, &*record);
    if (!events.ok()) return events.status();
    if (events->empty() && record->engine().step_index() == step_before &&
        record->engine().deadline_us() == deadline_before) {
      // Nothing happened (a duplicate command, a tick before its deadline):
      // nothing to store. A timer that moved the state without an event (a
      // self-paced set starts waiting for "done") is stored below.
      driver_->Update(*record);
      return record;
    }
    // The events are moved into the store; on ABORTED the next attempt
    // makes them again from the reloaded record.
    absl::StatusOr<std::vector<StoredEvent>> committed =
        store_->Commit(expected, &*record, *std::move(events));
    if (absl::IsAborted(committed.status())) continue;  // Another was first.
    if (!committed.ok()) return committed.status();
    AfterCommit(*record, *committed);
    return record;
  }
  return absl::AbortedError(absl::StrCat(
      "session ", session_id, ": too many concurrent changes; try again"));
}

absl::StatusOr<coach::v1::SendCommandResponse> SessionRunner::Command(
    const Identity& who, const coach::v1::SendCommandRequest& request) {
  absl::Status valid = ValidateSessionId(request.session_id());
  if (!valid.ok()) return valid;
  if (request.command_id().empty() ||
      request.command_id().size() > kMaxCommandIdLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "command_id: required, 1 to ", kMaxCommandIdLength, " characters"));
  }
  if (request.command() == coach::v1::COMMAND_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("command: required");
  }
  if (!coach::v1::CommandType_IsValid(request.command())) {
    return absl::InvalidArgumentError(
        absl::StrCat("command: unknown value ", request.command()));
  }
  if (request.note().size() > kMaxNoteLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("note: longer than ", kMaxNoteLength, " characters"));
  }
  if (!coach::v1::DeviceKind_IsValid(request.from_kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("from_kind: unknown value ", request.from_kind()));
  }
  if (quotas_ != nullptr) {
    absl::Status quota =
        quotas_->Take("SendCommand", quotas_->options().commands, who.subject);
    if (!quota.ok()) return quota;
  }

  bool duplicate = false;
  coach::v1::SessionStatus status;
  absl::StatusOr<SessionRecord> record = Mutate(
      request.session_id(),
      [&](const SessionEngine& engine,
          SessionRecord* r) -> absl::StatusOr<std::vector<SessionEvent>> {
        absl::Status allowed = policy_->Check(who, *r, SessionAccess::kCommand);
        if (!allowed.ok()) return allowed;
        const absl::Time now = clock_->Now();
        ForgetOldCommands(now, r);
        const auto& applied = r->engine().applied_commands();
        duplicate = std::any_of(applied.begin(), applied.end(),
                                [&](const coach::internal::AppliedCommand& c) {
                                  return c.id() == request.command_id();
                                });
        if (duplicate) return std::vector<SessionEvent>();
        if (applied.size() >= options_.max_commands_per_window) {
          const absl::Time free_at =
              absl::FromUnixMicros(applied.Get(0).applied_us()) +
              options_.command_id_window;
          return absl::ResourceExhaustedError(absl::StrCat(
              "SendCommand: limit of ", options_.max_commands_per_window,
              " commands per session in ",
              absl::FormatDuration(options_.command_id_window),
              " (max_commands_per_window) reached; retry in ",
              absl::ToInt64Seconds(absl::Ceil(free_at - now, absl::Seconds(1))),
              "s"));
        }
        EngineCommand command{request.command(), request.note(),
                              request.from_kind()};
        absl::StatusOr<std::vector<SessionEvent>> events =
            engine.Apply(command, now, r);
        if (!events.ok()) return events.status();
        // Apply may replace the record's engine state: look it up again.
        coach::internal::AppliedCommand* added =
            r->mutable_engine()->add_applied_commands();
        added->set_id(request.command_id());
        added->set_applied_us(absl::ToUnixMicros(now));
        return events;
      });
  if (!record.ok()) return record.status();
  absl::StatusOr<std::shared_ptr<const SessionEngine>> engine =
      EngineFor(*record);
  if (!engine.ok()) return engine.status();
  coach::v1::SendCommandResponse response;
  response.set_duplicate(duplicate);
  response.set_last_sequence(record->last_sequence());
  *response.mutable_status() = (*engine)->Status(*record);
  return response;
}

void SessionRunner::ForgetOldCommands(absl::Time now,
                                      SessionRecord* record) const {
  EngineState* engine = record->mutable_engine();
  auto* applied = engine->mutable_applied_commands();
  // Ids stored before applied_commands existed count as applied now.
  for (const std::string& id : engine->recent_command_ids()) {
    coach::internal::AppliedCommand* moved = applied->Add();
    moved->set_id(id);
    moved->set_applied_us(absl::ToUnixMicros(now));
  }
  engine->clear_recent_command_ids();
  // Remembered for [applied, applied + window).
  const int64_t forget_through =
      absl::ToUnixMicros(now - options_.command_id_window);
  int expired = 0;
  while (expired < applied->size() &&
         applied->Get(expired).applied_us() <= forget_through) {
    ++expired;
  }
  if (expired > 0) applied->DeleteSubrange(0, expired);
}

absl::StatusOr<int64_t> SessionRunner::CoachCue(const Identity& coach,
                                                absl::string_view session_id,
                                                absl::string_view text) {
  absl::StatusOr<SessionRecord> record = Mutate(
      session_id,
      [&](const SessionEngine& engine,
          SessionRecord* r) -> absl::StatusOr<std::vector<SessionEvent>> {
        if (r->engine().run_state() == coach::v1::RUN_STATE_FINISHED) {
          return absl::FailedPreconditionError(
              absl::StrCat("session ", session_id,
                           " has finished; cues reach live "
                           "sessions only"));
        }
        return engine.CoachCue(coach.subject, text, clock_->Now(), r);
      });
  if (!record.ok()) return record.status();
  return record->last_sequence();
}

absl::Status SessionRunner::Tick(absl::string_view session_id) {
  if (!driver_->Drives(session_id)) {
    return absl::OkStatus();  // Another replica drives it (or none yet).
  }
  absl::StatusOr<SessionRecord> record = Mutate(
      session_id,
      [&](const SessionEngine& engine,
          SessionRecord* r) -> absl::StatusOr<std::vector<SessionEvent>> {
        return engine.Tick(clock_->Now(), r);
      },
      /*timer=*/true);
  return record.status();
}

}  // namespace coachd
