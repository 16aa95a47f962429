// Records read back from Redis, through the code that reads them: whoever
// can write to Redis is trusted (docs/SECURITY.md), but a corrupt or
// foreign value must not crash a replica. Byte 0 picks the kind, the rest
// is the value as Redis would hand it over:
//   0  a SessionRecord (proto/coach/internal/session_record.proto), then
//      what SessionRunner does with a loaded one: an engine for its
//      routine and time scale, the engine's check of the record, its
//      status, its next deadline, a tick, each command, a coach cue;
//   1  a session's event stream: a RESP reply (hiredis's reader makes the
//      redisReply, as on the wire) through ParseStreamEntries;
//   2  a commit notification through ParseCommitNotification;
//   3  a scheduler goal, 4 a reminder ("<state> <day> ... <content>"),
//      5 a completion, each through its decoder
//      (services/scheduler/scheduler_records.h) and what the scheduler
//      computes from it;
//   6  the other stored protos (pairing, device, refresh token, coach
//      board rows and updates), parsed.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coach/internal/pairing_record.pb.h"
#include "coach/internal/session_record.pb.h"
#include "coach/v1/coach.pb.h"
#include "services/catalog/catalog.h"
#include "services/scheduler/goal_rules.h"
#include "services/scheduler/scheduler_records.h"
#include "services/session/session_engine.h"
#include "services/store/redis_followers.h"
#include "tests/fuzz/quiet_protobuf.h"

namespace coachd {
namespace {

const Catalog& TheCatalog() {
  static const Catalog* catalog = [] {
    absl::StatusOr<Catalog> loaded =
        Catalog::LoadFromFile(std::string(COACHD_SOURCE_DIR) +
                              "/services/catalog/back_catalog.textproto");
    if (!loaded.ok()) abort();
    return new Catalog(*std::move(loaded));
  }();
  return *catalog;
}

void SessionRecordRead(absl::string_view bytes) {
  coach::internal::SessionRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return;
  }
  absl::StatusOr<std::unique_ptr<SessionEngine>> engine = SessionEngine::Create(
      &TheCatalog(), record.routine(), record.time_scale());
  if (!engine.ok()) return;
  // As SessionRunner::EngineFor: a record that fails the check is refused
  // (DATA_LOSS) and never played.
  if (!(*engine)->CheckRecord(record).ok()) return;
  (*engine)->Status(record);
  const absl::Time now = absl::FromUnixMicros(record.engine().deadline_us());
  SessionEngine::NextDeadline(record);
  {
    coach::internal::SessionRecord copy = record;
    (*engine)->Tick(now, &copy);
  }
  for (int type = 1; coach::v1::CommandType_IsValid(type); ++type) {
    coach::internal::SessionRecord copy = record;
    EngineCommand command;
    command.type = static_cast<coach::v1::CommandType>(type);
    command.note = "fuzz";
    (*engine)->Apply(command, now, &copy).IgnoreError();
  }
  coach::internal::SessionRecord copy = record;
  (*engine)->CoachCue("carol", "slower", now, &copy);
}

// Whether `bytes` holds an array header ("*N") longer than `bytes` itself:
// a reply that can never complete. hiredis 0.14 allocates an array's N
// element pointers as soon as it reads the header, whatever N (its later
// versions bound it, maxelements), so such input only measures malloc. The
// framing comes from coachd's own Redis, which is trusted; what is fuzzed
// is what the replies hold. Counts every '*' followed by digits, so some
// inputs are skipped that need not be.
bool DeclaresImpossibleArray(absl::string_view bytes) {
  for (size_t i = bytes.find('*'); i != absl::string_view::npos;
       i = bytes.find('*', i + 1)) {
    uint64_t count = 0;
    for (size_t j = i + 1; j < bytes.size() && bytes[j] >= '0' &&
                           bytes[j] <= '9' && count <= bytes.size();
         ++j) {
      count = count * 10 + static_cast<uint64_t>(bytes[j] - '0');
    }
    if (count > bytes.size()) return true;
  }
  return false;
}

void StreamEntriesRead(absl::string_view bytes) {
  if (bytes.empty()) return;
  if (DeclaresImpossibleArray(bytes)) return;
  const int64_t after = static_cast<unsigned char>(bytes[0]);
  bytes.remove_prefix(1);
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, bytes.data(), bytes.size());
  void* reply = nullptr;
  if (redisReaderGetReply(reader, &reply) == REDIS_OK && reply != nullptr) {
    std::vector<StoredEvent> events;
    ParseStreamEntries(*static_cast<redisReply*>(reply), "fuzz", after,
                       &events);
    for (const StoredEvent& e : events) e->sequence();
    freeReplyObject(reply);
  }
  redisReaderFree(reader);
}

void SchedulerRecordRead(int kind, absl::string_view bytes) {
  if (kind == 3) {
    GoalRecord goal;
    if (!DecodeGoal(bytes, &goal)) return;
    absl::StatusOr<WeekCalendar> calendar = CalendarOf(goal.goal);
    if (!calendar.ok()) return;
    for (DayNumber day :
         {goal.start_day, goal.start_day + 6, DayNumber{20454}}) {
      TargetForWeek(goal, day);
      IsPaused(goal.goal, day);
    }
  } else if (kind == 4) {
    ReminderRecord reminder;
    if (DecodeReminder("alice", "2026-01-05", bytes, &reminder)) {
      DateOf(reminder.day);
    }
  } else {
    CompletionRecord completion;
    if (DecodeCompletion(bytes, &completion)) DateOf(completion.day);
  }
}

void OtherRecordsRead(absl::string_view bytes) {
  const int size = static_cast<int>(bytes.size());
  coach::internal::PairingRecord pairing;
  pairing.ParseFromArray(bytes.data(), size);
  coach::internal::DeviceRecord device;
  device.ParseFromArray(bytes.data(), size);
  coach::internal::RefreshRecord refresh;
  refresh.ParseFromArray(bytes.data(), size);
  coach::v1::LiveSession row;
  row.ParseFromArray(bytes.data(), size);
  coach::v1::LiveUpdate update;
  update.ParseFromArray(bytes.data(), size);
}

}  // namespace
}  // namespace coachd

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  switch (data[0] % 7) {
    case 0:
      coachd::SessionRecordRead(bytes);
      break;
    case 1:
      coachd::StreamEntriesRead(bytes);
      break;
    case 2: {
      int64_t sequence = 0;
      std::string session_id;
      coachd::ParseCommitNotification(bytes, &sequence, &session_id);
      break;
    }
    case 3:
    case 4:
    case 5:
      coachd::SchedulerRecordRead(data[0] % 7, bytes);
      break;
    default:
      coachd::OtherRecordsRead(bytes);
      break;
  }
  return 0;
}
