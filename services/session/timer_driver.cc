#include "services/session/timer_driver.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/session/session_engine.h"

namespace coachd {

using coach::internal::SessionRecord;

// Hands the events of one driven session, as the hub delivers them, to the
// driver. Called with the hub channel's lock held: only notes and posts.
class TimerDriver::WatchSink : public EventSink {
 public:
  WatchSink(TimerDriver* driver, std::string session_id)
      : driver_(driver), session_id_(std::move(session_id)) {}

  void Deliver(const StoredEvent& event) override {
    driver_->OnEvent(session_id_, event->sequence(), event->has_snapshot());
  }

 private:
  TimerDriver* const driver_;
  const std::string session_id_;
};

// A sink attached to the hub. The attachment goes first (members are
// destroyed in reverse order), so the sink is never called after it.
struct TimerDriver::Watch {
  std::unique_ptr<WatchSink> sink;
  std::unique_ptr<HubAttachment> attachment;
};

// One driven session.
struct TimerDriver::Entry {
  uint64_t generation = 0;  // Tells a re-taken session from its old entry.
  std::string epoch;
  int64_t applied = 0;    // Sequence of the record the timer follows.
  int64_t pending = 0;    // Newest sequence the watch has seen.
  bool watching = false;  // A watch is attached or being attached.
  // The newest record seen, only if keep_records_ (else null: an empty
  // message is some hundred bytes per driven session).
  std::unique_ptr<SessionRecord> record;
  std::unique_ptr<Watch> watch;
};

TimerDriver::TimerDriver(TimerLeases* leases, SessionStore* store,
                         TimerQueue* timers, SessionHub* hub,
                         const Clock* clock, TimerDriverOptions options)
    : leases_(leases),
      store_(store),
      timers_(timers),
      hub_(hub),
      clock_(clock),
      options_(options),
      keep_records_(!store->LoadsLocally() || leases->shared()) {}

TimerDriver::~TimerDriver() { Stop(); }

bool TimerDriver::Drives(absl::string_view session_id) const {
  {
    absl::MutexLock lock(&mu_);
    if (!driven_.contains(session_id)) return false;
  }
  return leases_->Holds(session_id);
}

void TimerDriver::Adopt(const SessionRecord& record) {
  absl::StatusOr<std::vector<std::string>> held =
      leases_->Acquire({record.session_id()});
  if (!held.ok()) {
    LogWarning(absl::StrCat("session ", record.session_id(),
                            ": cannot take its timer lease yet (",
                            held.status().message(), "); a sweep will"));
    return;
  }
  if (held->empty()) return;  // Another replica was first: it drives.
  Take(record);
}

bool TimerDriver::Take(const SessionRecord& record) {
  const std::string& id = record.session_id();
  if (record.engine().run_state() == coach::v1::RUN_STATE_FINISHED) {
    leases_->Release(id);
    return false;
  }
  uint64_t generation = 0;
  bool watch = false;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Entry>& slot = driven_[id];
    if (slot != nullptr) return false;  // Already driven (Adopt raced a sweep).
    slot = std::make_unique<Entry>();
    generation = slot->generation = ++next_generation_;
    slot->epoch = record.epoch();
    slot->applied = slot->pending = record.last_sequence();
    if (keep_records_) slot->record = std::make_unique<SessionRecord>(record);
    watch = slot->watching = leases_->shared() && hub_ != nullptr;
    timers_->Schedule(id, SessionEngine::NextDeadline(record));
  }
  if (watch) AttachWatch(record, generation);
  return true;
}

void TimerDriver::AttachWatch(const SessionRecord& record,
                              uint64_t generation) {
  const std::string& id = record.session_id();
  auto watch = std::make_unique<Watch>();
  watch->sink = std::make_unique<WatchSink>(this, id);
  // From the record on: whatever was committed since arrives at once.
  coach::v1::ResumePosition position;
  position.set_epoch(record.epoch());
  position.set_last_sequence(record.last_sequence());
  absl::StatusOr<std::unique_ptr<HubAttachment>> attached =
      hub_->Attach(record, &position, watch->sink.get());
  if (!attached.ok()) {
    LogWarning(absl::StrCat("session ", id, ": cannot follow its events (",
                            attached.status().message(),
                            "); the next sweep retries"));
    absl::MutexLock lock(&mu_);
    auto it = driven_.find(id);
    if (it != driven_.end() && it->second->generation == generation) {
      it->second->watching = false;
    }
    return;
  }
  watch->attachment = *std::move(attached);
  {
    absl::MutexLock lock(&mu_);
    auto it = driven_.find(id);
    if (it != driven_.end() && it->second->generation == generation) {
      it->second->watch = std::move(watch);
      return;
    }
  }
  // Dropped meanwhile: `watch` detaches here, outside the driver's lock.
}

void TimerDriver::Update(const SessionRecord& record) {
  const std::string& id = record.session_id();
  {
    absl::MutexLock lock(&mu_);
    auto it = driven_.find(id);
    if (it == driven_.end()) return;
    Entry& e = *it->second;
    if (record.epoch() == e.epoch && record.last_sequence() < e.applied) {
      return;  // Older than what the timer follows already.
    }
    e.epoch = record.epoch();
    e.applied = record.last_sequence();
    if (keep_records_) {
      if (e.record == nullptr) e.record = std::make_unique<SessionRecord>();
      *e.record = record;
    }
    if (record.engine().run_state() != coach::v1::RUN_STATE_FINISHED) {
      timers_->Schedule(id, SessionEngine::NextDeadline(record));
      return;
    }
  }
  Drop(id, /*release=*/true);  // Finished: nothing left to drive.
}

std::optional<SessionRecord> TimerDriver::Cached(
    absl::string_view session_id) const {
  absl::MutexLock lock(&mu_);
  auto it = driven_.find(session_id);
  if (!keep_records_ || it == driven_.end() ||
      it->second->pending > it->second->applied ||
      it->second->record == nullptr) {
    return std::nullopt;
  }
  return *it->second->record;
}

void TimerDriver::OnEvent(const std::string& session_id, int64_t sequence,
                          bool snapshot) {
  absl::MutexLock lock(&mu_);
  auto it = driven_.find(session_id);
  if (it == driven_.end()) return;
  Entry& e = *it->second;
  if (snapshot) {  // History moved under the watch: reload regardless.
    e.pending = std::max(e.pending, e.applied + 1);
  } else if (sequence <= e.applied) {
    return;  // Committed here (or already reloaded).
  } else {
    e.pending = std::max(e.pending, sequence);
  }
  // Due now: the tick reloads (Cached is empty while an event is pending)
  // and reschedules from the newest record.
  timers_->Schedule(session_id, clock_->Now());
}

void TimerDriver::Forget(absl::string_view session_id) {
  Drop(std::string(session_id), /*release=*/true);
}

void TimerDriver::Drop(const std::string& session_id, bool release) {
  std::unique_ptr<Entry> entry;
  {
    absl::MutexLock lock(&mu_);
    auto it = driven_.find(session_id);
    if (it == driven_.end()) return;
    entry = std::move(it->second);
    driven_.erase(it);
    timers_->Schedule(session_id, absl::InfiniteFuture());
  }
  if (release) leases_->Release(session_id);
  entry.reset();  // Detaches the watch outside the driver's lock.
}

absl::Status TimerDriver::Sweep() {
  absl::StatusOr<std::vector<std::string>> live = store_->ListLive();
  if (!live.ok()) return live.status();
  std::sort(live->begin(), live->end());

  std::vector<std::string> candidates;
  std::vector<std::pair<SessionRecord, uint64_t>> rewatch;
  {
    absl::MutexLock lock(&mu_);
    // Round robin from where the last pass stopped, so a long list is
    // covered over several passes.
    const size_t n = live->size();
    const size_t start =
        std::upper_bound(live->begin(), live->end(), sweep_cursor_) -
        live->begin();
    for (size_t i = 0; i < n && static_cast<int>(candidates.size()) <
                                    options_.max_candidates_per_sweep;
         ++i) {
      const std::string& id = (*live)[(start + i) % n];
      if (!driven_.contains(id)) candidates.push_back(id);
    }
    sweep_cursor_ = candidates.empty() ? std::string() : candidates.back();
    for (auto& [id, e] : driven_) {
      if (static_cast<int>(rewatch.size()) >=
          options_.max_takeovers_per_sweep) {
        break;
      }
      // Shared leases keep records (keep_records_), so e->record is set.
      if (!e->watching && leases_->shared() && hub_ != nullptr &&
          e->record != nullptr) {
        e->watching = true;
        rewatch.emplace_back(*e->record, e->generation);
      }
    }
  }
  for (const auto& [record, generation] : rewatch) {
    AttachWatch(record, generation);
  }
  if (candidates.empty()) return absl::OkStatus();

  absl::StatusOr<std::vector<std::string>> acquired =
      leases_->Acquire(candidates);
  if (!acquired.ok()) return acquired.status();
  int taken = 0;
  for (const std::string& id : *acquired) {
    if (taken >= options_.max_takeovers_per_sweep) {
      leases_->Release(id);  // Next pass.
      continue;
    }
    absl::StatusOr<SessionRecord> record = store_->Load(id);
    if (!record.ok()) {
      leases_->Release(id);
      if (!absl::IsNotFound(record.status())) return record.status();
      continue;
    }
    if (leases_->shared()) {
      LogInfo(absl::StrCat("driving the timers of session ", id,
                           " from sequence ", record->last_sequence()));
    }
    if (Take(*record)) takeovers_.fetch_add(1);
    ++taken;
  }
  return absl::OkStatus();
}

void TimerDriver::Renew() {
  for (const std::string& id : leases_->RenewHeld()) {
    LogWarning(absl::StrCat(
        "lost the timer lease of session ", id,
        "; not driving it (taken, expired or not renewed in time)"));
    leases_lost_.fetch_add(1);
    Drop(id, /*release=*/false);
  }
  // Also anything driven whose lease is not held (lost before it was
  // driven, or not renewed in time).
  for (const std::string& id : Driven()) {
    if (!leases_->Holds(id)) {
      leases_lost_.fetch_add(1);
      Drop(id, /*release=*/false);
    }
  }
}

std::vector<std::string> TimerDriver::Driven() const {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    ids.reserve(driven_.size());
    for (const auto& [id, e] : driven_) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool TimerDriver::WaitFor(absl::Duration d) {
  absl::MutexLock lock(&stop_mu_);
  return !stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
}

void TimerDriver::Start() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  const absl::Duration ttl = leases_->ttl();
  if (ttl != absl::InfiniteDuration()) {
    renew_thread_ = std::thread([this, every = ttl / 3] {
      while (WaitFor(every)) Renew();
    });
  }
  sweep_thread_ = std::thread([this] {
    bool failing = false;
    while (WaitFor(options_.sweep_interval)) {
      const absl::Status swept = Sweep();
      if (!swept.ok() && !failing) {
        LogWarning(absl::StrCat("timer sweep: ", swept.message()));
      }
      failing = !swept.ok();
    }
  });
}

void TimerDriver::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (renew_thread_.joinable()) renew_thread_.join();
  if (sweep_thread_.joinable()) sweep_thread_.join();
  for (const std::string& id : Driven()) Drop(id, /*release=*/true);
}

}  // namespace coachd
