// A log of the newest items, oldest first, kept in one vector: appended at
// the back, dropped from the front. Unlike std::deque, which allocates some
// 576 bytes as soon as it exists, it costs nothing while empty and only what
// it holds (growing geometrically) after, which matters for the many small
// logs kept per live session (a store's history, a board's updates, a hub's
// window).
//
//   RecentLog<StoredEvent> log;
//   log.push_back(ev);
//   while (log.size() > max) log.pop_front();
//   for (const StoredEvent& e : log) ...
#ifndef SERVICES_COMMON_RECENT_LOG_H_
#define SERVICES_COMMON_RECENT_LOG_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace coachd {

// Not thread-safe (guard it like the container it replaces). front, back,
// operator[] and pop_front require a non-empty log (i < size()).
template <typename T>
class RecentLog {
 public:
  using const_iterator = typename std::vector<T>::const_iterator;

  size_t size() const { return items_.size() - head_; }
  bool empty() const { return size() == 0; }
  const T& front() const { return items_[head_]; }
  const T& back() const { return items_.back(); }
  const T& operator[](size_t i) const { return items_[head_ + i]; }
  const_iterator begin() const { return items_.begin() + head_; }
  const_iterator end() const { return items_.end(); }

  void push_back(T item) { items_.push_back(std::move(item)); }

  // Drops the oldest item at once (its value is released now); the slots
  // of dropped items are reclaimed when they are at least half the vector,
  // so each item is moved O(1) times on average.
  void pop_front() {
    items_[head_] = T();
    ++head_;
    if (head_ >= kMinReclaim && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  static constexpr size_t kMinReclaim = 16;
  std::vector<T> items_;
  size_t head_ = 0;  // Items before it are dropped.
};

}  // namespace coachd

#endif  // SERVICES_COMMON_RECENT_LOG_H_
