// An event once stored: immutable and shared by every reader, and its wire
// form made once and shared by every stream sending it at the time. A
// session with N devices costs one serialization per event, not N; the
// bytes are freed when the last sender lets go, so history does not hold a
// second copy of every event.
//
//   StoredEvent ev = StoredEvent::Make(std::move(event));  // no copy
//   ev->sequence();                       // reads like a const pointer
//   std::shared_ptr<const std::string> bytes = ev.Wire();  // while sending
//   StoredEvent sent = StoredEvent::MakeSerialized(std::move(e), std::move(b));
#ifndef SERVICES_STORE_STORED_EVENT_H_
#define SERVICES_STORE_STORED_EVENT_H_

#include <cstddef>
#include <memory>
#include <string>

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
  // store. Wire() then returns `wire` (kept as long as the event) and never
  // serializes. Pass both with std::move to avoid copies.
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

  // The event serialized (protobuf wire format), shared: callers at the
  // same time get the same bytes, made once by the first. They are kept only
  // while some caller holds them; a call after every holder let go
  // serializes again. Given to MakeSerialized: those bytes, always. Must not
  // be called on a null StoredEvent.
  std::shared_ptr<const std::string> Wire() const;

 private:
  struct Body;
  std::shared_ptr<const Body> body_;
};

}  // namespace coachd

#endif  // SERVICES_STORE_STORED_EVENT_H_
