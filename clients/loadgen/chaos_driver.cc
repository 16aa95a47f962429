#include "clients/loadgen/chaos_driver.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "clients/common/channel_watch.h"
#include "clients/common/client_auth.h"
#include "clients/common/status_text.h"
#include "clients/loadgen/chaos_ledger.h"
#include "clients/loadgen/command_check.h"
#include "clients/loadgen/fault_windows.h"
#include "clients/loadgen/latency_histogram.h"
#include "clients/loadgen/reminder_ledger.h"
#include "clients/loadgen/target_check.h"
#include "coach/v1/scheduler.grpc.pb.h"
#include "coach/v1/session.grpc.pb.h"
#include "services/auth/jwt.h"

namespace coachd {
namespace {

using coach::v1::CommandType;
using SessionStub = coach::v1::SessionService::Stub;
using SchedulerStub = coach::v1::SchedulerService::Stub;

// A reminder counts as lost only once this long past its minute.
constexpr absl::Duration kReminderSlack = absl::Seconds(15);
// The command cycle a household repeats while its session runs.
constexpr CommandType kCycle[] = {
    coach::v1::COMMAND_TYPE_PAUSE, coach::v1::COMMAND_TYPE_RESUME,
    coach::v1::COMMAND_TYPE_REPEAT, coach::v1::COMMAND_TYPE_NEXT};

// What the whole run shares. Owned by RunChaos; outlives every thread.
class Run {
 public:
  explicit Run(const ChaosConfig& config) : config(config) {}

  const ChaosConfig config;
  std::vector<std::unique_ptr<SessionStub>> sessions;
  std::vector<std::unique_ptr<SchedulerStub>> schedulers;
  absl::Time start;
  absl::Time drive_end;  // No session starts after it; unfinished ones end.
  absl::Time hard_end;   // Everything stops.
  LatencyHistogram command_latency;  // Microseconds.
  LatencyHistogram event_latency;
  absl::Mutex samples_mu;  // The same samples with their times, by window.
  std::vector<TimedSample> command_samples ABSL_GUARDED_BY(samples_mu);
  std::vector<TimedSample> event_samples ABSL_GUARDED_BY(samples_mu);
  std::atomic<int64_t> resubscribes{0};
  std::atomic<int64_t> start_retries{0};
  std::atomic<int64_t> command_attempts{0};
  std::atomic<int64_t> commands{0};
  std::atomic<int64_t> deduplicated{0};

  bool stopping() const { return stopped_.HasBeenNotified(); }
  void Stop() { stopped_.Notify(); }
  // Sleeps `d`, less if the run stops meanwhile. False once stopping.
  bool Sleep(absl::Duration d) {
    return !stopped_.WaitForNotificationWithTimeout(d);
  }

  // A failed try or a broken stream, counted by its code.
  void NoteError(absl::string_view what, const grpc::Status& status) {
    if (config.on_error) config.on_error(what, status);
    absl::MutexLock lock(&mu_);
    ++errors_by_code_[absl::StatusCodeToString(
        static_cast<absl::StatusCode>(status.error_code()))];
    if (first_error_.empty()) {
      first_error_ = absl::StrCat(what, ": ", StatusText(status));
    }
  }

  void Totals(ChaosReport* r) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> parts;
    for (const auto& [code, n] : errors_by_code_) {
      parts.push_back(absl::StrCat(code, "=", n));
      r->errors += n;
    }
    r->errors_by_code = absl::StrJoin(parts, ",");
    r->first_error = first_error_;
  }

 private:
  absl::Notification stopped_;
  absl::Mutex mu_;
  std::map<std::string, int64_t> errors_by_code_ ABSL_GUARDED_BY(mu_);
  std::string first_error_ ABSL_GUARDED_BY(mu_);
};

// How a call with retries ended.
struct Tries {
  grpc::Status last;
  int tries = 0;
  bool ambiguous = false;  // A failed try may have reached the server.
};

// Calls `call` with a fresh context (token, deadline) until it succeeds, or
// fails with a status retrying cannot fix, or `give_up` comes, or the run
// stops; backoff between tries. `call` takes the context and returns the
// status.
template <typename Call>
Tries CallWithRetries(Run* run, const std::string& token,
                      absl::string_view what, absl::Time give_up,
                      const Call& call) {
  Tries t;
  absl::Duration backoff = run->config.initial_backoff;
  for (;;) {
    grpc::ClientContext context;
    AddToken(&context, token);
    context.set_deadline(absl::ToChronoTime(
        std::min(absl::Now() + run->config.rpc_timeout,
                 std::max(give_up, absl::Now() + absl::Milliseconds(100)))));
    t.last = call(&context);
    ++t.tries;
    if (t.last.ok()) return t;
    run->NoteError(what, t.last);
    t.ambiguous = t.ambiguous || MayHaveApplied(t.last.error_code());
    if (!RetryableStatus(t.last.error_code())) return t;
    if (absl::Now() + backoff >= give_up || !run->Sleep(backoff)) return t;
    backoff = std::min(backoff * 2, run->config.max_backoff);
  }
}

// One session of a household, as its devices and its driver saw it.
struct SessionWatch {
  SessionWatch(std::string id, std::string epoch)
      : id(std::move(id)), epoch(std::move(epoch)) {}
  const std::string id;
  const std::string epoch;  // As StartSession returned it.
  absl::Mutex mu;
  SessionLedger ledger ABSL_GUARDED_BY(mu) = SessionLedger(2);
  grpc::ClientContext* streams[2] ABSL_GUARDED_BY(mu) = {nullptr, nullptr};
  // Written by the driver thread only; read after it is joined.
  CommandLedger pauses, resumes, repeats;
  std::atomic<bool> finished{false};  // Seen by a device or an answer.
  std::thread devices[2];
};

// One home: a person, a speaker and a display.
class Household {
 public:
  Household(Run* run, int index)
      : run_(run),
        person_(absl::StrCat(run->config.run_id, "-", index)),
        session_stub_(run->sessions[index % run->sessions.size()].get()),
        scheduler_stub_(run->schedulers[index % run->schedulers.size()].get()) {
    const absl::Time now = absl::Now();
    const absl::Time exp = now + absl::Hours(24);
    user_token_ =
        MintToken(run->config.secret, Identity{person_, Role::kUser}, now, exp);
    device_token_ = MintToken(run->config.secret,
                              Identity{person_, Role::kDevice}, now, exp);
    // The reminder is a housemate's, who does not train during the run: a
    // workout clears its day's reminder, and the person's sessions would.
    const std::string housemate = absl::StrCat(person_, "-r");
    housemate_token_ = MintToken(run->config.secret,
                                 Identity{housemate, Role::kUser}, now, exp);
    housemate_device_token_ = MintToken(
        run->config.secret, Identity{housemate, Role::kDevice}, now, exp);
  }

  Household(const Household&) = delete;
  Household& operator=(const Household&) = delete;

  // Starts the household's driver thread.
  void Start() {
    driver_ = std::thread([this] { Drive(); });
  }

  // Whether the driver is done (its sessions ended) and the reminder, if
  // any, settled (heard, or long enough past its minute).
  bool Settled() {
    if (!driven_.load()) return false;
    absl::MutexLock lock(&mu_);
    return reminder_id_.empty() || reminders_.Heard(reminder_id_) ||
           absl::Now() > reminder_due_ + kReminderSlack;
  }

  // Cancels every open stream (the run has stopped).
  void CancelStreams() {
    {
      absl::MutexLock lock(&mu_);
      for (grpc::ClientContext* c : watch_streams_) {
        if (c != nullptr) c->TryCancel();
      }
    }
    for (auto& s : sessions()) {
      absl::MutexLock lock(&s->mu);
      for (grpc::ClientContext* c : s->streams) {
        if (c != nullptr) c->TryCancel();
      }
    }
  }

  // Joins every thread (after Stop and CancelStreams).
  void Join() {
    if (driver_.joinable()) driver_.join();
    for (std::thread& t : watchers_) {
      if (t.joinable()) t.join();
    }
    for (auto& s : sessions()) {
      for (std::thread& t : s->devices) {
        if (t.joinable()) t.join();
      }
    }
  }

  // Adds what this household saw to `r` (after Join).
  void Totals(ChaosReport* r);

 private:
  std::vector<std::shared_ptr<SessionWatch>> sessions() {
    absl::MutexLock lock(&mu_);
    return sessions_;
  }

  void Drive();
  void SetGoal();
  std::shared_ptr<SessionWatch> StartSession();
  void DriveSession(SessionWatch* s, int number);
  void SendCommand(SessionWatch* s, CommandType type, const std::string& id,
                   absl::Time give_up);
  void Follow(SessionWatch* s, int device);
  void WatchReminders(int device);

  // The household moved on (an event, an answer): closes a stall.
  void Progress() {
    absl::MutexLock lock(&mu_);
    ProgressLocked(absl::Now());
  }
  void ProgressLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (live_ && now - last_progress_ > max_stall_) {
      max_stall_ = now - last_progress_;
      stall_start_ = last_progress_;
    }
    last_progress_ = now;
  }
  // Whether a session is live (stalls count only then).
  void SetLive(bool live) {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (live_) ProgressLocked(now);
    live_ = live;
    last_progress_ = now;
  }

  Run* const run_;
  const std::string person_;
  SessionStub* const session_stub_;
  SchedulerStub* const scheduler_stub_;
  std::string user_token_;
  std::string device_token_;
  std::string housemate_token_;
  std::string housemate_device_token_;
  std::thread driver_;
  std::thread watchers_[2];
  std::atomic<bool> driven_{false};

  absl::Mutex mu_;
  std::vector<std::shared_ptr<SessionWatch>> sessions_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* watch_streams_[2] ABSL_GUARDED_BY(mu_) = {nullptr,
                                                                 nullptr};
  ReminderLedger reminders_ ABSL_GUARDED_BY(mu_);
  std::string reminder_id_ ABSL_GUARDED_BY(mu_);  // Empty: none planned.
  absl::Time reminder_due_ ABSL_GUARDED_BY(mu_);
  int64_t not_applied_ ABSL_GUARDED_BY(mu_) = 0;  // Refused or unknown.
  int64_t unknown_ ABSL_GUARDED_BY(mu_) = 0;
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_);
  absl::Duration max_stall_ ABSL_GUARDED_BY(mu_);
  absl::Time stall_start_ ABSL_GUARDED_BY(mu_);
};

void Household::Drive() {
  if (run_->config.reminders) SetGoal();
  for (int number = 0; number < run_->config.max_sessions_per_household;
       ++number) {
    // A session needs time for a few commands before the drive ends.
    if (run_->stopping() ||
        absl::Now() + 4 * run_->config.command_interval >= run_->drive_end) {
      break;
    }
    std::shared_ptr<SessionWatch> s = StartSession();
    if (s == nullptr) break;
    SetLive(true);
    for (int d = 0; d < 2; ++d) {
      s->devices[d] = std::thread([this, s, d] { Follow(s.get(), d); });
    }
    DriveSession(s.get(), number);
    // Devices follow the session to its end (or give up, or the run stops).
    for (std::thread& t : s->devices) t.join();
    SetLive(false);
  }
  driven_.store(true);
}

void Household::SetGoal() {
  // The first minute boundary at least reminder_lead ahead (reminders are
  // set in minutes), in UTC.
  const absl::Time due = absl::FromUnixSeconds(
      (absl::ToUnixSeconds(absl::Now() + run_->config.reminder_lead) + 59) /
      60 * 60);
  const absl::CivilMinute at = absl::ToCivilMinute(due, absl::UTCTimeZone());
  coach::v1::SetGoalRequest request;
  coach::v1::Goal* goal = request.mutable_goal();
  goal->set_sessions_per_week(7);
  goal->set_time_zone("UTC");
  goal->set_remind_when_met(true);
  goal->mutable_reminder_time()->set_hours(at.hour());
  goal->mutable_reminder_time()->set_minutes(at.minute());
  coach::v1::SetGoalResponse response;
  const Tries t =
      CallWithRetries(run_, housemate_token_, "SetGoal", run_->drive_end,
                      [&](grpc::ClientContext* c) {
                        return scheduler_stub_->SetGoal(c, request, &response);
                      });
  if (!t.last.ok()) return;
  const auto& next = response.progress().next_reminder();
  const absl::Time planned =
      absl::FromUnixSeconds(next.seconds()) + absl::Nanoseconds(next.nanos());
  if (!response.progress().has_next_reminder() || planned != due ||
      due + absl::Seconds(5) > run_->hard_end) {
    return;  // Not checked: the report says how many were planned.
  }
  {
    absl::MutexLock lock(&mu_);
    reminder_id_ = absl::FormatCivilTime(absl::CivilDay(at));
    reminder_due_ = due;
  }
  for (int d = 0; d < 2; ++d) {
    watchers_[d] = std::thread([this, d] { WatchReminders(d); });
  }
}

std::shared_ptr<SessionWatch> Household::StartSession() {
  coach::v1::StartSessionRequest request;
  request.set_routine_id(run_->config.preset);
  coach::v1::SessionView view;
  const Tries t =
      CallWithRetries(run_, user_token_, "StartSession", run_->drive_end,
                      [&](grpc::ClientContext* c) {
                        return session_stub_->StartSession(c, request, &view);
                      });
  if (t.tries > 1) run_->start_retries.fetch_add(t.tries - 1);
  if (!t.last.ok()) return nullptr;
  auto s = std::make_shared<SessionWatch>(view.session_id(), view.epoch());
  {
    absl::MutexLock lock(&s->mu);
    s->ledger.Begin(0, view.epoch(), 0);
    s->ledger.Begin(1, view.epoch(), 0);
  }
  absl::MutexLock lock(&mu_);
  sessions_.push_back(s);
  return s;
}

void Household::DriveSession(SessionWatch* s, int number) {
  const absl::Duration every = run_->config.command_interval;
  absl::Time next = absl::Now();
  for (int k = 0; !s->finished.load() && absl::Now() < run_->drive_end; ++k) {
    // After a command that took long (retries), the next waits a full
    // interval: no burst to catch up.
    next = std::max(next + every, absl::Now());
    if (!run_->Sleep(next - absl::Now())) return;
    if (s->finished.load()) break;
    const CommandType type = kCycle[k % 4];
    SendCommand(s, type, absl::StrCat(person_, "-", number, "-", k),
                run_->hard_end);
  }
  if (!s->finished.load() && !run_->stopping()) {
    SendCommand(s, coach::v1::COMMAND_TYPE_END,
                absl::StrCat(person_, "-", number, "-end"), run_->hard_end);
  }
}

void Household::SendCommand(SessionWatch* s, CommandType type,
                            const std::string& id, absl::Time give_up) {
  coach::v1::SendCommandRequest request;
  request.set_session_id(s->id);
  request.set_command_id(id);
  request.set_command(type);
  coach::v1::SendCommandResponse response;
  const absl::Time sent = absl::Now();
  const Tries t = CallWithRetries(
      run_, user_token_, absl::StrCat("SendCommand ", CommandType_Name(type)),
      give_up, [&](grpc::ClientContext* c) {
        return session_stub_->SendCommand(c, request, &response);
      });
  run_->commands.fetch_add(1);
  run_->command_attempts.fetch_add(t.tries);
  const CommandOutcome outcome = OutcomeOf(t.last, t.ambiguous);
  if (t.last.ok()) {
    const int64_t micros = absl::ToInt64Microseconds(absl::Now() - sent);
    run_->command_latency.Record(micros);
    {
      absl::MutexLock lock(&run_->samples_mu);
      run_->command_samples.push_back({sent, micros});
    }
    if (response.duplicate()) run_->deduplicated.fetch_add(1);
    {
      absl::MutexLock lock(&s->mu);
      s->ledger.Acknowledged(response.last_sequence());
    }
    if (response.status().run_state() == coach::v1::RUN_STATE_FINISHED) {
      s->finished.store(true);
    }
    Progress();
  }
  switch (type) {
    case coach::v1::COMMAND_TYPE_PAUSE:
      s->pauses.Add(outcome);
      break;
    case coach::v1::COMMAND_TYPE_RESUME:
      s->resumes.Add(outcome);
      break;
    case coach::v1::COMMAND_TYPE_REPEAT:
      s->repeats.Add(outcome);
      break;
    default:
      break;  // NEXT and END change the step: not counted one by one.
  }
  if (outcome != CommandOutcome::kApplied) {
    absl::MutexLock lock(&mu_);
    ++not_applied_;
    if (outcome == CommandOutcome::kUnknown) ++unknown_;
  }
}

void Household::Follow(SessionWatch* s, int device) {
  const coach::v1::DeviceKind kind = device == 0
                                         ? coach::v1::DEVICE_KIND_VOICE
                                         : coach::v1::DEVICE_KIND_DISPLAY;
  absl::Duration backoff = run_->config.initial_backoff;
  while (!run_->stopping()) {
    coach::v1::SubscribeRequest request;
    request.set_session_id(s->id);
    request.set_kind(kind);
    grpc::ClientContext context;
    AddToken(&context, device_token_);
    {
      absl::MutexLock lock(&s->mu);
      const auto [epoch, last] = s->ledger.Position(device);
      request.mutable_resume()->set_epoch(epoch);
      request.mutable_resume()->set_last_sequence(last);
      s->streams[device] = &context;
    }
    if (run_->stopping()) context.TryCancel();
    std::unique_ptr<grpc::ClientReader<coach::v1::SessionEvent>> reader =
        session_stub_->Subscribe(&context, request);
    coach::v1::SessionEvent event;
    bool read_any = false;
    while (reader->Read(&event)) {
      read_any = true;
      const ObservedEvent o = ObserveEvent(event);
      bool moved;
      {
        absl::MutexLock lock(&s->mu);
        moved = s->ledger.Observe(device, o);
      }
      if (moved && o.kind == EventKind::kEvent) {
        const int64_t micros =
            absl::ToInt64Microseconds(absl::Now() - o.server_time);
        run_->event_latency.Record(micros);
        absl::MutexLock lock(&run_->samples_mu);
        run_->event_samples.push_back({o.server_time, micros});
      }
      if (moved) Progress();
      if (o.finished) s->finished.store(true);
    }
    const grpc::Status status = reader->Finish();
    bool done;
    {
      absl::MutexLock lock(&s->mu);
      s->streams[device] = nullptr;
      done = s->ledger.DeviceFinished(device);
    }
    if (done || run_->stopping()) return;
    run_->NoteError(
        absl::StrCat("Subscribe ", coach::v1::DeviceKind_Name(kind)),
        status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN,
                                   "ended OK before the session finished")
                    : status);
    if (!status.ok() && !RetryableStatus(status.error_code())) return;
    if (read_any) backoff = run_->config.initial_backoff;
    run_->resubscribes.fetch_add(1);
    if (!run_->Sleep(backoff)) return;
    backoff = std::min(backoff * 2, run_->config.max_backoff);
  }
}

void Household::WatchReminders(int device) {
  absl::Duration backoff = run_->config.initial_backoff;
  while (!run_->stopping()) {
    coach::v1::WatchRemindersRequest request;
    request.set_kind(device == 0 ? coach::v1::DEVICE_KIND_VOICE
                                 : coach::v1::DEVICE_KIND_DISPLAY);
    grpc::ClientContext context;
    AddToken(&context, housemate_device_token_);
    {
      absl::MutexLock lock(&mu_);
      watch_streams_[device] = &context;
    }
    if (run_->stopping()) context.TryCancel();
    std::unique_ptr<grpc::ClientReader<coach::v1::Reminder>> reader =
        scheduler_stub_->WatchReminders(&context, request);
    coach::v1::Reminder reminder;
    bool read_any = false;
    while (reader->Read(&reminder)) {
      read_any = true;
      absl::MutexLock lock(&mu_);
      reminders_.Observe(reminder.reminder_id(), reminder.state(),
                         reminder.version());
    }
    const grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      watch_streams_[device] = nullptr;
    }
    if (run_->stopping()) return;
    run_->NoteError("WatchReminders", status);
    if (!status.ok() && !RetryableStatus(status.error_code())) return;
    if (read_any) backoff = run_->config.initial_backoff;
    run_->resubscribes.fetch_add(1);
    if (!run_->Sleep(backoff)) return;
    backoff = std::min(backoff * 2, run_->config.max_backoff);
  }
}

void Household::Totals(ChaosReport* r) {
  absl::MutexLock lock(&mu_);
  if (live_) ProgressLocked(absl::Now());  // A stall up to the end counts.
  for (const auto& s : sessions_) {
    absl::MutexLock session_lock(&s->mu);
    const SessionTally t = s->ledger.Tally();
    ++r->sessions_started;
    if (t.finished || s->finished.load()) {
      ++r->sessions_finished;
    } else {
      ++r->sessions_unfinished;
    }
    r->devices += 2;
    for (int d = 0; d < 2; ++d) {
      if (!s->ledger.DeviceFinished(d)) ++r->devices_incomplete;
    }
    r->delivered += t.events;
    r->duplicates += t.duplicates;
    r->silent_gaps += t.silent_gaps;
    r->missing += t.missing;
    r->changed_events += t.changed;
    r->not_recovered += t.not_recovered;
    const bool replaced = t.epochs > 1;
    if (replaced) ++r->epoch_changes;
    // PAUSE is counted from the final summary when a device saw it (it
    // holds every pause, seen or not); otherwise from the events.
    const CommandVerdict verdicts[] = {
        CheckCommands(s->repeats, t.repeats, t.hidden),
        t.summary_pauses >= 0 ? CheckCommands(s->pauses, t.summary_pauses, 0)
                              : CheckCommands(s->pauses, t.pauses, t.hidden),
        CheckCommands(s->resumes, t.resumes, t.hidden),
    };
    int64_t lost = 0;
    for (const CommandVerdict& v : verdicts) {
      r->commands_applied_twice += v.applied_twice;
      (replaced ? r->commands_lost_in_failover : r->commands_lost) += v.lost;
      if (!replaced) lost += v.lost;
    }
    if (lost > 0 && r->first_problem.empty()) {
      r->first_problem = absl::StrCat(
          person_, " session ", s->id, ": ", lost,
          " acknowledged command(s) missing from the history its devices saw "
          "(up to sequence ",
          t.last_sequence, ", ", t.hidden,
          " position(s) unseen, finished: ", t.finished ? "yes" : "no", ")");
    }
    if (r->first_problem.empty() && !t.first_problem.empty()) {
      r->first_problem =
          absl::StrCat(person_, " session ", s->id, ": ", t.first_problem);
    }
  }
  r->commands_refused += not_applied_ - unknown_;
  r->commands_unknown += unknown_;
  r->reminder_deliveries += reminders_.deliveries();
  r->reminders_fired_twice += reminders_.FiredTwice();
  if (!reminder_id_.empty()) {
    ++r->reminders_planned;
    if (reminders_.Fired(reminder_id_)) {
      ++r->reminders_fired;
    } else {
      ++r->reminders_lost;
    }
  }
  const int64_t stall_ms = absl::ToInt64Milliseconds(max_stall_);
  if (stall_ms > r->max_stall_ms) {
    r->max_stall_ms = stall_ms;
    r->max_stall_at_s = absl::ToDoubleSeconds(stall_start_ - run_->start);
    r->max_stall_household = person_;
  }
}

// The fault windows file `path` once it says "done" (deploy/chaos.sh writes
// that after its last fault, which may recover after the load), or as it
// is after `wait`. NOT_FOUND when it cannot be read then; its parse error.
absl::StatusOr<FaultWindows> AwaitFaultWindows(const std::string& path,
                                               absl::Duration wait) {
  const absl::Time give_up = absl::Now() + wait;
  for (;;) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    if (in) {
      absl::StatusOr<FaultWindows> windows = ParseFaultWindows(text.str());
      if (!windows.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--fault_windows_file: ", path, ": ", windows.status().message()));
      }
      if (windows->done || absl::Now() >= give_up) return windows;
    } else if (absl::Now() >= give_up) {
      return absl::NotFoundError(
          absl::StrCat("--fault_windows_file: ", path, ": cannot be read"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status CheckConfig(const ChaosConfig& c) {
  absl::Status basics =
      CheckRunBasics(c.target, c.households, c.channels, c.secret, c.duration);
  if (!basics.ok()) return basics;
  if (c.grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--chaos_grace: must not be negative");
  }
  if (c.command_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--command_interval: must be positive");
  }
  if (c.run_id.size() > 24) {
    return absl::InvalidArgumentError(
        "--run_id: at most 24 characters (it prefixes command ids)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChaosReport> RunChaos(const ChaosConfig& config_in) {
  ChaosConfig config = config_in;
  if (config.run_id.empty()) {
    config.run_id =
        absl::StrCat("chaos", absl::ToUnixMillis(absl::Now()) % 100000000);
  }
  absl::Status valid = CheckConfig(config);
  if (!valid.ok()) return valid;
  Run run(config);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < config.channels; ++i) {
    grpc::ChannelArguments args;
    // Separate connections, each reconnecting soon after a fault (gRPC's
    // default backoff grows to two minutes). gRPC's C core also takes
    // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS as the time a connection attempt
    // gets to finish (TCP, TLS, HTTP/2): at its default (20 s) an attempt
    // caught by a restarting coachd hung 14 s; 5 s is plenty on loopback
    // once the attempt is polled (the keepers below).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("coachd.loadgen.channel", i);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channels.push_back(grpc::CreateCustomChannel(
        config.target,
        config.credentials != nullptr ? config.credentials
                                      : grpc::InsecureChannelCredentials(),
        args));
    run.sessions.push_back(coach::v1::SessionService::NewStub(channels.back()));
    run.schedulers.push_back(
        coach::v1::SchedulerService::NewStub(channels.back()));
  }
  const absl::Time connect_by = absl::Now() + absl::Seconds(10);
  for (auto& channel : channels) {
    if (!channel->WaitForConnected(absl::ToChronoTime(connect_by))) {
      return absl::UnavailableError(
          absl::StrCat("--target: cannot connect to ", config.target));
    }
  }
  // The households use gRPC's synchronous API only: without a thread
  // polling each channel, a reconnection after the proxy restarted was
  // never finished (clients/common/channel_watch.h says why).
  std::vector<std::unique_ptr<ChannelWatch>> keepers;
  ChannelWatchOptions keep;
  keep.keep_connecting = true;
  for (auto& channel : channels) {
    keepers.push_back(std::make_unique<ChannelWatch>(channel, keep));
  }
  run.start = absl::Now();
  run.drive_end = run.start + config.duration;
  run.hard_end = run.drive_end + config.grace;

  std::vector<std::unique_ptr<Household>> households;
  for (int i = 0; i < config.households; ++i) {
    households.push_back(std::make_unique<Household>(&run, i));
    households.back()->Start();
  }
  // Done when every household has settled, or at the hard end.
  while (absl::Now() < run.hard_end) {
    if (std::all_of(households.begin(), households.end(),
                    [](const auto& h) { return h->Settled(); })) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  run.Stop();
  for (auto& h : households) h->CancelStreams();
  for (auto& h : households) h->Join();

  ChaosReport report;
  report.label = config.label;
  report.target = config.target;
  report.run_id = config.run_id;
  report.households = config.households;
  report.channels = config.channels;
  for (auto& h : households) h->Totals(&report);
  report.run_s = absl::ToDoubleSeconds(absl::Now() - run.start);
  report.resubscribes = run.resubscribes.load();
  report.start_retries = run.start_retries.load();
  report.commands = run.commands.load();
  report.command_attempts = run.command_attempts.load();
  report.commands_deduplicated = run.deduplicated.load();
  if (run.command_latency.Count() > 0) {
    report.command_p50_ms = run.command_latency.Percentile(0.5) / 1000;
    report.command_p99_ms = run.command_latency.Percentile(0.99) / 1000;
    report.command_max_ms = run.command_latency.Max() / 1000;
  }
  if (run.event_latency.Count() > 0) {
    report.latency_p50_us = run.event_latency.Percentile(0.5);
    report.latency_p99_us = run.event_latency.Percentile(0.99);
    report.latency_max_us = run.event_latency.Max();
  }
  if (!config.fault_windows_file.empty()) {
    absl::StatusOr<FaultWindows> windows =
        AwaitFaultWindows(config.fault_windows_file, config.grace);
    if (windows.ok()) {
      if (!windows->done) {
        report.windows_note =
            absl::StrCat("no \"done\" line within --chaos_grace (",
                         absl::FormatDuration(config.grace),
                         ") after the load: the windows written so far");
      }
      absl::MutexLock lock(&run.samples_mu);
      report.windows = LatencyByWindow(run.start, windows->windows,
                                       run.command_samples, run.event_samples);
    } else {
      report.windows_note = std::string(windows.status().message());
    }
  }
  if (config.reminders && report.reminders_planned == 0) {
    report.reminder_note =
        "no reminder planned: SetGoal failed or its minute fell after "
        "duration + grace";
  } else if (!config.reminders) {
    report.reminder_note = "reminders off (--reminders=false)";
  }
  run.Totals(&report);
  return report;
}

}  // namespace coachd
