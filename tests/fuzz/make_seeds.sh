#!/usr/bin/env bash
# Writes the binary seeds of rpc_fuzzer and stored_record_fuzzer into
# tests/fuzz/corpus/ from the readable requests and records below (protoc
# --encode). Run it after changing them; the seeds are checked in.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
proto="$root/proto"
files=(coach/v1/auth.proto coach/v1/catalog.proto coach/v1/coach.proto
  coach/v1/scheduler.proto coach/v1/session.proto
  coach/internal/session_record.proto coach/internal/scheduler_record.proto)

# seed DIR NAME PREFIX_BYTES(octal escapes) TYPE TEXT
seed() {
  local dir="$root/tests/fuzz/corpus/$1" name="$2" prefix="$3" type="$4"
  mkdir -p "$dir"
  { printf "$prefix"
    protoc -I"$proto" -I/usr/include --encode="$type" "${files[@]}" <<<"$5"
  } >"$dir/$name"
}

# rpc_fuzzer: byte 0 the method (kMethods), byte 1 the caller (0 alice,
# 1 her device, 2 bob, 3 coach carol, 4 no token) plus 8 x seconds to
# advance the clock; "@" is the newest session or reminder.
r=rpc_fuzzer
seed $r list_exercises '\000\000' coach.v1.ListExercisesRequest ''
seed $r get_exercise '\001\000' coach.v1.GetExerciseRequest 'id: "band-row"'
seed $r build_routine '\002\000' coach.v1.BuildRoutineRequest \
  'focus: FOCUS_UPPER equipment: EQUIPMENT_RESISTANCE_BAND minutes: 15 level: LEVEL_BEGINNER'
seed $r start_preset '\003\001' coach.v1.StartSessionRequest 'routine_id: "demo"'
seed $r start_built '\003\000' coach.v1.StartSessionRequest \
  'build { focus: FOCUS_MOBILITY minutes: 10 }'
seed $r get_session '\004\003' coach.v1.GetSessionRequest 'session_id: "@"'
seed $r subscribe_resume '\005\001' coach.v1.SubscribeRequest \
  'session_id: "@" kind: DEVICE_KIND_DISPLAY resume { epoch: "e" last_sequence: 3 }'
seed $r subscribe_coach '\005\003' coach.v1.SubscribeRequest \
  'session_id: "@" kind: DEVICE_KIND_COACH'
seed $r pause '\006\120' coach.v1.SendCommandRequest \
  'session_id: "@" command_id: "c1" command: COMMAND_TYPE_PAUSE from_kind: DEVICE_KIND_VOICE'
seed $r hurts '\006\001' coach.v1.SendCommandRequest \
  'session_id: "@" command_id: "c2" command: COMMAND_TYPE_REPORT_DISCOMFORT note: "lower back"'
seed $r mobility '\006\000' coach.v1.SendCommandRequest \
  'session_id: "@" command_id: "c3" command: COMMAND_TYPE_SWITCH_TO_MOBILITY'
seed $r link_coach '\007\000' coach.v1.LinkCoachRequest 'code: "KQ7-4PMX"'
seed $r unlink_coach '\007\000' coach.v1.LinkCoachRequest 'coach_id: "carol" unlink: true'
seed $r list_clients '\010\003' coach.v1.ListClientsRequest ''
seed $r watch_live '\011\003' coach.v1.WatchLiveRequest ''
seed $r watch_mine '\012\001' coach.v1.WatchMySessionsRequest ''
seed $r send_cue '\013\003' coach.v1.SendCueRequest 'session_id: "@" text: "slower, breathe out"'
seed $r summary '\014\003' coach.v1.GetSessionSummaryRequest 'session_id: "@"'
seed $r set_goal '\015\000' coach.v1.SetGoalRequest \
  'goal { sessions_per_week: 3 preferred_days: WEEKDAY_MONDAY preferred_days: WEEKDAY_THURSDAY reminder_time { hours: 7 minutes: 30 } time_zone: "Europe/Berlin" }'
seed $r progress '\016\001' coach.v1.GetProgressRequest ''
seed $r log_workout '\017\000' coach.v1.LogWorkoutRequest \
  'log_id: "w1" completed_at { seconds: 1767596000 }'
seed $r watch_reminders '\020\371' coach.v1.WatchRemindersRequest 'kind: DEVICE_KIND_DISPLAY'
seed $r ack_reminder '\021\000' coach.v1.AckReminderRequest \
  'reminder_id: "@" action: ACK_ACTION_SNOOZE snooze_minutes: 10'
seed $r start_pairing '\022\004' coach.v1.StartPairingRequest 'suggested_name: "kitchen speaker"'
seed $r poll_pairing '\023\004' coach.v1.PollPairingRequest 'device_code: "KQ74PMX.00ff"'
seed $r approve '\024\000' coach.v1.ApprovePairingRequest \
  'user_code: "KQ7-4PMX" name: "kitchen speaker" kind: PAIRED_KIND_SPEAKER'
seed $r deny '\025\000' coach.v1.DenyPairingRequest 'user_code: "KQ7-4PMX"'
seed $r refresh '\026\004' coach.v1.RefreshTokenRequest 'refresh_token: "r1.abc"'
seed $r list_devices '\027\000' coach.v1.ListDevicesRequest ''
seed $r revoke '\030\000' coach.v1.RevokeDeviceRequest 'device_id: "d1"'
seed $r create_link_code '\031\003' coach.v1.CreateLinkCodeRequest ''
seed $r unlink_client '\032\003' coach.v1.UnlinkClientRequest 'person_id: "alice"'

# stored_record_fuzzer: byte 0 the kind (0 session record, 1 event stream
# as RESP, 2 commit notification, 3 goal, 4 reminder, 5 completion).
s=stored_record_fuzzer
seed $s session_record '\000' coach.internal.SessionRecord \
  'session_id: "s1" owner: "alice" epoch: "e1" last_sequence: 4
   routine { items { exercise_id: "warmup" prescription { duration_seconds: 60 } } items { exercise_id: "band-row" prescription { sets: 2 reps: 8 tempo_seconds: 3 rest_seconds: 30 } } }
   time_scale: 1 created_us: 1767596400000000
   engine { run_state: RUN_STATE_RUNNING step_index: 2 deadline_us: 1767596430000000 tallied_through: 1
            started_us: 1767596400000000 routine_version: 1
            summary { items { exercise_id: "warmup" }
                      items { exercise_id: "band-row" sets_prescribed: 2 reps_prescribed: 16 } } }'
seed $s goal '\003' coach.internal.GoalRecord \
  'goal { sessions_per_week: 3 time_zone: "Europe/Berlin" } start_day: 20454
   updated_us: 1767596400000000 targets { from_day: 20454 sessions_per_week: 3 }'
seed $s completion '\005' coach.internal.CompletionRecord 'at_us: 1767596400000000 day: 20454'
d="$root/tests/fuzz/corpus/$s"
printf '\001\000*1\r\n*2\r\n$3\r\n4-0\r\n*2\r\n$1\r\ne\r\n$0\r\n\r\n' >"$d/stream_one_event"
printf '\0024 s1' >"$d/commit_notification"
{ printf '\004due 20454 1767596400000000 1767600000000000 2 0 '
  protoc -I"$proto" --encode=coach.internal.ReminderContent "${files[@]}" \
    <<<'sessions_done: 1 sessions_target: 3 title: "Back workout" text: "Time for your back workout"'
} >"$d/reminder"
