#include "services/session/session_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/check.h"
#include "services/common/log.h"
#include "services/common/recent_log.h"

namespace coachd {

const char* SnapshotReasonLabel(SnapshotReason reason) {
  switch (reason) {
    case SnapshotReason::kJoined:
      return "joined";
    case SnapshotReason::kCannotResume:
      return "cannot_resume";
    case SnapshotReason::kNewEpoch:
      return "new_epoch";
    case SnapshotReason::kFellBehind:
      return "fell_behind";
  }
  return "unknown";
}

// One session's fan-out point. Implements EventListener for the store.
class HubChannel : public EventListener {
 public:
  // `recent`: the session's newest events up to record.last_sequence(),
  // contiguous (possibly none); they seed the window, so resumes within it
  // need no store read.
  HubChannel(SessionHub* hub, const coach::internal::SessionRecord& record,
             std::vector<StoredEvent> recent, int window, const Clock* clock)
      : hub_(hub),
        session_id_(record.session_id()),
        owner_(record.owner()),
        epoch_(record.epoch()),
        routine_(record.routine()),
        started_us_(record.engine().started_us()),
        window_(window),
        clock_(clock),
        last_sequence_(record.last_sequence()) {
    if (!recent.empty() && recent.back().sequence() == last_sequence_) {
      last_event_ = recent.back();
      const size_t keep = std::min(recent.size(), static_cast<size_t>(window));
      for (auto it = recent.end() - keep; it != recent.end(); ++it) {
        window_events_.push_back(std::move(*it));
      }
    }
  }

  void OnEvents(const std::vector<StoredEvent>& events) override {
    absl::MutexLock lock(&mu_);
    for (const StoredEvent& ev : events) {
      if (ev->epoch() != epoch_) {
        NewHistoryLocked(ev);
        continue;
      }
      if (ev.sequence() <= last_sequence_) continue;  // Already seen.
      // The store hands followers each event once, in order.
      COACHD_DCHECK(ev.sequence() == last_sequence_ + 1,
                    absl::StrCat("session ", session_id_, ": event ",
                                 ev.sequence(), " after ", last_sequence_));
      last_sequence_ = ev.sequence();
      last_event_ = ev;
      if (ev->has_exercise_switched()) {
        routine_ = ev->exercise_switched().routine();
      }
      window_events_.push_back(ev);
      if (static_cast<int>(window_events_.size()) > window_) {
        window_events_.pop_front();
      }
      for (EventSink* sink : sinks_) sink->Deliver(ev);
      hub_->delivered_.fetch_add(static_cast<int64_t>(sinks_.size()),
                                 std::memory_order_relaxed);
    }
  }

  // The store moved the session to a new epoch at `ev` (Redis failed over
  // and may have lost events these sinks got): the window starts again
  // from `ev`, and every sink gets a not-recovered snapshot as of it instead
  // of events that may not follow what it saw.
  void NewHistoryLocked(const StoredEvent& ev)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    LogInfo(absl::StrCat("session ", session_id_, ": history epoch ", epoch_,
                         " became ", ev->epoch(), " at sequence ",
                         ev->sequence(), "; ", sinks_.size(),
                         " subscribers get a snapshot"));
    epoch_ = ev->epoch();
    last_sequence_ = ev->sequence();
    last_event_ = ev;
    if (ev->has_exercise_switched()) {
      routine_ = ev->exercise_switched().routine();
    }
    window_events_.clear();
    window_events_.push_back(ev);
    if (sinks_.empty()) return;
    const StoredEvent snapshot = SnapshotLocked(
        /*recovered=*/false,
        "history epoch changed (Redis failed over): events may be lost");
    // Counted first: a receiver may see it before Deliver returns.
    hub_->CountSnapshot(SnapshotReason::kNewEpoch,
                        static_cast<int64_t>(sinks_.size()));
    for (EventSink* sink : sinks_) sink->Deliver(snapshot);
    hub_->delivered_.fetch_add(static_cast<int64_t>(sinks_.size()),
                               std::memory_order_relaxed);
  }

  StoredEvent SnapshotLocked(bool recovered, absl::string_view reason) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    coach::v1::SessionEvent ev;
    ev.set_session_id(session_id_);
    ev.set_sequence(last_sequence_);
    ev.set_epoch(epoch_);
    const absl::Time now = clock_->Now();
    ev.mutable_server_time()->set_seconds(absl::ToUnixSeconds(now));
    ev.mutable_server_time()->set_nanos(
        static_cast<int>(absl::ToUnixNanos(now) % 1000000000));
    coach::v1::Snapshot* snap = ev.mutable_snapshot();
    snap->set_recovered(recovered);
    snap->set_reason(std::string(reason));
    coach::v1::SessionView* view = snap->mutable_session();
    view->set_session_id(session_id_);
    view->set_owner(owner_);
    view->set_epoch(epoch_);
    view->set_last_sequence(last_sequence_);
    *view->mutable_routine() = routine_;
    view->mutable_started_at()->set_seconds(started_us_ / 1000000);
    if (last_event_ != nullptr) {
      *view->mutable_status() = last_event_->status();
      *view->mutable_card() = last_event_->card();
      *view->mutable_speech() = last_event_->speech();
      *ev.mutable_status() = last_event_->status();
      *ev.mutable_card() = last_event_->card();
      *ev.mutable_speech() = last_event_->speech();
      if (last_event_->has_session_done()) {
        *view->mutable_summary() = last_event_->session_done().summary();
      }
    }
    return StoredEvent::Make(std::move(ev));
  }

  StoredEvent Snapshot(bool recovered, absl::string_view reason) const {
    absl::MutexLock lock(&mu_);
    return SnapshotLocked(recovered, reason);
  }

  // Tries to attach `sink` after `after` given `history` (events
  // after..after+n from the store). Returns false when the window has moved
  // past what history covered: read more and try again.
  enum class Attached { kYes, kNeedMore, kClosed };
  Attached TryAttach(EventSink* sink, int64_t after,
                     const std::vector<StoredEvent>& history) {
    absl::MutexLock lock(&mu_);
    if (closed_) return Attached::kClosed;
    const int64_t covered = after + static_cast<int64_t>(history.size());
    const int64_t first_in_window = window_events_.empty()
                                        ? last_sequence_ + 1
                                        : window_events_.front().sequence();
    if (covered + 1 < first_in_window && covered < last_sequence_) {
      return Attached::kNeedMore;
    }
    int64_t delivered = after;
    for (const StoredEvent& ev : history) {
      if (ev.sequence() == delivered + 1 && ev.sequence() <= last_sequence_) {
        sink->Deliver(ev);
        delivered = ev.sequence();
      }
    }
    for (const StoredEvent& ev : window_events_) {
      if (ev.sequence() == delivered + 1) {
        sink->Deliver(ev);
        delivered = ev.sequence();
      }
    }
    hub_->delivered_.fetch_add(delivered - after, std::memory_order_relaxed);
    sinks_.push_back(sink);
    return Attached::kYes;
  }

  // Attaches `sink` with a snapshot first; false when the channel closed.
  bool AttachWithSnapshot(EventSink* sink, SnapshotReason why,
                          absl::string_view reason) {
    absl::MutexLock lock(&mu_);
    if (closed_) return false;
    hub_->CountSnapshot(why);  // First: the receiver may see it at once.
    sink->Deliver(
        SnapshotLocked(/*recovered=*/why == SnapshotReason::kJoined, reason));
    hub_->delivered_.fetch_add(1, std::memory_order_relaxed);
    sinks_.push_back(sink);
    return true;
  }

  // Checks a resume position against the channel; empty when resumable.
  std::string Unresumable(const coach::v1::ResumePosition& p) const {
    absl::MutexLock lock(&mu_);
    if (p.epoch() != epoch_) {
      return "history epoch changed: events since your position are lost";
    }
    if (p.last_sequence() > last_sequence_) {
      return "position is ahead of the session's history";
    }
    return "";
  }

  int64_t LastSequence() const {
    absl::MutexLock lock(&mu_);
    return last_sequence_;
  }

  // Removes `sink`; when none is left, closes the channel (attaches then
  // fail and retry on a new one) and returns true.
  bool Remove(EventSink* sink) {
    absl::MutexLock lock(&mu_);
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
    if (sinks_.empty()) closed_ = true;
    return closed_;
  }

  const std::string& session_id() const { return session_id_; }
  std::string epoch() const {
    absl::MutexLock lock(&mu_);
    return epoch_;
  }

  SessionHub* hub_;
  std::unique_ptr<FollowHandle> follow;  // Set once after creation.

 private:
  const std::string session_id_;
  const std::string owner_;
  mutable absl::Mutex mu_;
  std::string epoch_ ABSL_GUARDED_BY(mu_);  // Changes after a failover.
  coach::v1::Routine routine_ ABSL_GUARDED_BY(mu_);
  const int64_t started_us_;
  const int window_;
  const Clock* clock_;
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_);
  StoredEvent last_event_ ABSL_GUARDED_BY(mu_);
  RecentLog<StoredEvent> window_events_ ABSL_GUARDED_BY(mu_);
  std::vector<EventSink*> sinks_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

HubAttachment::HubAttachment(std::shared_ptr<HubChannel> channel,
                             EventSink* sink)
    : channel_(std::move(channel)), sink_(sink) {}

HubAttachment::~HubAttachment() { channel_->hub_->Release(channel_, sink_); }

StoredEvent HubAttachment::Snapshot(bool recovered,
                                    absl::string_view reason) const {
  return channel_->Snapshot(recovered, reason);
}

SessionHub::SessionHub(SessionStore* store, const Clock* clock,
                       Executor* cleanup, HubOptions options)
    : store_(store), clock_(clock), cleanup_(cleanup), options_(options) {}

SessionHub::~SessionHub() = default;

int SessionHub::ChannelCount() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(channels_.size());
}

absl::StatusOr<std::shared_ptr<HubChannel>> SessionHub::GetOrCreate(
    const coach::internal::SessionRecord& record) {
  {
    absl::MutexLock lock(&mu_);
    auto it = channels_.find(record.session_id());
    if (it != channels_.end() && it->second->epoch() == record.epoch()) {
      return it->second;
    }
  }
  // Build outside the hub's lock: it reads the store. The newest events
  // (up to a window) seed the channel: subscribers joining from an earlier
  // position share this one read instead of each reading history.
  const int64_t last_sequence = record.last_sequence();
  const int64_t from = std::max<int64_t>(0, last_sequence - options_.window);
  absl::StatusOr<HistoryRead> recent =
      store_->ReadHistory(record.session_id(), record.epoch(), from,
                          static_cast<int>(last_sequence - from));
  if (!recent.ok()) return recent.status();
  std::vector<StoredEvent> seed;
  if (recent->complete) {
    for (StoredEvent& ev : recent->events) {
      if (ev.sequence() > last_sequence) break;  // Committed since: Follow.
      seed.push_back(std::move(ev));
    }
    if (!seed.empty() && (seed.front().sequence() != from + 1 ||
                          seed.back().sequence() != last_sequence)) {
      seed.clear();  // Not contiguous up to the record: seed nothing.
    }
  }
  if (seed.empty() && last_sequence > 0) {
    // History is shorter than the window (trimmed): the last event alone,
    // which snapshots need.
    absl::StatusOr<HistoryRead> last = store_->ReadHistory(
        record.session_id(), record.epoch(), last_sequence - 1, 1);
    if (!last.ok()) return last.status();
    if (last->complete && !last->events.empty() &&
        last->events.front().sequence() == last_sequence) {
      seed.push_back(last->events.front());
    }
  }
  auto channel = std::make_shared<HubChannel>(this, record, std::move(seed),
                                              options_.window, clock_);
  // A finished session's last event is its last: nothing to follow.
  if (record.engine().run_state() != coach::v1::RUN_STATE_FINISHED) {
    absl::StatusOr<std::unique_ptr<FollowHandle>> follow = store_->Follow(
        record.session_id(), record.last_sequence(), channel.get());
    if (!follow.ok()) return follow.status();
    channel->follow = *std::move(follow);
  }

  std::shared_ptr<HubChannel> existing;
  {
    absl::MutexLock lock(&mu_);
    auto& slot = channels_[record.session_id()];
    if (slot != nullptr && slot->epoch() == record.epoch()) {
      existing = slot;
    } else {
      slot = channel;
    }
  }
  if (existing != nullptr) {
    // Another attach won the race; drop ours off this thread's locks.
    cleanup_->Schedule([channel] { channel->follow.reset(); });
    return existing;
  }
  return channel;
}

absl::StatusOr<std::unique_ptr<HubAttachment>> SessionHub::Attach(
    const coach::internal::SessionRecord& record,
    const coach::v1::ResumePosition* position, EventSink* sink) {
  // A channel can close between lookup and attach (its last sink left):
  // then attach to a new one.
  for (int attempt = 0; attempt < 8; ++attempt) {
    absl::StatusOr<std::shared_ptr<HubChannel>> channel = GetOrCreate(record);
    if (!channel.ok()) return channel.status();
    std::shared_ptr<HubChannel> ch = *std::move(channel);
    absl::StatusOr<bool> attached = AttachTo(*ch, record, position, sink);
    if (!attached.ok()) return attached.status();
    if (*attached) return std::make_unique<HubAttachment>(ch, sink);
  }
  return absl::UnavailableError("session channel kept closing; try again");
}

absl::StatusOr<bool> SessionHub::AttachTo(
    HubChannel& ch, const coach::internal::SessionRecord& record,
    const coach::v1::ResumePosition* position, EventSink* sink) {
  if (position == nullptr) {
    return ch.AttachWithSnapshot(sink, SnapshotReason::kJoined,
                                 "joined the session");
  }
  std::string why = ch.Unresumable(*position);
  if (!why.empty()) {
    return ch.AttachWithSnapshot(sink, SnapshotReason::kCannotResume, why);
  }
  int64_t after = position->last_sequence();
  std::vector<StoredEvent> history;  // First try the window alone.
  // Then read from the store in bounded rounds; each moves `after` forward.
  for (int round = 0; round < 64; ++round) {
    switch (ch.TryAttach(sink, after, history)) {
      case HubChannel::Attached::kYes:
        return true;
      case HubChannel::Attached::kClosed:
        return false;
      case HubChannel::Attached::kNeedMore:
        break;
    }
    after += static_cast<int64_t>(history.size());
    const int64_t want = ch.LastSequence() - after;
    absl::StatusOr<HistoryRead> read = store_->ReadHistory(
        record.session_id(), position->epoch(), after,
        static_cast<int>(std::min<int64_t>(want + 16, 100000)));
    if (!read.ok()) return read.status();
    if (!read->complete) {
      return ch.AttachWithSnapshot(
          sink, SnapshotReason::kCannotResume,
          "history no longer holds the events you missed");
    }
    history = std::move(read->events);
  }
  return ch.AttachWithSnapshot(sink, SnapshotReason::kCannotResume,
                               "could not catch up with a fast session");
}

void SessionHub::Release(const std::shared_ptr<HubChannel>& channel,
                         EventSink* sink) {
  {
    absl::MutexLock lock(&mu_);
    if (!channel->Remove(sink)) return;
    auto it = channels_.find(channel->session_id());
    if (it != channels_.end() && it->second == channel) channels_.erase(it);
  }
  // Closed: unfollowing may take the store's lock (or join a reader), so it
  // happens on a worker, never on the caller's (reactor) thread.
  std::shared_ptr<HubChannel> dropped = channel;
  cleanup_->Schedule([dropped] { dropped->follow.reset(); });
}

}  // namespace coachd
