#include "clients/loadgen/event_template.h"

#include <cstring>

#include "absl/time/clock.h"
#include "coach/v1/session.pb.h"

namespace coachd {
namespace {

// Field numbers of SessionEvent (coach/v1/session.proto).
constexpr int kSessionIdField = 1;
constexpr int kSequenceField = 2;
constexpr int kServerTimeField = 4;
constexpr int kTimestampSeconds = 1;
constexpr int kTimestampNanos = 2;

constexpr uint8_t kVarint = 0;
constexpr uint8_t kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(uint64_t v, char* out) {
  while (v >= 0x80) {
    *out++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}

char* PutTag(int field, uint8_t wire_type, char* out) {
  return PutVarint((static_cast<uint64_t>(field) << 3) | wire_type, out);
}

// The timestamp message body for `t`: seconds and nanos as varints.
struct TimestampParts {
  int64_t seconds;
  int32_t nanos;
  size_t body_size;
};

TimestampParts Split(absl::Time t) {
  const int64_t ns = absl::ToUnixNanos(t);
  TimestampParts p{ns / 1000000000, static_cast<int32_t>(ns % 1000000000), 0};
  if (p.seconds != 0) p.body_size += 1 + VarintSize(p.seconds);
  if (p.nanos != 0) p.body_size += 1 + VarintSize(p.nanos);
  return p;
}

// Serialized tail of a representative mid-set event, padded so that a whole
// event (with `head_estimate` bytes of prefix and head) is `target` bytes.
std::string MakeTail(int target, size_t head_estimate, absl::string_view epoch,
                     bool last) {
  coach::v1::SessionEvent ev;
  ev.set_epoch(std::string(epoch));
  coach::v1::StepCue* cue = ev.mutable_step_cue();
  cue->set_text("Squeeze your shoulder blades.");
  cue->set_step_index(1);
  coach::v1::Speech* speech = ev.mutable_speech();
  speech->set_text("Squeeze your shoulder blades.");
  speech->set_ssml("<speak>Squeeze <break time=\"300ms\"/> now.</speak>");
  coach::v1::Card* card = ev.mutable_card();
  card->set_title("Band row");
  card->set_current_step("Squeeze your shoulder blades.");
  card->add_steps("Pull the handles to your ribs.");
  card->add_steps("Squeeze your shoulder blades.");
  card->set_current_step_index(1);
  card->set_set(2);
  card->set_sets(3);
  card->set_rep(4);
  card->set_reps(8);
  card->set_progress_percent(37);
  card->set_accent("work");
  coach::v1::SessionStatus* status = ev.mutable_status();
  status->set_run_state(last ? coach::v1::RUN_STATE_FINISHED
                             : coach::v1::RUN_STATE_RUNNING);
  status->set_step_kind(coach::v1::STEP_KIND_REP);
  status->set_item_index(1);
  status->set_exercise_id("band-row");
  status->set_exercise_name("Band row");
  status->set_set(2);
  status->set_sets(3);
  status->set_rep(4);
  status->set_reps(8);
  status->set_step_index(41);
  status->set_step_count(120);
  // Pad with the card's banner until the whole event has the target size;
  // the banner's length prefix may grow a byte, hence the loop.
  for (int round = 0; round < 4; ++round) {
    const int now = static_cast<int>(ev.ByteSizeLong() + head_estimate);
    if (now == target) break;
    const int banner = static_cast<int>(card->banner().size()) + (target - now);
    if (banner < 0) break;
    card->set_banner(std::string(static_cast<size_t>(banner), 'x'));
  }
  return ev.SerializeAsString();
}

}  // namespace

EventTemplate::EventTemplate(int target_bytes, std::string epoch)
    : epoch_(std::move(epoch)) {
  // A typical prefix and head: a 16-character session id, a sequence in the
  // hundreds, a current time stamp.
  const std::string prefix = Prefix("0123456789abcdef");
  const size_t head = RenderedSize(prefix, 100, absl::Now(), false);
  tail_ = MakeTail(target_bytes, head, epoch_, false);
  last_tail_ = MakeTail(target_bytes, head, epoch_, true);
}

std::string EventTemplate::Prefix(absl::string_view session_id) const {
  std::string out(1 + VarintSize(session_id.size()) + session_id.size(), '\0');
  char* p = PutTag(kSessionIdField, kLengthDelimited, &out[0]);
  p = PutVarint(session_id.size(), p);
  std::memcpy(p, session_id.data(), session_id.size());
  return out;
}

size_t EventTemplate::RenderedSize(absl::string_view prefix, int64_t sequence,
                                   absl::Time server_time, bool last) const {
  const TimestampParts t = Split(server_time);
  return prefix.size() + 1 + VarintSize(static_cast<uint64_t>(sequence)) + 1 +
         VarintSize(t.body_size) + t.body_size +
         (last ? last_tail_.size() : tail_.size());
}

size_t EventTemplate::RenderInto(absl::string_view prefix, int64_t sequence,
                                 absl::Time server_time, bool last,
                                 char* out) const {
  char* p = out;
  std::memcpy(p, prefix.data(), prefix.size());
  p += prefix.size();
  p = PutTag(kSequenceField, kVarint, p);
  p = PutVarint(static_cast<uint64_t>(sequence), p);
  const TimestampParts t = Split(server_time);
  p = PutTag(kServerTimeField, kLengthDelimited, p);
  p = PutVarint(t.body_size, p);
  if (t.seconds != 0) {
    p = PutTag(kTimestampSeconds, kVarint, p);
    p = PutVarint(static_cast<uint64_t>(t.seconds), p);
  }
  if (t.nanos != 0) {
    p = PutTag(kTimestampNanos, kVarint, p);
    p = PutVarint(static_cast<uint64_t>(t.nanos), p);
  }
  const std::string& tail = last ? last_tail_ : tail_;
  std::memcpy(p, tail.data(), tail.size());
  p += tail.size();
  return static_cast<size_t>(p - out);
}

std::string EventTemplate::Render(absl::string_view prefix, int64_t sequence,
                                  absl::Time server_time, bool last) const {
  std::string out(RenderedSize(prefix, sequence, server_time, last), '\0');
  out.resize(RenderInto(prefix, sequence, server_time, last, &out[0]));
  return out;
}

}  // namespace coachd
