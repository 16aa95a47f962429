#!/usr/bin/env bash
# Runs the load scenarios of issue 7 on this machine, coachd against the bare
# gRPC baseline (loadgen_baseline) in the same run, and writes the results
# into the "Load" section of docs/PERFORMANCE.md (only the block between the
# load:results markers is replaced; notes around it are kept).
#
#   deploy/bench/run_scenarios.sh            # everything, about 6-10 minutes
#   QUICK=1 deploy/bench/run_scenarios.sh    # small sizes, to try the script
#   DOC=/tmp/perf.md deploy/bench/run_scenarios.sh   # write elsewhere
#   BUILD_DIR=build-rel SKIP_BUILD=1 deploy/bench/run_scenarios.sh  # as built
#   SCENARIOS=live deploy/bench/run_scenarios.sh  # only some (to iterate;
#                                   # the others' rows then read n/a)
#   COACHD_FLAGS=--worker_nice=0 deploy/bench/run_scenarios.sh  # more
#                                   # flags for every coachd it starts
#
# Scenarios: (1) saturation, embedded store; (2) saturation, Redis (a
# redis-server it starts on a free loopback port, when coachd has --redis),
# both in SAT_ROUNDS rounds, each with its own baseline run (the median
# round is reported);
# (3) idle memory per subscriber stream at 1k, 5k, 10k sessions (2 streams
# each); (4) reconnect storm; (5) one stalled subscriber. Everything runs on
# 127.0.0.1, every run is bounded, and every process started here is stopped
# on exit; (6) and (7) saturation with live events, embedded and Redis, in
# rounds like (1) and (2): every session starts paused, its two streams
# attach, and it is resumed once both had their first response, so the
# events a server makes reach subscribers that wait for them (at time scale
# 100000 in (1) and (2) coachd's sessions end before their streams attach,
# and its latency there is the age of replayed history). Sizes can be
# changed through the variables below.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-$root/build-bench}"
doc="${DOC:-$root/docs/PERFORMANCE.md}"
quick="${QUICK:-0}"

# Sizes (QUICK=1 shrinks them).
sat_households="${SAT_HOUSEHOLDS:-50}"
sat_time_scale="${SAT_TIME_SCALE:-100000}"
sat_seconds="${SAT_SECONDS:-15}"
# Saturation rounds (baseline, embedded, Redis each): the table shows the
# round with the median ratio, and every round's ratio.
sat_rounds="${SAT_ROUNDS:-3}"
live_time_scale="${LIVE_TIME_SCALE:-$sat_time_scale}"
# Which scenarios run: sat (1, 2), idle (3), storm (4), stall (5), live
# (6, 7).
scenarios="${SCENARIOS:-sat idle storm stall live}"
idle_sizes="${IDLE_SIZES:-1000 5000 10000}"
storm_households="${STORM_HOUSEHOLDS:-5000}"
storm_time_scale="${STORM_TIME_SCALE:-10}"
stall_households="${STALL_HOUSEHOLDS:-5000}"
stall_time_scale="${STALL_TIME_SCALE:-1}"
stall_seconds="${STALL_SECONDS:-20}"
repeat_rate="${REPEAT_RATE:-1000}"
channels="${CHANNELS:-16}"
max_wait_for_quiet="${QUIET_WAIT_SECONDS:-300}"
if [[ "$quick" == 1 ]]; then
  sat_households=10 sat_seconds=4 sat_rounds=1 idle_sizes="200 500"
  storm_households=100
  stall_households=200 stall_seconds=6 max_wait_for_quiet=0
fi

log() { echo "bench: $*" >&2; }
want() { [[ " $scenarios " == *" $1 "* ]]; }

# --- build -------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" == 1 ]]; then
  log "using the binaries already in $build_dir (SKIP_BUILD=1)"
else
  log "building Release in $build_dir"
  export CCACHE_BASEDIR="$root"
  # Only the binaries: tests are not needed to measure.
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$build_dir" -j "${JOBS:-2}" \
    --target coachd coachctl loadgen loadgen_baseline >/dev/null
fi
coachd_bin="$build_dir/services/server/coachd"
coachctl_bin="$build_dir/clients/coachctl/coachctl"
loadgen_bin="$build_dir/clients/loadgen/loadgen"
baseline_bin="$build_dir/clients/loadgen/loadgen_baseline"

# 10k sessions with 20k streams need descriptors (and loadgen shares them).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
echo >>"$work/secret"

# --- helpers -----------------------------------------------------------------
# Waits for a port file written by coachd or the baseline; echoes the port.
wait_port() {
  local file="$1" i
  for i in $(seq 1 200); do
    [[ -s "$file" ]] && { cat "$file"; return 0; }
    sleep 0.05
  done
  return 1
}

# start_coachd TIME_SCALE [EXTRA FLAGS...]: sets server_pid, server_port.
start_coachd() {
  local scale="$1"
  shift
  rm -f "$work/port"
  # Load is not a person: no per-person limits. The stall scenario's 1000
  # REPEAT/s into one session needs a short command id window (every id of
  # the window is kept in the session's record).
  "$coachd_bin" --auth_secret_file="$work/secret" --listen=127.0.0.1:0 \
    --port_file="$work/port" --time_scale="$scale" \
    --max_sessions_started_per_hour=0 --max_commands_per_minute=0 \
    --max_workouts_logged_per_week=0 --max_coach_link_changes_per_hour=0 \
    --max_live_sessions_per_person=0 --max_streams_per_person=0 \
    --command_id_window=2s --max_commands_per_window=4000 ${COACHD_FLAGS:-} "$@" \
    2>"$work/coachd.log" &
  server_pid=$!
  pids+=("$server_pid")
  server_port="$(wait_port "$work/port")" || {
    log "coachd did not start:"
    cat "$work/coachd.log" >&2
    exit 1
  }
}

# start_baseline [FLAGS...]: sets server_pid, server_port.
start_baseline() {
  rm -f "$work/port"
  "$baseline_bin" --listen=127.0.0.1:0 --port_file="$work/port" "$@" \
    2>"$work/baseline.log" &
  server_pid=$!
  pids+=("$server_pid")
  server_port="$(wait_port "$work/port")" || {
    log "the baseline did not start:"
    cat "$work/baseline.log" >&2
    exit 1
  }
}

stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  else
    log "WARNING: server $server_pid had already exited:"
    tail -n 5 "$work/coachd.log" "$work/baseline.log" >&2 2>/dev/null || true
    server_died+=("$1")
  fi
}
server_died=()

# run_loadgen NAME LABEL [FLAGS...]: runs loadgen against server_port, saves
# its JSON line as $work/NAME.json.
run_loadgen() {
  local name="$1" label="$2"
  shift 2
  log "$name: loadgen $* (against $label)"
  if ! "$loadgen_bin" --target="127.0.0.1:$server_port" \
    --secret_file="$work/secret" --label="$label" --channels="$channels" \
    --coachd_pid="$server_pid" --json_out="$work/$name.json" "$@" \
    >"$work/$name.out" 2>"$work/$name.err"; then
    log "$name: loadgen failed:"
    tail -n 5 "$work/$name.err" >&2
    echo '{}' >"$work/$name.json"
  fi
  cut -d' ' -f1 /proc/loadavg >"$work/$name.load"
}

# load_of NAME: the 1-minute load average when run NAME ended.
load_of() { cat "$work/$1.load" 2>/dev/null || echo "?"; }

# field NAME KEY: a figure of run NAME's JSON ("" when absent).
field() {
  local text
  # A string value may hold commas; a number ends at the next one.
  text="$(grep -o "\"$2\":\"[^\"]*\"" "$work/$1.json" 2>/dev/null | head -n1 || true)"
  if [[ -z "$text" ]]; then
    text="$(grep -o "\"$2\":[^,}]*" "$work/$1.json" 2>/dev/null | head -n1 || true)"
  fi
  cut -d: -f2- <<<"$text" | tr -d '"'
}

# ratio A B: A / B with 2 decimals, "n/a" when either is missing or B is 0.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) { print "n/a"; exit }
    printf "%.2f", a / b }'
}

# fmt X [DECIMALS]: a number rounded, "n/a" when missing.
fmt() {
  awk -v x="$1" -v d="${2:-0}" 'BEGIN {
    if (x == "") { print "n/a"; exit } printf "%.*f", d, x }'
}

# us_to_ms X: microseconds as milliseconds with 2 decimals.
us_to_ms() {
  awk -v x="$1" 'BEGIN { if (x == "") { print "n/a"; exit }
    printf "%.2f", x / 1000 }'
}

# verdict AWK-CONDITION-ON-a VALUE: "met", "**missed**" or "n/a".
verdict() {
  awk -v a="$2" "BEGIN {
    if (a == \"\" || a == \"n/a\") { print \"n/a\"; exit }
    if ($1) { print \"met\" } else { print \"**missed**\" } }"
}

# live NAME: the share of run NAME's latency samples that were live events
# (made after their subscriber opened its call), and their p50 / p99 / p99.9.
live() {
  local n all
  n="$(field "$1" live_latency_samples)" all="$(field "$1" latency_samples)"
  if [[ -z "$n" || -z "$all" || "$all" == 0 ]]; then
    echo "n/a"
    return
  fi
  echo "$(awk -v n="$n" -v a="$all" 'BEGIN { printf "%.1f%%", 100 * n / a }'), $(us_to_ms "$(field "$1" live_latency_p50_us)") / $(us_to_ms "$(field "$1" live_latency_p99_us)") / $(us_to_ms "$(field "$1" live_latency_p999_us)")"
}

# latencies NAME: run NAME's latency p50 / p99 / p99.9 over all events (ms).
latencies() {
  echo "$(us_to_ms "$(field "$1" latency_p50_us)") / $(us_to_ms "$(field "$1" latency_p99_us)") / $(us_to_ms "$(field "$1" latency_p999_us)")"
}

# cpu NAME: run NAME's server CPU seconds (and per 1,000 events, ms).
cpu() {
  echo "$(fmt "$(field "$1" server_cpu_s)" 1) ($(fmt "$(field "$1" server_cpu_per_kevent_ms)" 1))"
}

exact() {  # exact NAME: "0 / 0" gaps / duplicates (+ stream errors if any).
  local g d e
  g="$(field "$1" gaps)" d="$(field "$1" duplicates)" e="$(field "$1" stream_errors)"
  if [[ -n "$e" && "$e" != 0 ]]; then
    echo "${g:-?} / ${d:-?} (stream errors: $e)"
  else
    echo "${g:-?} / ${d:-?}"
  fi
}

# The table's rows that several scenarios print alike.
# gaps_row CODE BASE: gaps / duplicates of runs CODE (coachd) and BASE (the
# baseline), against the target 0 / 0.
gaps_row() {
  echo "| | | gaps / duplicates | $(exact "$1") | $(exact "$2") | | 0 / 0 | |"
}

# loadgen_cpu_row CODE BASE: loadgen's CPU seconds in runs CODE and BASE.
loadgen_cpu_row() {
  echo "| | | loadgen CPU s | $(fmt "$(field "$1" loadgen_cpu_s)" 1) | $(fmt "$(field "$2" loadgen_cpu_s)" 1) | | | |"
}

# redis_rows RUN: run RUN's Redis commands per event, in all and by command
# (coachd's column only).
redis_rows() {
  echo "| | | Redis commands per published / delivered event | $(fmt "$(field "$1" redis_per_published)" 2) / $(fmt "$(field "$1" redis_per_delivered)" 2) | | | | |"
  echo "| | | Redis commands per published event, by command | $(field "$1" redis_top) | | | | |"
}

# --- wait for a quiet machine ------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" 'BEGIN { exit !(l > 1.0) }' &&
  ((waited < max_wait_for_quiet)); do
  log "load average $(load1): waiting for a quieter machine (${waited}s)"
  sleep 15
  waited=$((waited + 15))
done
started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
others="$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s (%s%%) ", $2, $1 }' | head -c 300)"
t_start=$SECONDS

# --- (1) and (2) saturation, embedded and Redis, in rounds -------------------
# The shared cores make one run's figures move by 10% or more; each round
# measures its own baseline, and the median round is reported.
start_coachd "$sat_time_scale"
session="$("$coachctl_bin" start --target="127.0.0.1:$server_port" \
  --secret_file="$work/secret" --sub=probe --preset=demo)"
sleep 0.5
session_events="$("$coachctl_bin" get --target="127.0.0.1:$server_port" \
  --secret_file="$work/secret" --sub=probe "$session" |
  awk '/last_sequence:/ { print $2; exit }')"
session_events="${session_events:-218}"
stop_server probe

redis_note=""
coachd_help="$("$coachd_bin" --help 2>&1 || true)"
if ! grep -q -- '--redis' <<<"$coachd_help" ||
  ! command -v redis-server >/dev/null; then
  redis_note="coachd has no --redis flag (or redis-server is missing): skipped"
fi

# run_redis_saturation NAME [MODE [TIME_SCALE]]: coachd on a fresh
# redis-server (a free loopback port), saturated (loadgen --mode=MODE,
# saturation by default).
run_redis_saturation() {
  local mode="${2:-saturation}" scale="${3:-$sat_time_scale}"
  local redis_port="" candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      redis_port="$candidate"
      break
    fi
  done
  rm -rf "$work/redis"
  mkdir -p "$work/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
    --appendonly no --dir "$work/redis" --daemonize no \
    >"$work/redis.log" 2>&1 &
  local redis_pid=$!
  pids+=("$redis_pid")
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  start_coachd "$scale" --redis="redis://127.0.0.1:$redis_port"
  run_loadgen "$1" coachd+redis --mode="$mode" \
    --households="$sat_households" --duration="${sat_seconds}s" --warmup=3s \
    --redis_port="$redis_port" --redis_pid="$redis_pid"
  stop_server "$1"
  kill -TERM "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
}

# median_round STORE [PREFIX [KEY]]: the round whose coachd / baseline ratio
# of KEY (events_per_s) is the median (the lower middle one for an even
# count), of the runs PREFIX_STORE_N (PREFIX sat or live).
median_round() {
  local round prefix="${2:-sat}" key="${3:-events_per_s}"
  for round in $(seq 1 "$sat_rounds"); do
    echo "$(ratio "$(field "${prefix}_${1}_$round" "$key")" \
      "$(field "${prefix}_baseline_$round" "$key")") $round"
  done | sort -n | awk -v n="$sat_rounds" 'NR == int((n + 1) / 2) { print $2 }'
}
# round_ratios STORE [PREFIX [KEY]]: every round's ratio, in the order run.
round_ratios() {
  local round out="" prefix="${2:-sat}" key="${3:-events_per_s}"
  for round in $(seq 1 "$sat_rounds"); do
    out+="${out:+, }$(ratio "$(field "${prefix}_${1}_$round" "$key")" \
      "$(field "${prefix}_baseline_$round" "$key")")"
  done
  echo "$out"
}

# median_ratio STORE PREFIX KEY: the median of the rounds' coachd / baseline
# ratios of KEY (a latency's median round need not be the throughput's).
median_ratio() {
  local round
  for round in $(seq 1 "$sat_rounds"); do
    echo "$(ratio "$(field "${2}_${1}_$round" "$3")" \
      "$(field "${2}_baseline_$round" "$3")")"
  done | grep -v n/a | sort -n |
    awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "n/a" }'
}

# saturation_rounds PREFIX MODE TIME_SCALE BASELINE_SESSION_EVENTS: SAT_ROUNDS
# rounds, each of coachd (embedded store), the baseline and coachd on Redis,
# loaded by loadgen --mode=MODE (runs PREFIX_embedded_N, PREFIX_baseline_N,
# PREFIX_redis_N); then copies the median rounds' runs to PREFIX_embedded
# and PREFIX_baseline, PREFIX_redis and PREFIX_baseline_r.
event_bytes=""
saturation_rounds() {
  local prefix="$1" mode="$2" scale="$3" baseline_events="$4" round m f
  for round in $(seq 1 "$sat_rounds"); do
    start_coachd "$scale"
    run_loadgen "${prefix}_embedded_$round" coachd --mode="$mode" \
      --households="$sat_households" --duration="${sat_seconds}s" --warmup=3s
    stop_server "${prefix}_embedded_$round"
    if [[ -z "$event_bytes" ]]; then
      event_bytes="$(fmt "$(field "${prefix}_embedded_$round" mean_event_bytes)")"
      [[ "$event_bytes" == n/a ]] && event_bytes=480
      log "events: $session_events per demo session, $event_bytes bytes on average"
    fi
    start_baseline --event_bytes="$event_bytes" \
      --session_events="$baseline_events"
    run_loadgen "${prefix}_baseline_$round" baseline --mode="$mode" \
      --households="$sat_households" --duration="${sat_seconds}s" --warmup=3s
    stop_server "${prefix}_baseline_$round"
    if [[ -z "$redis_note" ]]; then
      run_redis_saturation "${prefix}_redis_$round" "$mode" "$scale"
    else
      echo '{}' >"$work/${prefix}_redis_$round.json"
    fi
  done
  m="$(median_round embedded "$prefix")"
  for f in json load; do
    cp "$work/${prefix}_embedded_$m.$f" "$work/${prefix}_embedded.$f" 2>/dev/null || true
    cp "$work/${prefix}_baseline_$m.$f" "$work/${prefix}_baseline.$f" 2>/dev/null || true
  done
  m="$(median_round redis "$prefix")"
  for f in json load; do
    cp "$work/${prefix}_redis_$m.$f" "$work/${prefix}_redis.$f" 2>/dev/null || true
    cp "$work/${prefix}_baseline_$m.$f" "$work/${prefix}_baseline_r.$f" 2>/dev/null || true
  done
}

if want sat; then
  saturation_rounds sat saturation "$sat_time_scale" "$session_events"
fi

# --- (6) and (7) saturation with live events, embedded and Redis ------------
# Same households, streams and rounds as (1) and (2); sessions start paused
# (StartSession paused: coachd's two first events, then PAUSED; the
# baseline's likewise), both streams attach from the pause and get it as
# their first response, then RESUME plays the session (coachd: one more
# event, RESUMED; the baseline is told of the two more).
if want live; then
  saturation_rounds live live "$live_time_scale" "$((session_events + 2))"
fi

# --- (3) idle memory per stream ----------------------------------------------
event_bytes="${event_bytes:-480}"  # When neither (1) nor (6) ran.
for n in $idle_sizes; do
  want idle || break
  start_coachd 1
  run_loadgen "idle_${n}_coachd" coachd --mode=idle --households="$n" \
    --settle=5s --setup_inflight=128
  stop_server "idle_${n}_coachd"
  start_baseline --event_bytes="$event_bytes" --session_events="$session_events"
  run_loadgen "idle_${n}_baseline" baseline --mode=idle --households="$n" \
    --settle=5s --setup_inflight=128
  stop_server "idle_${n}_baseline"
done

# --- (4) reconnect storm -----------------------------------------------------
if want storm; then
start_coachd "$storm_time_scale"
run_loadgen storm_coachd coachd --mode=storm --households="$storm_households" \
  --preset=strength-3-3-3 --warmup=3s --storm_gap=500ms
stop_server storm_coachd
# The baseline streams at coachd's measured rate per stream.
storm_interval_us="$(awk -v e="$(field storm_coachd events_per_s)" \
  -v s="$(field storm_coachd streams)" 'BEGIN {
    if (e + 0 <= 0) { print 1000000; exit } printf "%d", 1e6 * s / e }')"
start_baseline --event_bytes="$event_bytes" --session_events=100000000 \
  --interval="${storm_interval_us}us"
run_loadgen storm_baseline baseline --mode=storm \
  --households="$storm_households" --warmup=3s --storm_gap=500ms
stop_server storm_baseline
fi

# --- (5) one stalled subscriber ----------------------------------------------
if want stall; then
start_coachd "$stall_time_scale"
run_loadgen stall_coachd coachd --mode=stalled \
  --households="$stall_households" --duration="${stall_seconds}s" \
  --warmup=3s --repeat_rate="$repeat_rate" --setup_inflight=128
stop_server stall_coachd
# Control: the same with the extra subscriber reading like the others, to
# tell the stall's cost from a third subscriber's.
start_coachd "$stall_time_scale"
run_loadgen stall_control coachd --mode=stalled --control \
  --households="$stall_households" --duration="${stall_seconds}s" \
  --warmup=3s --repeat_rate="$repeat_rate" --setup_inflight=128
stop_server stall_control
stall_interval_us="$(awk -v e="$(field stall_coachd events_per_s)" \
  -v s="$(field stall_coachd streams)" 'BEGIN {
    if (e + 0 <= 0) { print 1000000; exit } printf "%d", 1e6 * s / e }')"
start_baseline --event_bytes="$event_bytes" --session_events=100000000 \
  --interval="${stall_interval_us}us"
run_loadgen stall_baseline baseline --mode=stalled \
  --households="$stall_households" --duration="${stall_seconds}s" \
  --warmup=3s --repeat_rate="$repeat_rate" --setup_inflight=128
stop_server stall_baseline
fi

elapsed=$((SECONDS - t_start))
load_at_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- the section ---------------------------------------------------------------
cpu_model="$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"
cpus="$(nproc)"
ram="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
# The tree by its commit time, not its hash: docs cite no commit hashes.
tree="$(git -C "$root" log -1 --date=format:'%Y-%m-%d %H:%M' \
  --format='the tree of %cd' 2>/dev/null || echo 'an unknown tree')"
if [[ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -n1)" ]]; then
  tree="$tree + uncommitted changes"
fi

sat_c="$(field sat_embedded events_per_s)"
sat_b="$(field sat_baseline events_per_s)"
sat_r="$(field sat_redis events_per_s)"
sat_br="$(field sat_baseline_r events_per_s)"
{
  echo "<!-- load:results:begin (written by deploy/bench/run_scenarios.sh) -->"
  echo "Measured $started_at on $cpu_model, $cpus CPUs, $ram RAM; $tree;"
  if [[ "${SKIP_BUILD:-0}" == 1 ]]; then
    build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' \
      "$build_dir/CMakeCache.txt" 2>/dev/null)"
    echo "binaries as built in $build_dir (${build_type:-unknown} build, SKIP_BUILD=1);"
    echo "loadgen, coachd and the baseline on the same machine"
  else
    echo "Release build; loadgen, coachd and the baseline on the same machine"
  fi
  echo "(loopback). Load average at start $load_at_start, at end $load_at_end;"
  echo "busy processes at start: ${others:-none}. Total time ${elapsed}s."
  if ((${#server_died[@]})); then
    echo
    echo "**A server process died during: ${server_died[*]}** (see the notes)."
  fi
  echo
  echo "Every coachd figure has its baseline measured in the same run, same"
  echo "loadgen flags; the headline is the ratio coachd / baseline. Events are"
  echo "the catalogue's \"demo\" session ($session_events events, mean"
  echo "serialized size $event_bytes bytes, which the baseline copies)."
  echo
  echo "Load averages after each run (coachd / baseline) are in the scenario"
  echo "column: above 2 means something else competed for the 2 cores."
  echo
  echo "| # | scenario | figure | coachd | baseline | ratio | target | |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| 1 | saturation, embedded ($sat_households households, time scale $sat_time_scale, ${sat_seconds}s; load $(load_of sat_embedded) / $(load_of sat_baseline)) | delivered events/s | $(fmt "$sat_c") | $(fmt "$sat_b") | $(ratio "$sat_c" "$sat_b") | >= 0.75 | $(verdict 'a >= 0.75' "$(ratio "$sat_c" "$sat_b")") |"
  echo "| | | latency p50 / p99 / p99.9 (ms) | $(latencies sat_embedded) | $(latencies sat_baseline) | | | |"
  echo "| | | live events only (made after their device subscribed; the rest replayed history): share of events, p50 / p99 / p99.9 (ms) | $(live sat_embedded) | $(live sat_baseline) | | | |"
  echo "| | | server CPU s (per 1k events, ms) | $(cpu sat_embedded) | $(cpu sat_baseline) | | | |"
  loadgen_cpu_row sat_embedded sat_baseline
  gaps_row sat_embedded sat_baseline
  echo "| | | ratio in each of $sat_rounds rounds (the median above) | | | $(round_ratios embedded) | | |"
  if [[ -n "$redis_note" ]]; then
    echo "| 2 | saturation, Redis | | $redis_note | | | | |"
  else
    echo "| 2 | saturation, Redis (same load; load $(load_of sat_redis) / $(load_of sat_baseline_r)) | delivered events/s | $(fmt "$sat_r") | $(fmt "$sat_br") | $(ratio "$sat_r" "$sat_br") | >= 0.6 | $(verdict 'a >= 0.6' "$(ratio "$sat_r" "$sat_br")") |"
    echo "| | | latency p50 / p99 / p99.9 (ms) | $(latencies sat_redis) | | | | |"
    echo "| | | live events only: share of events, p50 / p99 / p99.9 (ms) | $(live sat_redis) | | | | |"
    redis_rows sat_redis
    echo "| | | server CPU s (per 1k events, ms); redis-server CPU s | $(cpu sat_redis); $(fmt "$(field sat_redis redis_cpu_s)" 1) | | | | |"
    gaps_row sat_redis sat_baseline_r
    echo "| | | ratio in each of $sat_rounds rounds (the median above) | | | $(round_ratios redis) | | |"
  fi
  for n in $idle_sizes; do
    c="$(field "idle_${n}_coachd" idle_bytes_per_stream)"
    b="$(field "idle_${n}_baseline" idle_bytes_per_stream)"
    echo "| 3 | idle, $n sessions x 2 streams (load $(load_of "idle_${n}_coachd") / $(load_of "idle_${n}_baseline")) | resident bytes per stream (streams connected) | $(fmt "$c") ($(field "idle_${n}_coachd" idle_connected)) | $(fmt "$b") ($(field "idle_${n}_baseline" idle_connected)) | $(ratio "$c" "$b") | <= 1.2 | $(verdict 'a <= 1.2' "$(ratio "$c" "$b")") |"
    echo "| | | server RSS before / after streams (MiB) | $(awk -v a="$(field "idle_${n}_coachd" idle_rss_before_kb)" -v b="$(field "idle_${n}_coachd" idle_rss_after_kb)" 'BEGIN { printf "%.0f / %.0f", a/1024, b/1024 }') | $(awk -v a="$(field "idle_${n}_baseline" idle_rss_before_kb)" -v b="$(field "idle_${n}_baseline" idle_rss_after_kb)" 'BEGIN { printf "%.0f / %.0f", a/1024, b/1024 }') | | | |"
  done
  c="$(field storm_coachd storm_resumes_per_s)"
  b="$(field storm_baseline storm_resumes_per_s)"
  echo "| 4 | reconnect storm, $storm_households households ($((2 * storm_households)) streams, time scale $storm_time_scale; load $(load_of storm_coachd) / $(load_of storm_baseline)) | resumes/s | $(fmt "$c") | $(fmt "$b") | $(ratio "$c" "$b") | | |"
  echo "| | | first event after resume p50 / max (ms) | $(field storm_coachd storm_first_event_p50_ms) / $(field storm_coachd storm_first_event_max_ms) | $(field storm_baseline storm_first_event_p50_ms) / $(field storm_baseline storm_first_event_max_ms) | | | |"
  echo "| | | streams resumed | $(field storm_coachd storm_resumed) | $(field storm_baseline storm_resumed) | | all | |"
  gaps_row storm_coachd storm_baseline
  a="$(field stall_coachd stalled_a_p99_us)"
  bb="$(field stall_coachd stalled_b_p99_us)"
  echo "| 5 | $stall_households live sessions (time scale $stall_time_scale), ${repeat_rate} REPEAT/s into one (load $(load_of stall_coachd) / $(load_of stall_baseline)) | delivered events/s | $(fmt "$(field stall_coachd events_per_s)") | $(fmt "$(field stall_baseline events_per_s)") | | | |"
  echo "| | | others' p99 without the stalled one (ms) | $(us_to_ms "$a") | $(us_to_ms "$(field stall_baseline stalled_a_p99_us)") | $(ratio "$a" "$(field stall_baseline stalled_a_p99_us)") | < 10 | $(verdict 'a < 10' "$(us_to_ms "$a")") |"
  echo "| | | others' p99 with one stalled subscriber (ms) | $(us_to_ms "$bb") | $(us_to_ms "$(field stall_baseline stalled_b_p99_us)") | $(ratio "$bb" "$(field stall_baseline stalled_b_p99_us)") | < 10 | $(verdict 'a < 10' "$(us_to_ms "$bb")") |"
  echo "| | | control: others' p99 before / after a third subscriber that reads (ms; load $(load_of stall_control)) | $(us_to_ms "$(field stall_control stalled_a_p99_us)") / $(us_to_ms "$(field stall_control stalled_b_p99_us)") | | | | |"
  echo "| | | p50 / p99.9 without, with (ms) | $(us_to_ms "$(field stall_coachd stalled_a_p50_us)") / $(us_to_ms "$(field stall_coachd stalled_a_p999_us)"), $(us_to_ms "$(field stall_coachd stalled_b_p50_us)") / $(us_to_ms "$(field stall_coachd stalled_b_p999_us)") | $(us_to_ms "$(field stall_baseline stalled_a_p50_us)") / $(us_to_ms "$(field stall_baseline stalled_a_p999_us)"), $(us_to_ms "$(field stall_baseline stalled_b_p50_us)") / $(us_to_ms "$(field stall_baseline stalled_b_p999_us)") | | | |"
  echo "| | | stalled one: caught up with a snapshot / events after | $(field stall_coachd stalled_lag_snapshots) / $(field stall_coachd stalled_received) | $(field stall_baseline stalled_lag_snapshots) / $(field stall_baseline stalled_received) | | | |"
  echo "| | | server CPU s / RSS MiB | $(fmt "$(field stall_coachd server_cpu_s)" 1) / $(awk -v k="$(field stall_coachd server_rss_kb)" 'BEGIN { printf "%.0f", k/1024 }') | $(fmt "$(field stall_baseline server_cpu_s)" 1) / $(awk -v k="$(field stall_baseline server_rss_kb)" 'BEGIN { printf "%.0f", k/1024 }') | | | |"
  gaps_row stall_coachd stall_baseline
  lc="$(field live_embedded events_per_s)" lb="$(field live_baseline events_per_s)"
  p99c="$(field live_embedded live_latency_p99_us)" p99b="$(field live_baseline live_latency_p99_us)"
  echo "| 6 | saturation, live, embedded ($sat_households households, time scale $live_time_scale, ${sat_seconds}s; sessions start paused and are resumed once both streams are attached; load $(load_of live_embedded) / $(load_of live_baseline)) | delivered events/s | $(fmt "$lc") | $(fmt "$lb") | $(ratio "$lc" "$lb") | | |"
  p99m="$(median_ratio embedded live live_latency_p99_us)"
  echo "| | | live events (made after their device subscribed): share of events, p50 / p99 / p99.9 (ms) | $(live live_embedded) | $(live live_baseline) | $(ratio "$p99c" "$p99b") (p99); the rounds' median $p99m | <= 2 (the rounds' median) | $(verdict 'a <= 2' "$p99m") |"
  echo "| | | latency of all events p50 / p99 / p99.9 (ms) | $(latencies live_embedded) | $(latencies live_baseline) | | | |"
  echo "| | | server CPU s (per 1k events, ms) | $(cpu live_embedded) | $(cpu live_baseline) | $(ratio "$(field live_embedded server_cpu_per_kevent_ms)" "$(field live_baseline server_cpu_per_kevent_ms)") | | |"
  loadgen_cpu_row live_embedded live_baseline
  gaps_row live_embedded live_baseline
  echo "| | | ratio in each of $sat_rounds rounds, events/s; live p99 (the median by events/s above) | | | $(round_ratios embedded live); $(round_ratios embedded live live_latency_p99_us) | | |"
  if [[ -n "$redis_note" ]]; then
    echo "| 7 | saturation, live, Redis | | $redis_note | | | | |"
  else
    lr="$(field live_redis events_per_s)" lbr="$(field live_baseline_r events_per_s)"
    p99r="$(field live_redis live_latency_p99_us)" p99br="$(field live_baseline_r live_latency_p99_us)"
    echo "| 7 | saturation, live, Redis (same load; load $(load_of live_redis) / $(load_of live_baseline_r)) | delivered events/s | $(fmt "$lr") | $(fmt "$lbr") | $(ratio "$lr" "$lbr") | | |"
    p99m="$(median_ratio redis live live_latency_p99_us)"
    echo "| | | live events: share of events, p50 / p99 / p99.9 (ms) | $(live live_redis) | $(live live_baseline_r) | $(ratio "$p99r" "$p99br") (p99); the rounds' median $p99m | <= 2 (the rounds' median) | $(verdict 'a <= 2' "$p99m") |"
    redis_rows live_redis
    echo "| | | server CPU s (per 1k events, ms); redis-server CPU s | $(cpu live_redis); $(fmt "$(field live_redis redis_cpu_s)" 1) | $(cpu live_baseline_r) | $(ratio "$(field live_redis server_cpu_per_kevent_ms)" "$(field live_baseline_r server_cpu_per_kevent_ms)") | | |"
    gaps_row live_redis live_baseline_r
    echo "| | | ratio in each of $sat_rounds rounds, events/s; live p99 (the median by events/s above) | | | $(round_ratios redis live); $(round_ratios redis live live_latency_p99_us) | | |"
  fi
  echo
  echo "<details><summary>Raw loadgen JSON lines</summary>"
  echo
  echo '```'
  for f in $(for r in $(seq 1 "$sat_rounds"); do echo "sat_embedded_$r sat_baseline_$r sat_redis_$r"; done) $(for n in $idle_sizes; do echo "idle_${n}_coachd idle_${n}_baseline"; done) storm_coachd storm_baseline stall_coachd stall_control stall_baseline $(for r in $(seq 1 "$sat_rounds"); do echo "live_embedded_$r live_baseline_$r live_redis_$r"; done); do
    echo "$f $(cat "$work/$f.json" 2>/dev/null || echo '{}')"
  done
  echo '```'
  echo "</details>"
  echo "<!-- load:results:end -->"
} >"$work/results.md"

# --- merge into the document --------------------------------------------------
mkdir -p "$(dirname "$doc")"
if [[ -f "$doc" ]] && grep -q 'load:results:begin' "$doc"; then
  # Replace only the generated block.
  awk -v block="$work/results.md" '
    /load:results:begin/ { while ((getline line < block) > 0) print line; skip = 1; next }
    /load:results:end/ { skip = 0; next }
    !skip { print }' "$doc" >"$work/doc.md"
  cat "$work/doc.md" >"$doc"
else
  {
    if [[ -f "$doc" ]]; then
      cat "$doc"
      echo
    fi
    echo "## Load"
    echo
    echo "How fast and how lean coachd streams sessions, against a bare gRPC"
    echo "server on the same machine. Reproduce with"
    echo "\`deploy/bench/run_scenarios.sh\` (about 4 minutes of scenarios, after"
    echo "waiting up to 5 minutes for a quiet machine; it replaces the block below and"
    echo "keeps the notes after it)."
    echo
    cat "$work/results.md"
  } >"$work/doc.md"
  cat "$work/doc.md" >"$doc"
fi
log "wrote the Load section of $doc (${elapsed}s of scenarios)"
cat "$work/results.md"
