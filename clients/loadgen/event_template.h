// The baseline's coaching events, serialized once: a SessionEvent whose
// bytes are a per-stream prefix (session id), a small head written per
// event (sequence, server time) and a tail shared by every event (epoch, a
// step cue, speech, card, status) padded to a chosen size. Protobuf fields
// may come in any order, so prefix + head + tail parses as one SessionEvent.
//
//   EventTemplate t(/*target_bytes=*/900, "epoch-1");
//   std::string prefix = t.Prefix("session-1");
//   std::string bytes = t.Render(prefix, 7, absl::Now(), /*last=*/false);
#ifndef CLIENTS_LOADGEN_EVENT_TEMPLATE_H_
#define CLIENTS_LOADGEN_EVENT_TEMPLATE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace coachd {

// Immutable after construction; thread-safe.
class EventTemplate {
 public:
  // Events of about `target_bytes` serialized (never less than the template
  // without padding, about 350 bytes), in history `epoch`.
  EventTemplate(int target_bytes, std::string epoch);

  // The bytes every event of one stream starts with.
  std::string Prefix(absl::string_view session_id) const;

  // The full event: `prefix`, then sequence and server time, then the
  // shared tail; the last event of a session has run state FINISHED.
  std::string Render(absl::string_view prefix, int64_t sequence,
                     absl::Time server_time, bool last) const;

  // Writes the same bytes into `out`, which must hold RenderedSize(...)
  // bytes; returns the number written. For writing into a gRPC slice.
  size_t RenderInto(absl::string_view prefix, int64_t sequence,
                    absl::Time server_time, bool last, char* out) const;
  size_t RenderedSize(absl::string_view prefix, int64_t sequence,
                      absl::Time server_time, bool last) const;

  const std::string& epoch() const { return epoch_; }

 private:
  std::string epoch_;
  std::string tail_;       // Everything shared, run state RUNNING.
  std::string last_tail_;  // The same with run state FINISHED.
};

}  // namespace coachd

#endif  // CLIENTS_LOADGEN_EVENT_TEMPLATE_H_
