#!/usr/bin/env bash
# deploy/stack.sh as an operator uses it, on free loopback ports in a
# temporary directory: `up` brings every part up healthy and prints one
# address; a gRPC client (coachctl) and HTTP clients (HTTP/2 and HTTP/1.1,
# as browsers) reach coachd and the web gateway through it; the bridge has
# announced itself on MQTT; `up` again starts nothing; a replica killed
# shows in `status` (exit 1) and `up` starts it again; `down` stops every
# process it started, from a partial stack too, and `status` fails after.
#
#   stack_test.sh            (BUILD_DIR: the build with the binaries)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$root/build}"
test_name=stack_test
# shellcheck source=tests/common/stack_testing.sh
source "$root/tests/common/stack_testing.sh"
stack() { "$root/deploy/stack.sh" "$@"; }
require_stack_binaries

pids=()
# Every pid the stack recorded, now.
record_pids() {
  local f
  for f in "$COACHD_STACK_DIR"/run/*.pid; do
    if [[ -s "$f" ]]; then pids+=("$(<"$f")"); fi
  done
}
left_running() { stack_leftovers "$COACHD_STACK_DIR" "${pids[@]}"; }
cleanup() {
  local rc=$? pid left
  if [[ -n "${COACHD_STACK_DIR:-}" ]]; then
    record_pids
    stack down >/dev/null 2>&1 || true
    if ((rc != 0)); then
      echo "--- logs at the failure:" >&2
      tail -n 15 "$COACHD_STACK_DIR"/logs/*.log >&2 || true
    fi
    # A test never leaves a process behind, even one down missed.
    left="$(left_running)"
    if [[ -n "$left" ]]; then
      echo "stack_test: left running, killed: $left" >&2
      for pid in $(awk '{ print $1 }' <<<"$left"); do kill -KILL "$pid" || true; done
    fi
    rm -rf "$COACHD_STACK_DIR"
  fi
}
trap cleanup EXIT

# Up on free ports; once more on other ports if one was taken meanwhile.
for attempt in 1 2; do
  COACHD_STACK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/stacktest-XXXXXX")"
  export COACHD_STACK_DIR
  COACHD_STACK_PORT="$(free_port_range 16)"
  export COACHD_STACK_PORT
  if up="$(stack up 2>&1)"; then break; fi
  record_pids
  if ((attempt == 2)) || ! grep -qi "address already in use" \
    "$COACHD_STACK_DIR"/logs/*.log; then
    fail "up failed: $up"
  fi
  stack down >/dev/null 2>&1 || true
  rm -rf "$COACHD_STACK_DIR"
done
record_pids
echo "$up"
state="$COACHD_STACK_DIR"

# The one address it printed.
address="$(sed -n 's/^address: \([0-9.:]*\) .*/\1/p' <<<"$up")"
[[ "$address" == "127.0.0.1:$COACHD_STACK_PORT" ]] ||
  fail "up printed address \"$address\", want 127.0.0.1:$COACHD_STACK_PORT"

status="$(stack status)" || fail "status after up failed:
$status"
echo "$status"
healthy="$(grep -c ' healthy: ' <<<"$status")"
((healthy == 12)) || fail "$healthy of 12 parts healthy:
$status"

again="$(stack up)" || fail "a second up failed: $again"
if grep -q "^stack: started" <<<"$again"; then
  fail "a second up started parts again: $again"
fi

# A gRPC client through the address: start a session, read it back.
ctl=("$BUILD_DIR/clients/coachctl/coachctl")
auth=(--target="$address" --tls_ca_file="$state/tls/ca.pem"
  --secret_file="$state/secret" --sub=alice)
session="$("${ctl[@]}" start "${auth[@]}" --preset=demo)" ||
  fail "coachctl start through $address failed"
[[ -n "$session" ]] || fail "coachctl start printed no session id"
got="$("${ctl[@]}" get "${auth[@]}" "$session" --json)" ||
  fail "coachctl get through $address failed"
grep -q "\"$session\"" <<<"$got" || fail "GetSession did not name $session: $got"

# The web gateway's pages through the same address, as HTTP/2 and HTTP/1.1.
for version in --http2 --http1.1; do
  page="$(curl -sS --fail --max-time 10 "$version" --cacert "$state/tls/ca.pem" \
    "https://$address/display")" || fail "GET /display ($version) failed"
  grep -qi "<html" <<<"$page" || fail "GET /display ($version) is no page"
done

# The bridge is online and announced alice's device to Home Assistant.
discovery="$(timeout 10 mosquitto_sub -h 127.0.0.1 \
  -p "$(stack port mosquitto)" -t 'homeassistant/#' -v -C 1 -W 8)" ||
  fail "no Home Assistant discovery message on mosquitto"
grep -q alice <<<"$discovery" || fail "discovery does not name alice"

# The gateway and the bridge export their metrics where up says.
grep -q "web gateway 127.0.0.1:$(stack port web-metrics); bridge 127.0.0.1:$(stack port ha-metrics)" <<<"$up" ||
  fail "up does not print the gateway's and bridge's metrics addresses: $up"
for pair in web-metrics:coachd_web_http_requests_total ha-metrics:coachd_ha_people; do
  scraped="$(curl -sS --fail --max-time 10 \
    "http://127.0.0.1:$(stack port "${pair%%:*}")/metrics")" ||
    fail "GET /metrics of ${pair%%:*} failed"
  grep -q "^# TYPE ${pair#*:} " <<<"$scraped" ||
    fail "${pair%%:*} does not export ${pair#*:}: $scraped"
done

# A replica that dies: status says so (exit 1), up starts it again.
kill -KILL "$(stack pid coachd-2)"
if broken="$(stack status)"; then
  fail "status exits 0 with coachd-2 killed: $broken"
fi
grep -q "^coachd-2 .*NOT HEALTHY" <<<"$broken" ||
  fail "status does not name coachd-2: $broken"
restarted="$(stack up)" || fail "up after a kill failed: $restarted"
grep -q "^stack: started coachd-2$" <<<"$restarted" ||
  fail "up did not start coachd-2 (alone) again: $restarted"
record_pids
stack status >/dev/null || fail "status after the restart failed"

# down from a partial stack (nginx gone), then again from nothing.
kill -KILL "$(stack pid nginx)"
stack down || fail "down failed"
left="$(left_running)"
[[ -z "$left" ]] || fail "still running after down: $left"
for ((port = COACHD_STACK_PORT; port < COACHD_STACK_PORT + 16; port++)); do
  if ss -Htln "sport = :$port" | grep -q .; then
    fail "something still listens on 127.0.0.1:$port after down"
  fi
done
if after="$(stack status)"; then
  fail "status exits 0 after down: $after"
fi
stack down >/dev/null || fail "down of a stopped stack failed"
echo "stack_test: passed"
