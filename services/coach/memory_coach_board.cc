#include "services/coach/memory_coach_board.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/common/log.h"
#include "services/common/recent_log.h"
#include "services/store/memory_session_store.h"

namespace coachd {

using coach::v1::LiveUpdate;

namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return ts;
}

}  // namespace

// One coach's board: its rows, its numbered history and its watchers.
class CoachChannel : public BoardFeed {
 public:
  // `rows`: the board as it stands when the channel is made.
  CoachChannel(std::string epoch, int window, const Clock* clock,
               BoardRows rows = {})
      : epoch_(std::move(epoch)),
        window_(std::max(1, window)),
        clock_(clock),
        rows_(std::move(rows)) {}

  // Numbers `update`, applies it to the rows, keeps it for resumes and
  // hands it to every watcher.
  void Publish(LiveUpdate update) {
    absl::MutexLock lock(&mu_);
    update.set_epoch(epoch_);
    update.set_sequence(++last_sequence_);
    ApplyToRows(update, &rows_);
    if (!watched_) return;  // No position in this channel exists yet.
    SharedUpdate shared = std::make_shared<const LiveUpdate>(std::move(update));
    history_.push_back(shared);
    while (static_cast<int>(history_.size()) > window_) history_.pop_front();
    for (LiveSink* sink : sinks_) sink->Deliver(shared);
  }

  // See MemoryCoachBoard::Attach.
  void Attach(const coach::v1::ResumePosition* position, LiveSink* sink) {
    absl::MutexLock lock(&mu_);
    watched_ = true;
    if (position == nullptr) {
      sink->Deliver(SnapshotLocked(true, "a fresh watch: the board as it is"));
    } else if (position->epoch() != epoch_) {
      sink->Deliver(SnapshotLocked(
          false, "the board's history has another epoch (coachd restarted)"));
    } else if (position->last_sequence() > last_sequence_) {
      sink->Deliver(SnapshotLocked(
          false, "the resume position is ahead of the board's history"));
    } else if (position->last_sequence() < last_sequence_) {
      const int64_t first =
          history_.empty() ? last_sequence_ + 1 : history_.front()->sequence();
      if (position->last_sequence() + 1 < first) {
        sink->Deliver(SnapshotLocked(
            false, absl::StrCat("history trimmed: updates before ", first,
                                " are gone")));
      } else {
        for (const SharedUpdate& update : history_) {
          if (update->sequence() > position->last_sequence()) {
            sink->Deliver(update);
          }
        }
      }
    }
    sinks_.push_back(sink);
  }

  void Detach(LiveSink* sink) override {
    absl::MutexLock lock(&mu_);
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
  }

  SharedUpdate Snapshot(bool recovered,
                        absl::string_view reason) const override {
    absl::MutexLock lock(&mu_);
    return SnapshotLocked(recovered, reason);
  }

 private:
  SharedUpdate SnapshotLocked(bool recovered, absl::string_view reason) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::make_shared<const LiveUpdate>(BoardSnapshot(
        epoch_, last_sequence_, rows_, clock_->Now(), recovered, reason));
  }

  const std::string epoch_;
  const int window_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  int64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Set by the first Attach. Until then no one holds a position in this
  // channel (positions come only from what watchers were handed, and the
  // epoch is the channel's own), so no update is kept for resumes: a
  // person's own board costs no history while nothing watches it.
  bool watched_ ABSL_GUARDED_BY(mu_) = false;
  RecentLog<SharedUpdate> history_ ABSL_GUARDED_BY(mu_);
  BoardRows rows_ ABSL_GUARDED_BY(mu_);
  std::vector<LiveSink*> sinks_ ABSL_GUARDED_BY(mu_);
};

MemoryCoachBoard::MemoryCoachBoard(CoachLinkStore* links, const Clock* clock,
                                   MemoryCoachBoardOptions options)
    : links_(links),
      clock_(clock),
      options_(options),
      worker_(std::make_unique<Executor>(1)) {}

MemoryCoachBoard::~MemoryCoachBoard() { worker_.reset(); }

void MemoryCoachBoard::OnCommit(const coach::internal::SessionRecord& record,
                                const std::vector<StoredEvent>& events) {
  if (events.empty()) return;
  auto batch = std::make_shared<SessionBatch>(BatchOf(record, events));
  worker_->Schedule([this, batch] { Apply(*batch); });
}

void MemoryCoachBoard::OnLinked(const std::string& person,
                                const std::string& coach) {
  worker_->Schedule([this, person, coach] { ApplyLinked(person, coach); });
}

void MemoryCoachBoard::OnUnlinked(const std::string& person,
                                  const std::string& coach) {
  worker_->Schedule([this, person, coach] { ApplyUnlinked(person, coach); });
}

std::shared_ptr<CoachChannel> MemoryCoachBoard::ChannelOf(
    const std::string& coach) {
  absl::MutexLock lock(&channels_mu_);
  return ChannelInLocked(&channels_, coach);
}

std::shared_ptr<CoachChannel> MemoryCoachBoard::OwnChannelIfWatched(
    const std::string& person) {
  absl::MutexLock lock(&channels_mu_);
  auto it = own_channels_.find(person);
  return it == own_channels_.end() ? nullptr : it->second;
}

std::shared_ptr<CoachChannel> MemoryCoachBoard::ChannelInLocked(
    Channels* channels, const std::string& id) {
  std::shared_ptr<CoachChannel>& channel = (*channels)[id];
  if (channel == nullptr) {
    channel =
        std::make_shared<CoachChannel>(RandomId(8), options_.window, clock_);
  }
  return channel;
}

void MemoryCoachBoard::Apply(const SessionBatch& batch) {
  {
    absl::MutexLock lock(&persons_mu_);
    PersonState& person = persons_[batch.person];
    if (batch.finished) {
      person.live.erase(batch.session_id);
    } else {
      person.live[batch.session_id] = batch.row;
    }
    for (const LiveUpdate& update : batch.updates) {
      if (update.kind() == coach::v1::LIVE_UPDATE_KIND_DISCOMFORT) {
        person.last_discomfort = update.session().last_discomfort();
      }
    }
    // Under persons_mu_, so AttachOwn, which seeds a new own channel from
    // persons_, sees this batch either in its rows or as updates.
    std::shared_ptr<CoachChannel> own = OwnChannelIfWatched(batch.person);
    if (own != nullptr) {
      for (const LiveUpdate& update : batch.updates) own->Publish(update);
    }
  }
  if (batch.updates.empty()) return;
  absl::StatusOr<std::vector<coach::v1::CoachLink>> coaches =
      links_->CoachesOf(batch.person);
  if (!coaches.ok()) {
    LogWarning(absl::StrCat("live board: coaches of ", batch.person,
                            " unknown, updates of session ", batch.session_id,
                            " not delivered: ", coaches.status().message()));
    return;
  }
  for (const coach::v1::CoachLink& link : *coaches) {
    std::shared_ptr<CoachChannel> channel = ChannelOf(link.coach_id());
    for (const LiveUpdate& update : batch.updates) channel->Publish(update);
  }
}

void MemoryCoachBoard::ApplyLinked(const std::string& person,
                                   const std::string& coach) {
  std::vector<coach::v1::LiveSession> rows = Known(person).live;
  std::shared_ptr<CoachChannel> channel = ChannelOf(coach);
  const google::protobuf::Timestamp now = ToProto(clock_->Now());
  if (rows.empty()) {
    LiveUpdate update;
    update.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
    update.set_person_id(person);
    *update.mutable_server_time() = now;
    channel->Publish(std::move(update));
    return;
  }
  for (coach::v1::LiveSession& row : rows) {
    LiveUpdate update;
    update.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_LINKED);
    update.set_person_id(person);
    update.set_session_id(row.session_id());
    update.set_exercise_id(row.exercise_id());
    update.set_exercise_name(row.exercise_name());
    *update.mutable_server_time() = now;
    *update.mutable_session() = std::move(row);
    channel->Publish(std::move(update));
  }
}

void MemoryCoachBoard::ApplyUnlinked(const std::string& person,
                                     const std::string& coach) {
  LiveUpdate update;
  update.set_kind(coach::v1::LIVE_UPDATE_KIND_CLIENT_UNLINKED);
  update.set_person_id(person);
  *update.mutable_server_time() = ToProto(clock_->Now());
  ChannelOf(coach)->Publish(std::move(update));
}

absl::StatusOr<std::unique_ptr<BoardAttachment>> MemoryCoachBoard::Attach(
    const std::string& coach, const coach::v1::ResumePosition* position,
    LiveSink* sink) {
  std::shared_ptr<CoachChannel> channel = ChannelOf(coach);
  channel->Attach(position, sink);
  return std::make_unique<BoardAttachment>(std::move(channel), sink);
}

absl::StatusOr<std::unique_ptr<BoardAttachment>> MemoryCoachBoard::AttachOwn(
    const std::string& person, const coach::v1::ResumePosition* position,
    LiveSink* sink) {
  std::shared_ptr<CoachChannel> channel;
  {
    // Held while attaching: no batch of this person is applied between the
    // rows seeded here and the attach (see Apply).
    absl::MutexLock persons_lock(&persons_mu_);
    {
      absl::MutexLock lock(&channels_mu_);
      std::shared_ptr<CoachChannel>& slot = own_channels_[person];
      if (slot == nullptr) {
        BoardRows rows;
        auto it = persons_.find(person);
        if (it != persons_.end()) {
          rows.insert(it->second.live.begin(), it->second.live.end());
        }
        slot = std::make_shared<CoachChannel>(RandomId(8), options_.window,
                                              clock_, std::move(rows));
      }
      channel = slot;
    }
    channel->Attach(position, sink);
  }
  return std::make_unique<BoardAttachment>(std::move(channel), sink);
}

absl::StatusOr<PersonLive> MemoryCoachBoard::LiveOf(const std::string& person) {
  return Known(person);
}

PersonLive MemoryCoachBoard::Known(const std::string& person) const {
  PersonLive result;
  absl::MutexLock lock(&persons_mu_);
  auto it = persons_.find(person);
  if (it == persons_.end()) return result;
  for (const auto& [id, row] : it->second.live) result.live.push_back(row);
  result.last_discomfort = it->second.last_discomfort;
  return result;
}

void MemoryCoachBoard::Drain() {
  absl::Notification done;
  worker_->Schedule([&done] { done.Notify(); });
  done.WaitForNotification();
}

}  // namespace coachd
