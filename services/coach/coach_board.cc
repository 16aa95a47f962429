#include "services/coach/coach_board.h"

#include <utility>

namespace coachd {

BoardAttachment::BoardAttachment(std::shared_ptr<BoardFeed> feed,
                                 LiveSink* sink)
    : feed_(std::move(feed)), sink_(sink) {}

BoardAttachment::~BoardAttachment() { feed_->Detach(sink_); }

SharedUpdate BoardAttachment::Snapshot(bool recovered,
                                       absl::string_view reason) const {
  return feed_->Snapshot(recovered, reason);
}

CommitObserver CoachBoard::Observer() {
  return [this](const coach::internal::SessionRecord& record,
                const std::vector<StoredEvent>& events) {
    OnCommit(record, events);
  };
}

}  // namespace coachd
