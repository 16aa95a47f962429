// How the Redis scheduler store writes goals, completions and reminders as
// values, and reads them back. What is read back may be corrupt or from
// another version: every decoder says false rather than trusting it (the
// store answers DATA_LOSS), and is fuzzed (tests/fuzz/stored_record_fuzzer).
//
//   std::string value = EncodeGoal(goal);      // SET goal:{person} value
//   GoalRecord back;
//   if (!DecodeGoal(value, &back)) { /* DATA_LOSS */ }
#ifndef SERVICES_SCHEDULER_SCHEDULER_RECORDS_H_
#define SERVICES_SCHEDULER_SCHEDULER_RECORDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "services/scheduler/scheduler_types.h"

namespace coachd {

// A reminder's content (counts, title, text, SSML) as the scripts carry it
// without reading it: a serialized coach.internal.ReminderContent.
std::string EncodeContent(const ReminderRecord& r);

// The reminder `id` of `person` stored as `value`: "<state> <day> <due_us>
// <expires_us> <version> <snoozes> " (state: planned, snoozed, due, done
// or cleared) and its content (EncodeContent).
// False when `value` is not one, or its day is not a calendar day
// (IsCalendarDay); then `*r` is partly written.
bool DecodeReminder(absl::string_view person, absl::string_view id,
                    absl::string_view value, ReminderRecord* r);

// A goal record as a serialized coach.internal.GoalRecord.
std::string EncodeGoal(const GoalRecord& goal);

// The goal stored as `bytes`; false when they do not parse, hold no goal,
// or hold a start or target day that is not a calendar day (IsCalendarDay).
bool DecodeGoal(absl::string_view bytes, GoalRecord* goal);

// A completion (its time and day; its key is the hash field) as a
// serialized coach.internal.CompletionRecord.
std::string EncodeCompletion(const CompletionRecord& completion);

// The time and day of the completion stored as `bytes`; false when they do
// not parse or the day is not a calendar day. Leaves completion->key as it
// is.
bool DecodeCompletion(absl::string_view bytes, CompletionRecord* completion);

}  // namespace coachd

#endif  // SERVICES_SCHEDULER_SCHEDULER_RECORDS_H_
