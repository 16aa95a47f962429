#include "services/store/recent_events.h"

#include <algorithm>

namespace coachd {

void RecentEvents::Add(const std::string& session_id, const std::string& epoch,
                       const std::vector<StoredEvent>& events,
                       absl::Time final_until) {
  if (events.empty() || options_.max_sessions <= 0 ||
      options_.max_events <= 0) {
    return;
  }
  // What is evicted or replaced is freed after the lock, not under it.
  std::deque<StoredEvent> dropped;
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    if (static_cast<int>(sessions_.size()) >= options_.max_sessions) {
      auto oldest = std::min_element(
          sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
            return a.second.last_write < b.second.last_write;
          });
      dropped = std::move(oldest->second.events);
      sessions_.erase(oldest);
    }
    it = sessions_.emplace(session_id, Entry()).first;
  }
  Entry& entry = it->second;
  const bool follows =
      entry.epoch == epoch && !entry.events.empty() &&
      entry.events.back()->sequence() + 1 == events.front()->sequence();
  if (!follows) {
    entry.epoch = epoch;
    for (StoredEvent& ev : entry.events) dropped.push_back(std::move(ev));
    entry.events.clear();
  }
  for (const StoredEvent& ev : events) entry.events.push_back(ev);
  while (static_cast<int>(entry.events.size()) > options_.max_events) {
    dropped.push_back(std::move(entry.events.front()));
    entry.events.pop_front();
  }
  entry.last_write = ++writes_;
  entry.final_until = final_until;
}

std::vector<StoredEvent> RecentEvents::After(absl::string_view session_id,
                                             absl::string_view epoch,
                                             int64_t after_sequence,
                                             int max_events) {
  std::vector<StoredEvent> out;
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.epoch != epoch ||
      it->second.events.empty()) {
    return out;
  }
  const std::deque<StoredEvent>& kept = it->second.events;
  const int64_t first = kept.front()->sequence();
  if (after_sequence + 1 < first || after_sequence >= kept.back()->sequence()) {
    return out;
  }
  for (size_t i = static_cast<size_t>(after_sequence + 1 - first);
       i < kept.size() && static_cast<int>(out.size()) < max_events; ++i) {
    out.push_back(kept[i]);
  }
  return out;
}

int64_t RecentEvents::FinalSequence(absl::string_view session_id,
                                    absl::string_view epoch,
                                    absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.epoch != epoch ||
      it->second.events.empty() || now >= it->second.final_until) {
    return -1;
  }
  return it->second.events.back()->sequence();
}

int RecentEvents::SessionCountForTest() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(sessions_.size());
}

}  // namespace coachd
