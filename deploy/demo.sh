#!/usr/bin/env bash
# The main job, end to end: builds coachd and its clients, starts coachd with
# the embedded store at a demo time scale, starts a short guided session
# (the catalogue's "demo" preset), and plays it with a speaker client and a
# display client side by side until the workout is done (about a minute).
#
#   deploy/demo.sh                 # TIME_SCALE=10 by default
#   TIME_SCALE=20 deploy/demo.sh   # faster
#   SPEAK=1 deploy/demo.sh         # also speak through espeak-ng
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
export BUILD_DIR="$build_dir"
"$root/deploy/setup.sh" coachd coachctl voice display

work="$(mktemp -d)"
coachd_pid=""
cleanup() {
  if [[ -n "$coachd_pid" ]] && kill -0 "$coachd_pid" 2>/dev/null; then
    kill -TERM "$coachd_pid" 2>/dev/null || true
    wait "$coachd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh secret for this run; tokens are minted from it locally.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
echo >>"$work/secret"

bin="$build_dir"
"$bin/services/server/coachd" --auth_secret_file="$work/secret" \
  --listen=127.0.0.1:0 --port_file="$work/port" \
  --time_scale="${TIME_SCALE:-10}" 2>"$work/coachd.log" &
coachd_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
if [[ ! -s "$work/port" ]]; then
  echo "demo: coachd did not start:" >&2
  cat "$work/coachd.log" >&2
  exit 1
fi
target="127.0.0.1:$(cat "$work/port")"
auth=(--target="$target" --secret_file="$work/secret" --sub=alice)

echo "== coachd is serving on $target (embedded store, time scale ${TIME_SCALE:-10}x)"
echo "== alice's routine (the 'demo' preset is built the same way):"
"$bin/clients/coachctl/coachctl" routine "${auth[@]}" --focus=balanced \
  --equipment=band --minutes=11 --level=beginner
session="$("$bin/clients/coachctl/coachctl" start "${auth[@]}" --preset=demo)"
echo "== session $session started; speaker and display follow it:"
echo

speak=()
[[ "${SPEAK:-0}" == 1 ]] && speak=(--speak)
"$bin/clients/voice/voice" "${auth[@]}" --role=device --session="$session" \
  --from_start --commands=false "${speak[@]}" &
voice_pid=$!
"$bin/clients/display/display" "${auth[@]}" --role=device --session="$session" \
  --from_start --plain &
display_pid=$!
wait "$voice_pid"
wait "$display_pid"

echo
echo "== the session as coachd keeps it:"
"$bin/clients/coachctl/coachctl" get "${auth[@]}" "$session" |
  grep -E 'percent_done|completed|duration_ms|run_state' || true
echo "== coachd log (one line per RPC):"
tail -n 6 "$work/coachd.log"
