#!/usr/bin/env bash
# Many open wall displays on one web gateway: starts coachd (embedded store,
# sessions 10x faster) and web_gateway on free loopback ports, then web_bench
# holds DISPLAYS open event streams over SESSIONS live sessions for
# DURATION and prints displays held, the gateway's memory per open display
# and the event latency from coachd to the display's connection.
#
#   deploy/bench/web_displays.sh                 # 2000 displays, 20 s
#   DISPLAYS=500 DURATION=15s deploy/bench/web_displays.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
displays="${DISPLAYS:-2000}"
sessions="${SESSIONS:-8}"
duration="${DURATION:-20s}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
head -c 32 /dev/urandom | base64 > "$work/secret"

wait_port() {
  for _ in $(seq 1 300); do
    [[ -s "$1" ]] && { cat "$1"; return 0; }
    sleep 0.1
  done
  echo "no port in $1" >&2
  return 1
}

# One browser session holds every display: one person, so no per-person
# limits (streams, live sessions, sessions started).
"$build/services/server/coachd" --listen=127.0.0.1:0 --time_scale=10 \
  --auth_secret_file="$work/secret" --port_file="$work/coachd.port" \
  --max_streams_per_person=0 --max_live_sessions_per_person=0 \
  --max_sessions_started_per_hour=0 \
  2>"$work/coachd.log" &
pids+=($!)
coachd_port="$(wait_port "$work/coachd.port")"
"$build/clients/web/web_gateway" --listen=127.0.0.1:0 \
  --coachd="127.0.0.1:$coachd_port" --port_file="$work/gateway.port" \
  2>"$work/gateway.log" &
gateway_pid=$!
pids+=($gateway_pid)
gateway_port="$(wait_port "$work/gateway.port")"
"$build/clients/web/web_bench" --gateway="127.0.0.1:$gateway_port" \
  --coachd="127.0.0.1:$coachd_port" --secret_file="$work/secret" \
  --gateway_pid="$gateway_pid" --displays="$displays" \
  --sessions="$sessions" --duration="$duration"
