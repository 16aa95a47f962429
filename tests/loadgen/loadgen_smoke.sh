#!/usr/bin/env bash
# CI smoke of loadgen: starts a server (coachd with a fresh secret, or the
# bare baseline) on a free loopback port, runs loadgen for about 3 s with 10
# households at a high time scale, and fails unless it reports 0 gaps,
# 0 duplicates and some events. No timing is asserted. MODE (default
# saturation) is loadgen's --mode; with live, at least 90% of the timed
# events must be live (made after their device subscribed).
#
#   loadgen_smoke.sh coachd   COACHD LOADGEN [MODE]
#   loadgen_smoke.sh baseline BASELINE LOADGEN [MODE]
set -euo pipefail

kind="$1"
server_bin="$2"
loadgen_bin="$3"
mode="${4:-saturation}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
echo >>"$work/secret"
if [[ "$kind" == coachd ]]; then
  "$server_bin" --auth_secret_file="$work/secret" --listen=127.0.0.1:0 \
    --port_file="$work/port" --time_scale=1000 2>"$work/server.log" &
else
  "$server_bin" --listen=127.0.0.1:0 --port_file="$work/port" \
    --event_bytes=480 --session_events=218 2>"$work/server.log" &
fi
server_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
if [[ ! -s "$work/port" ]]; then
  echo "smoke: the $kind server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

"$loadgen_bin" --target="127.0.0.1:$(cat "$work/port")" \
  --secret_file="$work/secret" --label="$kind" --mode="$mode" \
  --households=10 --channels=2 \
  --duration=3s --warmup=500ms --coachd_pid="$server_pid" \
  --json_out="$work/report.json" --check

json="$(cat "$work/report.json")"
field() { grep -o "\"$1\":[^,}]*" <<<"$json" | cut -d: -f2; }
for name in gaps duplicates stream_errors; do
  if [[ "$(field "$name")" != 0 ]]; then
    echo "smoke: $name is $(field "$name"), want 0" >&2
    exit 1
  fi
done
if ! (($(field delivered) > 0)); then
  echo "smoke: no event delivered" >&2
  exit 1
fi
if [[ "$mode" == live ]] &&
  ! (($(field live_latency_samples) * 10 >= $(field latency_samples) * 9 &&
    $(field live_latency_samples) > 0)); then
  echo "smoke: $(field live_latency_samples) of $(field latency_samples)" \
    "timed events live, want at least 90%" >&2
  exit 1
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "smoke: the $kind server died during the run:" >&2
  tail -n 20 "$work/server.log" >&2
  exit 1
fi
echo "smoke: $kind ($mode) delivered $(field delivered) events" \
  "($(field live_latency_samples) of $(field latency_samples) timed live)," \
  "0 gaps, 0 duplicates"
