#include "services/scheduler/scheduler_records.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "coach/internal/scheduler_record.pb.h"

namespace coachd {
namespace {

const char* StateName(ReminderState state) {
  switch (state) {
    case ReminderState::kPlanned:
      return "planned";
    case ReminderState::kSnoozed:
      return "snoozed";
    case ReminderState::kDue:
      return "due";
    case ReminderState::kDone:
      return "done";
    case ReminderState::kCleared:
      return "cleared";
  }
  return "cleared";
}

bool ParseState(absl::string_view name, ReminderState* state) {
  for (ReminderState s :
       {ReminderState::kPlanned, ReminderState::kSnoozed, ReminderState::kDue,
        ReminderState::kDone, ReminderState::kCleared}) {
    if (name == StateName(s)) {
      *state = s;
      return true;
    }
  }
  return false;
}

// Takes the next space-terminated token of `*in`.
bool NextToken(absl::string_view* in, absl::string_view* token) {
  const size_t space = in->find(' ');
  if (space == absl::string_view::npos) return false;
  *token = in->substr(0, space);
  in->remove_prefix(space + 1);
  return true;
}

template <typename Int>
bool NextInt(absl::string_view* in, Int* value) {
  absl::string_view token;
  return NextToken(in, &token) && absl::SimpleAtoi(token, value);
}

}  // namespace

std::string EncodeContent(const ReminderRecord& r) {
  coach::internal::ReminderContent content;
  content.set_sessions_done(r.sessions_done);
  content.set_sessions_target(r.sessions_target);
  content.set_title(r.title);
  content.set_text(r.text);
  content.set_ssml(r.ssml);
  return content.SerializeAsString();
}

bool DecodeReminder(absl::string_view person, absl::string_view id,
                    absl::string_view value, ReminderRecord* r) {
  absl::string_view state;
  int64_t due_us = 0;
  int64_t expires_us = 0;
  coach::internal::ReminderContent content;
  if (!NextToken(&value, &state) || !ParseState(state, &r->state) ||
      !NextInt(&value, &r->day) || !IsCalendarDay(r->day) ||
      !NextInt(&value, &due_us) || !NextInt(&value, &expires_us) ||
      !NextInt(&value, &r->version) || !NextInt(&value, &r->snoozes) ||
      !content.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return false;
  }
  r->sessions_done = content.sessions_done();
  r->sessions_target = content.sessions_target();
  r->title = content.title();
  r->text = content.text();
  r->ssml = content.ssml();
  r->person = std::string(person);
  r->id = std::string(id);
  r->due = absl::FromUnixMicros(due_us);
  r->expires = absl::FromUnixMicros(expires_us);
  return true;
}

std::string EncodeGoal(const GoalRecord& goal) {
  coach::internal::GoalRecord stored;
  *stored.mutable_goal() = goal.goal;
  stored.set_start_day(goal.start_day);
  stored.set_updated_us(absl::ToUnixMicros(goal.updated_at));
  for (const TargetChange& t : goal.targets) {
    coach::internal::TargetChange* change = stored.add_targets();
    change->set_from_day(t.from_day);
    change->set_sessions_per_week(t.sessions_per_week);
  }
  return stored.SerializeAsString();
}

bool DecodeGoal(absl::string_view bytes, GoalRecord* goal) {
  coach::internal::GoalRecord stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !stored.has_goal()) {
    return false;
  }
  if (!IsCalendarDay(stored.start_day())) return false;
  for (const coach::internal::TargetChange& t : stored.targets()) {
    if (!IsCalendarDay(t.from_day())) return false;
  }
  goal->goal = stored.goal();
  goal->start_day = stored.start_day();
  goal->updated_at = absl::FromUnixMicros(stored.updated_us());
  for (const coach::internal::TargetChange& t : stored.targets()) {
    goal->targets.push_back(
        TargetChange{t.from_day(), static_cast<int>(t.sessions_per_week())});
  }
  return true;
}

std::string EncodeCompletion(const CompletionRecord& completion) {
  coach::internal::CompletionRecord stored;
  stored.set_at_us(absl::ToUnixMicros(completion.at));
  stored.set_day(completion.day);
  return stored.SerializeAsString();
}

bool DecodeCompletion(absl::string_view bytes, CompletionRecord* completion) {
  coach::internal::CompletionRecord stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !IsCalendarDay(stored.day())) {
    return false;
  }
  completion->at = absl::FromUnixMicros(stored.at_us());
  completion->day = stored.day();
  return true;
}

}  // namespace coachd
