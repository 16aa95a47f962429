#!/usr/bin/env bash
# The short version of deploy/chaos.sh in the test command: the whole stack
# on free loopback ports in a temporary directory, 20 households through
# nginx (loadgen --mode=chaos --check), every fault once under the load (a
# replica killed, nginx restarted, a rolling restart, the Redis primary
# killed and failed over, Redis paused past the lease). Passes when
# chaos.sh does (every fault recovered, each replica stopped by SIGTERM
# exited 0 within its grace, the load's end-of-run checks, a display
# client through the nginx restart saw its session end, no broken
# invariant), the report names every fault and the load's p99 in each
# fault's window and in the quiet rest, and no process of the stack is
# left. The report goes to the test's output either way.
#
#   chaos_test.sh            (BUILD_DIR: the build with the binaries)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$root/build}"
test_name=chaos_test
# shellcheck source=tests/common/stack_testing.sh
source "$root/tests/common/stack_testing.sh"
require_stack_binaries clients/loadgen/loadgen clients/display/display

COACHD_STACK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/chaostest-XXXXXX")"
export COACHD_STACK_DIR
COACHD_STACK_PORT="$(free_port_range 16)"
export COACHD_STACK_PORT
state="$COACHD_STACK_DIR"
# Every pid the stack ever recorded (chaos restarts parts: new pids).
pids_seen="$(mktemp)"
watch_pids() {
  while :; do
    cat "$state"/run/*.pid >>"$pids_seen" 2>/dev/null || true
    sleep 0.5
  done
}
left_running() {
  # shellcheck disable=SC2046  # One pid a word.
  stack_leftovers "$state" $(sort -u "$pids_seen")
}
watcher=""
cleanup() {
  local pid left
  if [[ -n "$watcher" ]]; then kill "$watcher" 2>/dev/null || true; fi
  "$root/deploy/stack.sh" down >/dev/null 2>&1 || true
  left="$(left_running)"
  if [[ -n "$left" ]]; then
    echo "chaos_test: left running, killed: $left" >&2
    for pid in $(awk '{ print $1 }' <<<"$left"); do kill -KILL "$pid" || true; done
  fi
  rm -rf "$state" "$pids_seen"
}
trap cleanup EXIT
watch_pids &
watcher=$!

rc=0
"$root/deploy/chaos.sh" --households=20 --channels=4 --dwell=1 \
  --time_scale=60 --load_seconds=60 || rc=$?
report="$state/chaos-report.txt"
[[ -s "$report" ]] || fail "chaos.sh wrote no report (exit $rc)"
if ((rc != 0)); then
  cat "$report" >&2
  tail -n 20 "$state"/logs/*.log >&2 || true
  fail "chaos.sh exited $rc"
fi
# Each fault ran.
for line in "kill -9 coachd-2, started again: whole stack healthy" \
  "rolling: coachd-1 stopped" "rolling: coachd-2 stopped" \
  "rolling: coachd-3 stopped" \
  "rolling: coachd-3 started again: whole stack healthy" \
  "failover: every Sentinel names" "failover: the three replicas SERVING" \
  "nginx restarted (SIGTERM, start again): whole stack healthy" \
  "nginx restart: a display client through it saw its session to the end" \
  "Redis paused: whole stack healthy" \
  "p99 in kill -9 coachd-2 (" "p99 in nginx restart (" \
  "p99 in rolling restart (" "p99 in kill -9 Redis primary (" \
  "p99 in Redis paused (" "p99 in the quiet rest: "; do
  grep -qF "$line" "$report" || fail "the report has no \"$line\""
done
kill "$watcher" 2>/dev/null
watcher=""
cat "$state"/run/*.pid >>"$pids_seen" 2>/dev/null || true
left="$(left_running)"
[[ -z "$left" ]] || fail "still running after chaos.sh: $left"
grep -v '^[A-Z][0-9]' "$report"
echo "chaos_test: passed"
