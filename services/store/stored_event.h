// An event once stored: immutable and shared by every reader, and its wire
// form made once and shared by every stream sending it at the time. A
// session with N devices costs one serialization per event, not N; the
// bytes are freed when the last sender lets go, so history does not hold a
// second copy of every event.
//
//
// An event can also be kept by its wire form alone (FromWire), as a
// history keeps it: a few hundred bytes instead of the message's some
// twenty heap blocks. Its message is parsed only if someone reads it; its
// sequence and whether it ends the session are known without parsing, so
// streams that replay it (Wire()) never do.
//
//   StoredEvent ev = StoredEvent::Make(std::move(event));  // no copy
//   ev->sequence();                       // reads like a const pointer
//   std::shared_ptr<const std::string> bytes = ev.Wire();  // while sending
//   StoredEvent sent = StoredEvent::MakeSerialized(std::move(e), std::move(b));
//   StoredEvent kept = StoredEvent::FromWire(sent.Wire(), 7, false);
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
  // As above, with bytes already shared (e.g. with a FromWire copy kept in
  // a history). `wire` must not be null.
  static StoredEvent MakeSerialized(coach::v1::SessionEvent event,
                                    std::shared_ptr<const std::string> wire);

  // An event known by its wire form only: `wire` (not null) must be a
  // SessionEvent serialized, whose sequence is `sequence` and whose status
  // says the session finished exactly when `finishes`. Wire() returns
  // `wire`; the message is parsed on the first get() and kept from then on
  // (by this event and its copies).
  static StoredEvent FromWire(std::shared_ptr<const std::string> wire,
                              int64_t sequence, bool finishes);

  // The event; null for a null StoredEvent. Parses a FromWire event the
  // first time (thread-safe).
  const coach::v1::SessionEvent* get() const;

  // get()->sequence(), and whether get()->status() says the session
  // finished, without parsing a FromWire event. Not on a null StoredEvent.
  int64_t sequence() const;
  bool finishes() const;
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
  // serializes again. Given to MakeSerialized or FromWire: those bytes,
  // always. Must not be called on a null StoredEvent.
  std::shared_ptr<const std::string> Wire() const;

 private:
  struct Body;
  std::shared_ptr<const Body> body_;
};

}  // namespace coachd

#endif  // SERVICES_STORE_STORED_EVENT_H_
