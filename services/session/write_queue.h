// A FIFO of events waiting to be written to one stream. Unlike std::deque,
// which keeps a 512-byte block (and its map) for every stream even when
// empty, it holds no memory once drained after a burst: idle streams are
// the common case, and there can be tens of thousands of them.
#ifndef SERVICES_SESSION_WRITE_QUEUE_H_
#define SERVICES_SESSION_WRITE_QUEUE_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace coachd {

// Not thread-safe. T must be movable.
template <typename T>
class WriteQueue {
 public:
  // Capacity kept when the queue drains; a larger one is released.
  static constexpr size_t kKeptCapacity = 4;

  bool empty() const { return head_ == items_.size(); }
  // Items it has room for without allocating (for tests).
  size_t capacity() const { return items_.capacity(); }
  size_t size() const { return items_.size() - head_; }

  // The oldest item. The queue must not be empty.
  T& front() { return items_[head_]; }

  void push_back(T item) { items_.push_back(std::move(item)); }

  // Puts `item` before every other.
  void push_front(T item) {
    if (head_ > 0) {
      items_[--head_] = std::move(item);
    } else {
      items_.insert(items_.begin(), std::move(item));
    }
  }

  // Removes and returns the oldest item. The queue must not be empty.
  T pop_front() {
    T item = std::move(items_[head_++]);
    if (head_ == items_.size()) {
      clear();
    } else if (head_ > 32 && head_ * 2 > items_.size()) {
      // Mostly consumed: drop the consumed prefix (amortized O(1)).
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
    return item;
  }

  // Drops every item; releases memory beyond kKeptCapacity.
  void clear() {
    head_ = 0;
    if (items_.capacity() > kKeptCapacity) {
      std::vector<T>().swap(items_);
    } else {
      items_.clear();
    }
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;  // Items before it are consumed.
};

}  // namespace coachd

#endif  // SERVICES_SESSION_WRITE_QUEUE_H_
