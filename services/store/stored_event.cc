#include "services/store/stored_event.h"

#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace coachd {

struct StoredEvent::Body {
  explicit Body(coach::v1::SessionEvent e) : event(std::move(e)) {}
  Body(coach::v1::SessionEvent e, std::string w)
      : event(std::move(e)),
        given(std::make_shared<const std::string>(std::move(w))) {}
  const coach::v1::SessionEvent event;
  const std::shared_ptr<const std::string> given;  // From MakeSerialized.
  mutable absl::Mutex mu;
  // The bytes some sender holds now, if any (never keeps them alive).
  mutable std::weak_ptr<const std::string> shared ABSL_GUARDED_BY(mu);
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

std::shared_ptr<const std::string> StoredEvent::Wire() const {
  const Body& body = *body_;
  if (body.given != nullptr) return body.given;
  absl::MutexLock lock(&body.mu);
  std::shared_ptr<const std::string> bytes = body.shared.lock();
  if (bytes == nullptr) {
    bytes = std::make_shared<const std::string>(body.event.SerializeAsString());
    body.shared = bytes;
  }
  return bytes;
}

}  // namespace coachd
