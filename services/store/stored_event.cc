#include "services/store/stored_event.h"

#include <string>
#include <utility>

#include "absl/base/call_once.h"

namespace coachd {

struct StoredEvent::Body {
  explicit Body(coach::v1::SessionEvent e) : event(std::move(e)) {}
  // Already serialized: the once flag is spent here, so Wire() keeps `w`.
  Body(coach::v1::SessionEvent e, std::string w)
      : event(std::move(e)), wire(std::move(w)) {
    absl::call_once(serialized_once, [] {});
  }
  const coach::v1::SessionEvent event;
  mutable absl::once_flag serialized_once;
  mutable std::string wire;  // Given, or written once under serialized_once.
};

StoredEvent StoredEvent::Make(coach::v1::SessionEvent event) {
  StoredEvent stored;
  stored.body_ = std::make_shared<const Body>(std::move(event));
  return stored;
}

StoredEvent StoredEvent::MakeSerialized(coach::v1::SessionEvent event,
                                        std::string wire) {
  StoredEvent stored;
  stored.body_ =
      std::make_shared<const Body>(std::move(event), std::move(wire));
  return stored;
}

const coach::v1::SessionEvent* StoredEvent::get() const {
  return body_ == nullptr ? nullptr : &body_->event;
}

absl::string_view StoredEvent::Wire() const {
  const Body& body = *body_;
  absl::call_once(body.serialized_once,
                  [&body] { body.event.SerializeToString(&body.wire); });
  return body.wire;
}

}  // namespace coachd
