// An event once stored: immutable and shared by every reader, and its wire
// form made once and shared by every stream that sends it. A session with N
// devices costs one serialization per event, not N.
//
//   StoredEvent ev = StoredEvent::Make(std::move(event));  // no copy
//   ev->sequence();                      // reads like a const pointer
//   absl::string_view bytes = ev.Wire();  // serialized on first use
//   StoredEvent sent = StoredEvent::MakeSerialized(std::move(e), std::move(b));
#ifndef SERVICES_STORE_STORED_EVENT_H_
#define SERVICES_STORE_STORED_EVENT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// A shared, immutable SessionEvent; null when default-constructed. Copies
// share one event. Thread-safe: any number of threads may read, copy and
// call Wire() on the same event at once.
class StoredEvent {
 public:
  StoredEvent() = default;
  StoredEvent(std::nullptr_t) {}  // NOLINT(runtime/explicit): like a pointer.

  // Stores `event`; pass it with std::move to avoid a copy.
  static StoredEvent Make(coach::v1::SessionEvent event);

  // Stores `event` with its wire form already made: `wire` must be `event`
  // serialized (as Wire() would make it), e.g. the bytes just sent to the
  // store. Wire() then returns `wire` and never serializes. Pass both with
  // std::move to avoid copies.
  static StoredEvent MakeSerialized(coach::v1::SessionEvent event,
                                    std::string wire);

  // The event; null for a null StoredEvent.
  const coach::v1::SessionEvent* get() const;
  const coach::v1::SessionEvent* operator->() const { return get(); }
  const coach::v1::SessionEvent& operator*() const { return *get(); }
  explicit operator bool() const { return body_ != nullptr; }
  friend bool operator==(const StoredEvent& a, std::nullptr_t) {
    return a.body_ == nullptr;
  }
  friend bool operator!=(const StoredEvent& a, std::nullptr_t) {
    return a.body_ != nullptr;
  }

  // The event serialized (protobuf wire format). Made by the first caller
  // (or given to MakeSerialized) and kept; the bytes live as long as any copy
  // of this StoredEvent. Must not be called on a null StoredEvent.
  absl::string_view Wire() const;

 private:
  struct Body;
  std::shared_ptr<const Body> body_;
};

}  // namespace coachd

#endif  // SERVICES_STORE_STORED_EVENT_H_
