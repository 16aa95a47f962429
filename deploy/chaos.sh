#!/usr/bin/env bash
# The faults of real life, on the whole stack (deploy/stack.sh): households
# play sessions through nginx (loadgen --mode=chaos) while this injects, one
# after the other, each waiting for the stack to be healthy again:
#   1. kill -9 of a coachd replica, then it is started again;
#   2. a rolling restart: SIGTERM to each replica in turn, which must exit 0
#      within coachd's --shutdown_grace (5 s), started again;
#   3. kill -9 of the Redis primary: Sentinel promotes the replica; the old
#      primary comes back as a replica of the new one;
#   4. SIGSTOP of the Redis primary for longer than coachd's lease (and
#      shorter than Sentinel's down-after), then SIGCONT;
#   5. a restart of nginx (SIGTERM, start again) under the load, with a
#      display client also following a session through it to its end.
# Each fault's figures (how long until it was over, as the stack and as a
# client calling health through nginx every 0.25 s saw it) go to the
# report; exit 1 when a fault did not recover, the load failed its
# end-of-run checks (--check), the display did not see its session end, or
# a coachd broke an invariant.
#
#   deploy/chaos.sh                         # 200 households (the long run)
#   deploy/chaos.sh --households=20 --dwell=1   # the test's short version
#
# Flags: --households=N (200), --channels=N (8), --time_scale=X (30: the
# demo routine, 638 s, in about 21 s), --dwell=S (3: seconds of load between
# faults), --pause=S (2: the Redis pause; the lease is 1 s, Sentinel's
# down-after 4 s), --load_seconds=S (120: loadgen's --duration, sessions
# start until then; the faults under load must fit in it), --report=FILE (also copy the
# report there), --keep (leave the stack up). The
# stack runs in COACHD_STACK_DIR (default .stack-chaos in the checkout,
# emptied first) on COACHD_STACK_PORT (7200).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
households=200 channels=8 time_scale=30 dwell=3 pause=2 report_copy="" keep=0
shutdown_grace=5 # coachd's --shutdown_grace default: a replica's drain.
load_seconds=""
for arg in "$@"; do
  case "$arg" in
    --households=*) households="${arg#*=}" ;;
    --channels=*) channels="${arg#*=}" ;;
    --time_scale=*) time_scale="${arg#*=}" ;;
    --dwell=*) dwell="${arg#*=}" ;;
    --pause=*) pause="${arg#*=}" ;;
    --report=*) report_copy="${arg#*=}" ;;
    --load_seconds=*) load_seconds="${arg#*=}" ;;
    --keep) keep=1 ;;
    *)
      echo "chaos: unknown flag $arg (see the comment at the top)" >&2
      exit 2
      ;;
  esac
done

COACHD_STACK_DIR="$(realpath -m "${COACHD_STACK_DIR:-$root/.stack-chaos}")"
export COACHD_STACK_DIR
export COACHD_STACK_PORT="${COACHD_STACK_PORT:-7200}"
export COACHD_STACK_TIME_SCALE="$time_scale"
export COACHD_STACK_LEASE_TTL=1s
export COACHD_STACK_DOWN_AFTER_MS=4000
export COACHD_STACK_FAILOVER_TIMEOUT_MS=5000
# Each household is its own person; the defaults' per-person limits hold.
stack() { "$root/deploy/stack.sh" "$@"; }
state="$COACHD_STACK_DIR"
bin="${BUILD_DIR:-$root/build}"
if [[ ! -x "$bin/clients/loadgen/loadgen" || ! -x "$bin/clients/display/display" ]]; then
  BUILD_DIR="$bin" "$root/deploy/setup.sh" loadgen display
fi

# A fresh stack: whatever ran in this directory before is stopped first,
# and the directory emptied, if it is a stack's (or empty).
if [[ -d "$state" && -n "$(ls -A "$state")" && ! -f "$state/stack.env" &&
  ! -f "$state/chaos-report.txt" ]]; then
  echo "chaos: $state is not empty and holds no stack; name another COACHD_STACK_DIR" >&2
  exit 2
fi
stack down >/dev/null 2>&1 || true
rm -rf "$state"
mkdir -p "$state"
report="$state/chaos-report.txt"
driver_pid="" probe_pid="" canary_pid="" t_nginx="" t_canary="" failed=0
cleanup() {
  if [[ -n "$probe_pid" ]]; then kill "$probe_pid" 2>/dev/null || true; fi
  if [[ -n "$canary_pid" ]]; then kill "$canary_pid" 2>/dev/null || true; fi
  if [[ -n "$driver_pid" ]] && kill -0 "$driver_pid" 2>/dev/null; then
    kill -TERM "$driver_pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  if ((keep == 0)); then stack down >/dev/null || true; fi
}
trap cleanup EXIT

note() { echo "chaos: $*" | tee -a "$report"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# Polls CONDITION (a command) every 0.1 s for at most LIMIT seconds.
poll() {
  local limit="$1" deadline
  shift
  deadline=$(($(date +%s) + limit))
  until "$@"; do
    (($(date +%s) >= deadline)) && return 1
    sleep 0.1
  done
}

stack_healthy() { stack status >/dev/null 2>&1; }
gone() { ! stack pid "$1" >/dev/null; }

# The Redis part the Sentinels name as primary now.
primary_part() {
  local port
  port="$(timeout 2 redis-cli -p "$(stack port sentinel-1)" SENTINEL \
    get-master-addr-by-name coachd | sed -n 2p)"
  for part in redis-a redis-b; do
    [[ "$(stack port "$part")" == "$port" ]] && echo "$part" && return
  done
  return 1
}
# Every Sentinel names PART's port and it answers ROLE master.
promoted() {
  local port s
  port="$(stack port "$1")"
  for s in 1 2 3; do
    [[ "$(timeout 2 redis-cli -p "$(stack port "sentinel-$s")" SENTINEL \
      get-master-addr-by-name coachd | sed -n 2p)" == "$port" ]] || return 1
  done
  [[ "$(timeout 2 redis-cli -p "$port" ROLE | head -n 1)" == master ]]
}
all_coachd_serving() { stack check coachd-1 coachd-2 coachd-3 2>/dev/null; }

# Marks the start of fault NAME (for the probe's outages) and returns its
# time.
begin() {
  echo "$(now) $1" >>"$state/faults.log"
  now
}

# Fault NAME, begun at T0, is over: its window (loadgen's latency per fault
# window, --fault_windows_file) is "T0 NOW NAME".
window() {
  echo "$2 $(now) $1" >>"$state/fault-windows.log"
}

# `stack up`: starts what a fault stopped and waits until every part is
# healthy (its own bound, 90 s). NAME's time from T0 goes to the report.
restart() {
  local name="$1" t0="$2"
  if stack up >>"$state/up.out" 2>&1; then
    note "$name: whole stack healthy $(since "$t0") s after the fault"
  else
    note "$name: the stack did not come back:"
    stack status >>"$report" 2>&1 || true
    failed=1
  fi
}

fault_kill_replica() {
  local t0
  t0="$(begin "kill -9 coachd-2")"
  kill -KILL "$(stack pid coachd-2)"
  restart "kill -9 coachd-2, started again" "$t0"
  window "kill -9 coachd-2" "$t0"
}

# Each replica must drain: exit 0 (stack.sh's waiter records the status)
# within coachd's --shutdown_grace, plus 1 s for this script's polling.
fault_rolling_restart() {
  local n t0 t1 took code
  t0="$(begin "rolling restart")"
  for n in 1 2 3; do
    t1="$(now)"
    kill -TERM "$(stack pid "coachd-$n")"
    if poll 20 gone "coachd-$n"; then
      took="$(since "$t1")"
      poll 5 stack exit "coachd-$n" >/dev/null || true
      code="$(stack exit "coachd-$n")" || code="unknown"
      if [[ "$code" == 0 ]] && awk -v t="$took" -v g="$shutdown_grace" \
        'BEGIN { exit !(t <= g + 1) }'; then
        note "rolling: coachd-$n stopped $took s after SIGTERM, exit 0"
      else
        note "rolling: coachd-$n stopped $took s after SIGTERM, exit $code: want exit 0 within the ${shutdown_grace} s grace (its log)"
        failed=1
      fi
    else
      note "rolling: coachd-$n did not stop within 20 s of SIGTERM"
      failed=1
    fi
    restart "rolling: coachd-$n started again" "$t1"
  done
  note "rolling restart: $(since "$t0") s for the three"
  window "rolling restart" "$t0"
}

fault_kill_primary() {
  local old new t0
  old="$(primary_part)"
  new=redis-a
  [[ "$old" == redis-a ]] && new=redis-b
  t0="$(begin "kill -9 Redis primary")"
  kill -KILL "$(stack pid "$old")"
  note "kill -9 of the Redis primary $old"
  if poll 60 promoted "$new"; then
    note "failover: every Sentinel names $new, ROLE master, $(since "$t0") s after the kill"
  else
    note "failover: $new was not promoted within 60 s"
    failed=1
    return
  fi
  if poll 60 all_coachd_serving; then
    note "failover: the three replicas SERVING $(since "$t0") s after the kill"
    # Its window ends here: the service is back; the old primary's resync
    # below is not felt by clients.
    window "kill -9 Redis primary" "$t0"
  else
    note "failover: not every replica SERVING 60 s after the kill"
    failed=1
  fi
  restart "failover: $old back as a replica of $new (in sync)," "$t0"
}

canary_done() { ! kill -0 "$canary_pid" 2>/dev/null; }

# nginx stops (SIGTERM: every connection through it closes) and starts
# again while the households play through it. A real device goes through it
# too: a display client (the code devices run) follows a session from its
# first event; check_canary, at the end, wants it to have reached the end
# of the workout by itself.
fault_restart_nginx() {
  local session
  local ctl=("$bin/clients/coachctl/coachctl" --target="$(<"$state/address")"
    --tls_ca_file="$state/tls/ca.pem" --secret_file="$state/secret"
    --sub=canary)
  session="$("${ctl[@]}" start --preset=demo)"
  "$bin/clients/display/display" "${ctl[@]:1}" --role=device \
    --session="$session" --from_start --plain >"$state/canary.out" 2>&1 &
  canary_pid=$!
  poll 30 test -s "$state/canary.out" || true
  t_canary="$(now)" # Its first line: the session has begun.
  t_nginx="$(begin "nginx restart")"
  kill -TERM "$(stack pid nginx)"
  poll 20 gone nginx || failed=1
  restart "nginx restarted (SIGTERM, start again)" "$t_nginx"
  window "nginx restart" "$t_nginx"
}

check_canary() {
  local rc=0
  if poll 120 canary_done; then
    wait "$canary_pid" || rc=$?
  else
    kill "$canary_pid" 2>/dev/null || true
    rc=timeout
  fi
  if [[ "$rc" == 0 ]] && grep -q "Workout complete" "$state/canary.out"; then
    # When it wrote its last line ("Workout complete"), not now: this check
    # runs after the load.
    local end
    end="$(date -r "$state/canary.out" +%s.%N)"
    note "nginx restart: a display client through it saw its session to the end $(awk -v a="$t_nginx" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s after the restart, $(awk -v a="$t_canary" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s after its first line (the demo routine: 638 s at time scale $time_scale)"
  else
    note "nginx restart: the display client through it did not see the end (exit $rc; $state/canary.out)"
    failed=1
  fi
}

fault_pause_redis() {
  local part pid t0
  part="$(primary_part)"
  pid="$(stack pid "$part")"
  t0="$(begin "Redis paused")"
  kill -STOP "$pid"
  note "SIGSTOP of the Redis primary $part for ${pause} s (the lease is 1 s)"
  sleep "$pause" # The fault itself: Redis frozen this long.
  kill -CONT "$pid"
  if poll 90 stack_healthy; then
    note "Redis paused: whole stack healthy $(since "$t0") s after SIGSTOP"
    window "Redis paused" "$t0"
  else
    note "Redis paused: the stack is not healthy 90 s after SIGCONT:"
    stack status >>"$report" 2>&1 || true
    failed=1
  fi
  if [[ "$(primary_part)" != "$part" ]]; then
    note "Redis paused: Sentinel failed over during the pause (--pause too long for down-after)"
    failed=1
  fi
}

# A client's view: gRPC health through nginx every 0.25 s, one line each
# ("EPOCH_SECONDS OK|FAIL").
probe() {
  local address ca
  address="$(<"$state/address")"
  ca="$state/tls/ca.pem"
  printf '\0\0\0\0\0' >"$state/probe.req"
  while :; do
    if [[ "$(curl -sS --max-time 2 --http2 --cacert "$ca" \
      -H 'content-type: application/grpc' -H 'te: trailers' \
      --data-binary "@$state/probe.req" \
      "https://$address/grpc.health.v1.Health/Check" 2>/dev/null |
      od -An -tx1 | tr -d ' \n')" == 00000000020801 ]]; then
      echo "$(now) OK"
    else
      echo "$(now) FAIL"
    fi
    sleep 0.25
  done >"$state/probe.log"
}

# The load: loadgen's chaos mode when it has one (its end-of-run checks with
# --check), else its saturation mode as background load (its counts are
# reported, not judged: that mode does not resume broken streams).
start_driver() {
  local address common
  address="$(<"$state/address")"
  common=(--target="$address" --tls_ca_file="$state/tls/ca.pem"
    --secret_file="$state/secret" --households="$households"
    --channels="$channels" --json_out="$state/load.json")
  local help
  help="$("$bin/clients/loadgen/loadgen" --help 2>&1 || true)"
  if [[ "$help" == *chaos_grace* ]]; then
    driver_mode=chaos
    # Latency per fault window, when this loadgen can split it.
    [[ "$help" == *fault_windows_file* ]] &&
      common+=(--fault_windows_file="$state/fault-windows.log")
    "$bin/clients/loadgen/loadgen" --mode=chaos "${common[@]}" \
      --duration="${1}s" --chaos_grace=60s --check >"$state/load.out" 2>&1 &
  else
    driver_mode=saturation
    "$bin/clients/loadgen/loadgen" --mode=saturation "${common[@]}" \
      --duration="${1}s" --warmup=1s >"$state/load.out" 2>&1 &
  fi
  driver_pid=$!
}

: >"$report"
note "stack in $state, $households households, time scale $time_scale, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
t_up="$(now)"
stack up >"$state/up.out" || {
  cat "$state/up.out"
  exit 1
}
note "stack up in $(since "$t_up") s"
probe &
probe_pid=$!
# The load runs through the faults under load, their recoveries and dwells.
load_seconds="${load_seconds:-120}"
t_load="$(now)"
start_driver "$load_seconds"
note "load: loadgen --mode=$driver_mode for ${load_seconds} s"
sleep "$dwell"

# nginx early: every household must come back through it and play on.
for fault in fault_kill_replica fault_restart_nginx fault_rolling_restart \
  fault_kill_primary fault_pause_redis; do
  "$fault"
  sleep "$dwell" # Load on a healthy stack between faults.
done
echo done >>"$state/fault-windows.log" # loadgen waits for this line.

note "faults under load done $(since "$t_load") s into the load's ${load_seconds} s (a fault after that met only sessions ending); waiting for the load to end"
driver_done() { ! kill -0 "$driver_pid" 2>/dev/null; }
if ! poll $((load_seconds + 120)) driver_done; then
  note "load: loadgen still running $((load_seconds + 120)) s after its start; stopped"
  kill -TERM "$driver_pid" 2>/dev/null || true
  failed=1
fi
check_canary

# The client's view: each run of failed probes, under the fault before it.
kill "$probe_pid" 2>/dev/null || true
probe_pid=""
sort -n "$state/faults.log" "$state/probe.log" | awk '
  !t0 { t0 = $1 }
  $2 != "OK" && $2 != "FAIL" { fault = $0; sub(/^[^ ]* /, "", fault); next }
  $2 == "FAIL" { if (!start) start = $1; last = $1; next }
  start {
    printf "chaos: health through nginx failed for %.2f s (at %.0f s) after: %s\n",
      last - start + 0.25, start - t0, fault
    n++; start = 0
  }
  END { printf "chaos: health through nginx: %d outage(s)\n", n }' |
  tee -a "$report"

driver_rc=0
wait "$driver_pid" || driver_rc=$?
driver_pid=""
note "load: loadgen --mode=$driver_mode exited $driver_rc; its report:"
grep -v "^[A-Z][0-9]" "$state/load.out" | tail -n 120 >>"$report"
field() { grep -o "\"$1\":[^,}]*" "$state/load.json" | cut -d: -f2; }
if [[ "$driver_mode" == chaos ]]; then
  ((driver_rc == 0)) || failed=1
  # p99 per fault window (each fault from its start to its recovery), then
  # the quiet rest: the same figures as loadgen's w<i>_ and quiet_ fields.
  for key in w1 w2 w3 w4 w5 w6 quiet; do
    [[ -n "$(field "${key}_commands")" ]] || continue
    what="the quiet rest"
    [[ "$key" == quiet ]] ||
      what="$(field "${key}_name" | tr -d '"') ($(field "${key}_from_s")-$(field "${key}_to_s") s into the load)"
    note "p99 in $what: $(field "${key}_commands") commands, p99" \
      "$(field "${key}_command_p99_ms") ms; $(field "${key}_events") events," \
      "p99 $(field "${key}_event_p99_us") us"
  done
  [[ -z "$(field windows_note)" ]] || note "fault windows: $(field windows_note)"
else
  # What saturation mode can say: no device saw a silent gap (a gap is
  # fine only as an explicit not-recovered snapshot) or an event twice.
  # It does not resume a broken stream, so it sees only part of each run.
  if [[ "$(field silent_gaps)" != 0 || "$(field duplicates)" != 0 ]] ||
    ! (($(field delivered) > 0)); then
    note "load: silent gaps $(field silent_gaps), duplicates $(field duplicates), delivered $(field delivered): want 0, 0, > 0"
    failed=1
  fi
  note "load: checked only silent gaps and duplicates (this loadgen has no --mode=chaos): $(field gaps) not-recovered snapshots, $(field stream_errors) streams broken and not resumed, sessions finished and commands and reminders NOT CHECKED"
fi

if grep -H "invariant broken" "$state"/logs/coachd-*.log >>"$report"; then
  note "a coachd broke an invariant (above)"
  failed=1
fi
if ! stack status >>"$report" 2>&1; then
  note "the stack is not healthy at the end (report)"
  failed=1
fi
[[ -n "$report_copy" ]] && cp "$report" "$report_copy"
if ((failed)); then
  echo "chaos: FAILED (report: $report)" >&2
  exit 1
fi
echo "chaos: passed (report: $report)"
