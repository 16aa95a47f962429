#include "services/store/stored_event.h"

#include <atomic>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "services/common/check.h"

namespace coachd {

struct StoredEvent::Body {
  explicit Body(coach::v1::SessionEvent e)
      : owned(std::make_unique<const coach::v1::SessionEvent>(std::move(e))),
        sequence(owned->sequence()),
        finishes(owned->status().run_state() == coach::v1::RUN_STATE_FINISHED),
        event(owned.get()) {}
  Body(coach::v1::SessionEvent e, std::shared_ptr<const std::string> w)
      : Body(std::move(e)) {
    given = std::move(w);
  }
  Body(std::shared_ptr<const std::string> w, int64_t seq, bool fin)
      : sequence(seq), finishes(fin), given(std::move(w)) {}

  // The message: made with the body, or parsed from `given` on first use
  // (under `mu`; `event` is set once it is whole, and never changes after).
  mutable std::unique_ptr<const coach::v1::SessionEvent> owned
      ABSL_GUARDED_BY(mu);
  const int64_t sequence;
  const bool finishes;
  mutable std::atomic<const coach::v1::SessionEvent*> event{nullptr};
  std::shared_ptr<const std::string> given;  // MakeSerialized, FromWire.
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
  return MakeSerialized(std::move(event),
                        std::make_shared<const std::string>(std::move(wire)));
}

StoredEvent StoredEvent::MakeSerialized(
    coach::v1::SessionEvent event, std::shared_ptr<const std::string> wire) {
  COACHD_DCHECK(wire != nullptr, "MakeSerialized without bytes");
  StoredEvent stored;
  stored.body_ =
      std::make_shared<const Body>(std::move(event), std::move(wire));
  return stored;
}

StoredEvent StoredEvent::FromWire(std::shared_ptr<const std::string> wire,
                                  int64_t sequence, bool finishes) {
  COACHD_DCHECK(wire != nullptr, "FromWire without bytes");
  StoredEvent stored;
  stored.body_ =
      std::make_shared<const Body>(std::move(wire), sequence, finishes);
  return stored;
}

const coach::v1::SessionEvent* StoredEvent::get() const {
  if (body_ == nullptr) return nullptr;
  const Body& body = *body_;
  const coach::v1::SessionEvent* event =
      body.event.load(std::memory_order_acquire);
  if (event != nullptr) return event;
  absl::MutexLock lock(&body.mu);
  if (body.owned == nullptr) {
    auto parsed = std::make_unique<coach::v1::SessionEvent>();
    const bool ok = parsed->ParseFromArray(
        body.given->data(), static_cast<int>(body.given->size()));
    COACHD_DCHECK(ok, "a stored event's own bytes do not parse");
    body.owned = std::move(parsed);
    body.event.store(body.owned.get(), std::memory_order_release);
  }
  return body.owned.get();
}

int64_t StoredEvent::sequence() const { return body_->sequence; }

bool StoredEvent::finishes() const { return body_->finishes; }

std::shared_ptr<const std::string> StoredEvent::Wire() const {
  const Body& body = *body_;
  if (body.given != nullptr) return body.given;
  absl::MutexLock lock(&body.mu);
  std::shared_ptr<const std::string> bytes = body.shared.lock();
  if (bytes == nullptr) {
    bytes = std::make_shared<const std::string>(
        body.event.load(std::memory_order_acquire)->SerializeAsString());
    body.shared = bytes;
  }
  return bytes;
}

}  // namespace coachd
