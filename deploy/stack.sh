#!/usr/bin/env bash
# The whole coachd stack on one machine, every part on loopback: Redis (a
# primary and a replica) with three Sentinels, three coachd replicas on
# sentinel://, nginx in front (gRPC and the web pages on ONE address, TLS),
# the web gateway, mosquitto and the Home Assistant bridge.
#
#   deploy/stack.sh up        # start what is not running; wait until all is
#                             # healthy; print the address clients use
#   deploy/stack.sh status    # each part: pid, port, healthy or not
#                             # (exit 1 if any part is not healthy)
#   deploy/stack.sh down      # stop everything it started (SIGTERM, then
#                             # SIGKILL after COACHD_STACK_KILL_AFTER s)
#   deploy/stack.sh check PART...  # exit 1 unless these parts are healthy
#   deploy/stack.sh pid PART  # the pid of a running part (exit 1: none)
#   deploy/stack.sh port PART # the port of a part
#   deploy/stack.sh exit PART # how a coachd replica last ended: its exit
#                             # status (exit 1: still running, or unknown)
#
# Everything it writes (configs, pid files, logs, the secret, the test CA,
# Redis data) is under COACHD_STACK_DIR (default: .stack in the checkout,
# gitignored). Settings, read at the first `up` and kept in
# COACHD_STACK_DIR/stack.env for the later commands:
#   COACHD_STACK_PORT        first of 16 consecutive ports (default 7100)
#   COACHD_STACK_TIME_SCALE  coachd --time_scale (default 1)
#   COACHD_STACK_LEASE_TTL   coachd --lease_ttl (default 3s)
#   COACHD_STACK_DOWN_AFTER_MS, COACHD_STACK_FAILOVER_TIMEOUT_MS
#                            Sentinel's timeouts (default 5000, 10000)
#   COACHD_STACK_PEOPLE      whom the bridge serves (default alice)
#   COACHD_STACK_COACHD_FLAGS more coachd flags (default none)
# COACHD_STACK_WAIT (default 90) bounds how long `up` waits for health.
# It uses the binaries deploy/setup.sh builds (BUILD_DIR, default build/),
# running setup first only when one is missing. `up` is idempotent: a part
# that died is started again (Redis as a replica of the current primary).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$(realpath -m "${COACHD_STACK_DIR:-$root/.stack}")"
run="$state/run"
logs="$state/logs"
master="coachd"
parts=(redis-a redis-b sentinel-1 sentinel-2 sentinel-3 coachd-1 coachd-2
  coachd-3 nginx web-gateway mosquitto ha-bridge)

die() {
  echo "stack: $*" >&2
  exit 2
}

# Settings: the saved ones win over the environment.
load_settings() {
  if [[ -f "$state/stack.env" ]]; then
    # shellcheck source=/dev/null
    source "$state/stack.env"
    return
  fi
  base="${COACHD_STACK_PORT:-7100}"
  time_scale="${COACHD_STACK_TIME_SCALE:-1}"
  lease_ttl="${COACHD_STACK_LEASE_TTL:-3s}"
  down_after="${COACHD_STACK_DOWN_AFTER_MS:-5000}"
  failover_timeout="${COACHD_STACK_FAILOVER_TIMEOUT_MS:-10000}"
  people="${COACHD_STACK_PEOPLE:-alice}"
  coachd_flags="${COACHD_STACK_COACHD_FLAGS:-}"
  if ! [[ "$base" =~ ^[0-9]+$ ]] || ((base < 1024 || base + 15 > 65535)); then
    die "COACHD_STACK_PORT: want a port from 1024 to 65520, got \"$base\""
  fi
}

save_settings() {
  [[ -f "$state/stack.env" ]] && return
  local name
  for name in base time_scale lease_ttl down_after failover_timeout people \
    coachd_flags; do
    printf '%s=%q\n' "$name" "${!name}"
  done >"$state/stack.env"
}

# Ports: nginx on the base, then coachd (gRPC, then metrics), Redis,
# Sentinels, the gateway and mosquitto, then the gateway's and the bridge's
# metrics. The bridge listens on nothing else.
port_of() {
  case "$1" in
    nginx) echo "$base" ;;
    coachd-[1-3]) echo $((base + ${1#coachd-})) ;;
    metrics-[1-3]) echo $((base + 3 + ${1#metrics-})) ;;
    redis-a) echo $((base + 7)) ;;
    redis-b) echo $((base + 8)) ;;
    sentinel-[1-3]) echo $((base + 8 + ${1#sentinel-})) ;;
    web-gateway) echo $((base + 12)) ;;
    mosquitto) echo $((base + 13)) ;;
    web-metrics) echo $((base + 14)) ;;
    ha-metrics) echo $((base + 15)) ;;
    ha-bridge) echo "-" ;;
    *) die "no part named \"$1\" (parts: ${parts[*]})" ;;
  esac
}

sentinel_url() {
  echo "sentinel://127.0.0.1:$(port_of sentinel-1),127.0.0.1:$(port_of \
    sentinel-2),127.0.0.1:$(port_of sentinel-3)/$master"
}

# The pid of PART if it runs and is ours (its command line names the state
# directory: a recycled pid is not), else nothing and status 1.
pid_of() {
  local file="$run/$1.pid" pid cmdline
  [[ -s "$file" ]] || return 1
  pid="$(<"$file")"
  cmdline="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$state/"* ]] || return 1
  echo "$pid"
}

# Every process left of PART: each part leads its own process group, and
# what it forks stays there (nginx's workers, which outlive a kill -9 of
# their master). When the leader is gone, what is left in its group is
# still ours: Linux gives no new process a pid that is a live group's id.
group_of() {
  local file="$run/$1.pid" pid stat cmdline member left=""
  [[ -s "$file" ]] || return 1
  pid="$(<"$file")"
  stat="$({ sed 's/.*) //' "/proc/$pid/stat"; } 2>/dev/null)" || stat=""
  cmdline="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" || cmdline=""
  # A process that is exiting has no command line left (nor has a zombie):
  # it is still ours until it is gone. One whose command line does not name
  # the state directory is another program's now (a recycled pid).
  if [[ -n "$stat" && "${stat:0:1}" != Z && -n "$cmdline" &&
    "$cmdline" != *"$state/"* ]]; then
    return 1
  fi
  for member in $(pgrep -g "$pid"); do
    stat="$({ sed 's/.*) //' "/proc/$member/stat"; } 2>/dev/null)" || continue
    [[ "${stat:0:1}" == Z ]] || left+="$member "
  done
  [[ -n "$left" ]] && echo "$left"
}

# Sends SIGNAL to PART's group; false when nothing of it is left.
signal_part() {
  local pid
  group_of "$1" >/dev/null || return 1
  pid="$(<"$run/$1.pid")"
  kill "-$2" -- "-$pid" 2>/dev/null || true
}

# Starts CMD... detached (its own session: a closed terminal or Ctrl-C does
# not stop it), output appended to the part's log, pid in run/PART.pid.
launch() {
  local part="$1"
  shift
  echo "== $(date -u +%FT%TZ) stack: $*" >>"$logs/$part.log"
  setsid "$@" >>"$logs/$part.log" 2>&1 </dev/null &
  echo $! >"$run/$part.pid"
}

# launch, for coachd: a waiter (bash, in a session of its own) starts CMD...
# as its child and records its exit status in run/PART.exit when it ends
# (deploy/chaos.sh wants 0 from a replica stopped by SIGTERM). CMD leads its
# own process group as every part does; run/PART.pid holds its pid.
launch_waited() {
  local part="$1" i
  shift
  echo "== $(date -u +%FT%TZ) stack: $*" >>"$logs/$part.log"
  rm -f "$run/$part.pid" "$run/$part.exit"
  # shellcheck disable=SC2016  # Expanded by the waiter.
  setsid bash -c 'setsid "${@:3}" & echo $! >"$1.tmp" && mv "$1.tmp" "$1"
    wait $!; echo $? >"$2"' waiter "$run/$part.pid" "$run/$part.exit" "$@" \
    >>"$logs/$part.log" 2>&1 </dev/null &
  for ((i = 0; i < 100; i++)); do
    [[ -s "$run/$part.pid" ]] && return
    sleep 0.05
  done
  die "$part: its waiter wrote no pid in 5 s"
}

rcli() {
  local port="$1"
  shift
  timeout 2 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# The primary's port as the Sentinels name it (asking the running ones,
# else reading the config they rewrite on a failover); redis-a's at first.
primary_port() {
  local s reply port
  for s in 1 2 3; do
    reply="$(rcli "$(port_of "sentinel-$s")" SENTINEL \
      get-master-addr-by-name "$master")" || continue
    port="$(sed -n 2p <<<"$reply")"
    [[ "$port" =~ ^[0-9]+$ ]] && echo "$port" && return
  done
  for s in 1 2 3; do
    [[ -f "$state/sentinel-$s/sentinel.conf" ]] || continue
    port="$(awk -v m="$master" '$1 == "sentinel" && $2 == "monitor" &&
      $3 == m { print $5 }' "$state/sentinel-$s/sentinel.conf")"
    [[ "$port" =~ ^[0-9]+$ ]] && echo "$port" && return
  done
  port_of redis-a
}

start_redis() {
  local dir="$state/$1" port primary
  port="$(port_of "$1")"
  primary="$(primary_port)"
  mkdir -p "$dir"
  {
    echo "include $root/deploy/redis/redis.conf"
    echo "port $port"
    echo "dir $dir"
    echo "appenddirname aof"
    # Keep the command line (it names this file: pid_of checks it).
    echo "set-proc-title no"
    # A replica syncs at once instead of 5 s later.
    echo "repl-diskless-sync-delay 0"
    if [[ "$primary" != "$port" ]]; then
      echo "replicaof 127.0.0.1 $primary"
    fi
  } >"$dir/redis.conf"
  launch "$1" redis-server "$dir/redis.conf"
}

# A Sentinel's file is written once; Sentinel keeps it up to date after.
start_sentinel() {
  local dir="$state/$1"
  mkdir -p "$dir"
  if [[ ! -f "$dir/sentinel.conf" ]]; then
    cat >"$dir/sentinel.conf" <<EOF
bind 127.0.0.1
port $(port_of "$1")
dir $dir
set-proc-title no
sentinel resolve-hostnames no
sentinel monitor $master 127.0.0.1 $(primary_port) 2
sentinel down-after-milliseconds $master $down_after
sentinel failover-timeout $master $failover_timeout
sentinel parallel-syncs $master 1
EOF
  fi
  launch "$1" redis-sentinel "$dir/sentinel.conf"
}

start_coachd() {
  local n="${1#coachd-}"
  # shellcheck disable=SC2086  # COACHD_STACK_COACHD_FLAGS: words.
  launch_waited "$1" "$bin/services/server/coachd" \
    --listen="127.0.0.1:$(port_of "$1")" --port_file="$run/$1.port" \
    --metrics_listen="127.0.0.1:$(port_of "metrics-$n")" \
    --auth_secret_file="$state/secret" --redis="$(sentinel_url)" \
    --lease_ttl="$lease_ttl" --time_scale="$time_scale" $coachd_flags
}

start_nginx() {
  local dir="$state/nginx"
  mkdir -p "$dir"
  sed -e "s|127.0.0.1:8443|127.0.0.1:$(port_of nginx)|" \
    -e "s|127.0.0.1:50051|127.0.0.1:$(port_of coachd-1)|" \
    -e "s|127.0.0.1:50052|127.0.0.1:$(port_of coachd-2)|" \
    -e "s|127.0.0.1:50053|127.0.0.1:$(port_of coachd-3)|" \
    -e "s|127.0.0.1:8080|127.0.0.1:$(port_of web-gateway)|" \
    -e "s|/etc/coachd/tls/|$state/tls/|" \
    -e "s|worker_connections 16384;|worker_connections 4096;|" \
    "$root/deploy/nginx/coachd-stack.conf" >"$dir/nginx.conf"
  launch nginx /usr/sbin/nginx -p "$dir/" -e stderr -c "$dir/nginx.conf" \
    -g "daemon off;"
}

start_web-gateway() {
  mkdir -p "$state/web-gateway"
  launch web-gateway "$bin/clients/web/web_gateway" \
    --listen="127.0.0.1:$(port_of web-gateway)" \
    --coachd="127.0.0.1:$(port_of nginx)" --tls_ca_file="$state/tls/ca.pem" \
    --sessions_file="$state/web-gateway/sessions" --secure_cookies \
    --port_file="$run/web-gateway.port" \
    --metrics_listen="127.0.0.1:$(port_of web-metrics)"
}

start_mosquitto() {
  mkdir -p "$state/mosquitto"
  printf '%s\n' "listener $(port_of mosquitto) 127.0.0.1" \
    "allow_anonymous true" "persistence false" "log_dest stderr" \
    "connection_messages false" \
    >"$state/mosquitto/mosquitto.conf"
  launch mosquitto mosquitto -c "$state/mosquitto/mosquitto.conf"
}

start_ha-bridge() {
  launch ha-bridge "$bin/clients/homeassistant/homeassistant" \
    --target="127.0.0.1:$(port_of nginx)" --tls_ca_file="$state/tls/ca.pem" \
    --secret_file="$state/secret" --people="$people" --bridge_id=stack \
    --mqtt_host=127.0.0.1 --mqtt_port="$(port_of mosquitto)" \
    --metrics_listen="127.0.0.1:$(port_of ha-metrics)"
}

start_part() {
  case "$1" in
    redis-*) start_redis "$1" ;;
    sentinel-*) start_sentinel "$1" ;;
    coachd-*) start_coachd "$1" ;;
    *) "start_$1" ;;
  esac
}

# gRPC health (the overall service) of URL, with curl's other options:
# SERVING, NOT_SERVING or "no answer". The request is an empty
# HealthCheckRequest in its 5-byte gRPC frame; SERVING is status 1.
grpc_health() {
  local url="$1" reply
  shift
  reply="$(curl -sS --max-time 3 "$@" -H 'content-type: application/grpc' \
    -H 'te: trailers' --data-binary "@$run/health.req" \
    "$url/grpc.health.v1.Health/Check" 2>/dev/null | od -An -tx1 |
    tr -d ' \n')" || true
  case "$reply" in
    00000000020801) echo SERVING ;;
    00000000020802) echo NOT_SERVING ;;
    *) echo "no answer" ;;
  esac
}

# Whether PART answers as it should; `detail` says what was seen.
detail=""
healthy() {
  local part="$1" port reply link
  port="$(port_of "$part")"
  if ! pid_of "$part" >/dev/null; then
    detail="not running"
    return 1
  fi
  case "$part" in
    redis-*)
      reply="$(rcli "$port" ROLE | head -n 1)"
      if [[ "$reply" == master ]]; then
        detail="primary"
      elif [[ "$reply" == slave ]]; then
        link="$(rcli "$port" INFO replication | tr -d '\r' |
          awk -F: '$1 == "master_port" { p = $2 }
            $1 == "master_link_status" { s = $2 } END { print p " " s }')"
        detail="replica of :${link% *}, link ${link#* }"
        [[ "$link" == *" up" ]]
      else
        detail="no answer to ROLE"
        return 1
      fi
      ;;
    sentinel-*)
      reply="$(rcli "$port" SENTINEL get-master-addr-by-name "$master" |
        sed -n 2p)"
      detail="primary :${reply:-?}, "
      if [[ -z "$reply" ]]; then
        detail+="none known"
        return 1
      fi
      reply="$(rcli "$port" SENTINEL ckquorum "$master")" || reply=""
      if [[ "$reply" == OK* ]]; then detail+="quorum reachable"; else
        detail+="quorum: ${reply:-no answer}"
        return 1
      fi
      ;;
    coachd-*)
      detail="$(grpc_health "http://127.0.0.1:$port" --http2-prior-knowledge)"
      [[ "$detail" == SERVING ]]
      ;;
    nginx)
      reply="$(grpc_health "https://127.0.0.1:$port" --http2 \
        --cacert "$state/tls/ca.pem")"
      detail="gRPC $reply, "
      link="$(curl -sS --max-time 3 --cacert "$state/tls/ca.pem" \
        "https://127.0.0.1:$port/healthz" 2>/dev/null)" || link=""
      detail+="gateway ${link:-no answer}"
      [[ "$reply" == SERVING && "$link" == ok ]]
      ;;
    web-gateway)
      reply="$(curl -sS --max-time 3 "http://127.0.0.1:$port/healthz" \
        2>/dev/null)" || reply=""
      detail="/healthz ${reply:-no answer}"
      [[ "$reply" == ok ]]
      ;;
    mosquitto)
      if timeout 3 mosquitto_pub -h 127.0.0.1 -p "$port" -t coachd/stack/ping \
        -m ping -q 1 >/dev/null 2>&1; then detail="publishes"; else
        detail="refuses a publish"
        return 1
      fi
      ;;
    ha-bridge)
      reply="$(timeout 4 mosquitto_sub -h 127.0.0.1 -p "$(port_of mosquitto)" \
        -t coachd/bridge/stack/availability -C 1 -W 3 2>/dev/null)" || true
      detail="availability ${reply:-unknown}"
      [[ "$reply" == online ]]
      ;;
  esac
}

# Checks the parts named at once (each check takes a few process starts);
# afterwards verdict[PART] is ok or bad and details[PART] what was seen.
declare -A verdict details
check_parts() {
  local part checkers=()
  mkdir -p "$run/health"
  for part in "$@"; do
    (if healthy "$part"; then echo "ok $detail"; else echo "bad $detail"; fi) \
      >"$run/health/$part" &
    checkers+=($!)
  done
  wait "${checkers[@]}" || true # Not `wait`: parts started here are children.
  for part in "$@"; do
    read -r "verdict[$part]" "details[$part]" <"$run/health/$part" ||
      verdict[$part]=bad
  done
}

# Waits until every part named is healthy; false (naming each that is not)
# when COACHD_STACK_WAIT seconds pass.
wait_healthy() {
  local deadline=$((SECONDS + ${COACHD_STACK_WAIT:-90})) part pending
  while :; do
    check_parts "$@"
    pending=()
    for part in "$@"; do
      [[ "${verdict[$part]}" == ok ]] || pending+=("$part")
    done
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      for part in "${pending[@]}"; do
        echo "stack: $part is not healthy: ${details[$part]}" \
          "(log: $logs/$part.log)" >&2
      done
      return 1
    fi
    set -- "${pending[@]}"
    sleep 0.2
  done
}

need_tools() {
  local tool missing=()
  for tool in redis-server redis-sentinel redis-cli mosquitto mosquitto_pub \
    mosquitto_sub curl openssl setsid timeout od; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [[ -x /usr/sbin/nginx ]] || missing+=(/usr/sbin/nginx)
  ((${#missing[@]} == 0)) ||
    die "missing ${missing[*]}: run deploy/setup.sh (it installs them)"
}

# The binaries deploy/setup.sh builds; setup runs only when one is missing.
find_binaries() {
  bin="${BUILD_DIR:-$root/build}"
  local b
  for b in services/server/coachd clients/web/web_gateway \
    clients/homeassistant/homeassistant clients/coachctl/coachctl; do
    if [[ ! -x "$bin/$b" ]]; then
      BUILD_DIR="$bin" "$root/deploy/setup.sh" coachd web_gateway \
        homeassistant coachctl
      return
    fi
  done
}

# A CA and a certificate for 127.0.0.1 and localhost, made once.
make_tls() {
  local dir="$state/tls"
  [[ -s "$dir/server.pem" ]] && return
  mkdir -p "$dir"
  (
    umask 077
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -nodes -days 365 -subj /CN=coachd-stack-ca -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj /CN=127.0.0.1 -keyout server.key -out server.csr
    echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
    openssl x509 -req -days 365 -in server.csr -CA ca.pem -CAkey ca.key \
      -CAcreateserial -extfile server.ext -out server.pem
  ) >"$logs/tls.log" 2>&1 || die "openssl failed: $(cat "$logs/tls.log")"
  chmod 644 "$dir/ca.pem"
}

cmd_up() {
  need_tools
  find_binaries
  mkdir -p "$run" "$logs"
  save_settings
  if [[ ! -s "$state/secret" ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
      >"$state/secret" && echo >>"$state/secret")
  fi
  make_tls
  printf '\0\0\0\0\0' >"$run/health.req"
  local part started=()
  for part in "${parts[@]}"; do
    if ! pid_of "$part" >/dev/null; then
      # What a dead part left (nginx's workers hold its port) goes first.
      [[ -n "$(group_of "$part")" ]] && stop_parts "$part"
      start_part "$part"
      started+=("$part")
    fi
    # The replica needs the primary; the Sentinels both servers.
    [[ "$part" == redis-b ]] && { wait_healthy redis-a redis-b || exit 1; }
  done
  ((${#started[@]})) && echo "stack: started ${started[*]}"
  wait_healthy "${parts[@]}" || exit 1
  local address
  address="127.0.0.1:$(port_of nginx)"
  echo "$address" >"$state/address"
  cat <<EOF
stack: up; state, logs and the secret in $state
address: $address  (gRPC over TLS, and https://$address/ for browsers)
  CA $state/tls/ca.pem, secret $state/secret

  $bin/clients/coachctl/coachctl exercises --target=$address \\
    --tls_ca_file=$state/tls/ca.pem --secret_file=$state/secret --sub=alice
  curl --cacert $state/tls/ca.pem https://$address/healthz
  MQTT: 127.0.0.1:$(port_of mosquitto) (Home Assistant's broker; the bridge serves $people)
  metrics (Prometheus, GET /metrics): coachd 127.0.0.1:$(port_of metrics-1),$(port_of metrics-2),$(port_of metrics-3);
    web gateway 127.0.0.1:$(port_of web-metrics); bridge 127.0.0.1:$(port_of ha-metrics)
EOF
}

cmd_status() {
  [[ -d "$run" ]] || die "no stack in $state (deploy/stack.sh up starts one)"
  local part pid bad=0 state_word
  printf '%-12s %-8s %-6s %s\n' PART PID PORT STATE
  check_parts "${parts[@]}"
  for part in "${parts[@]}"; do
    pid="$(pid_of "$part")" || pid="-"
    state_word="healthy"
    if [[ "${verdict[$part]}" != ok ]]; then
      state_word="NOT HEALTHY"
      bad=1
    fi
    printf '%-12s %-8s %-6s %s: %s\n' "$part" "$pid" "$(port_of "$part")" \
      "$state_word" "${details[$part]}"
  done
  if [[ -s "$state/address" ]]; then
    echo "address: $(<"$state/address")"
  fi
  return "$bad"
}

# SIGTERM to the parts named, SIGKILL to what is left of them after
# COACHD_STACK_KILL_AFTER seconds (coachd's shutdown grace is 5 s).
stop_parts() {
  local part deadline phase left=()
  for part in "$@"; do signal_part "$part" TERM || true; done
  deadline=$((SECONDS + ${COACHD_STACK_KILL_AFTER:-15}))
  for phase in term kill; do
    while :; do
      left=()
      for part in "$@"; do
        [[ -n "$(group_of "$part")" ]] && left+=("$part")
      done
      ((${#left[@]} == 0 || SECONDS >= deadline)) && break
      sleep 0.1
    done
    ((${#left[@]} == 0)) || [[ "$phase" == kill ]] && break
    echo "stack: ${left[*]} still running after SIGTERM; SIGKILL" >&2
    for part in "${left[@]}"; do signal_part "$part" KILL || true; done
    deadline=$((SECONDS + 5))
  done
  for part in "$@"; do
    [[ -n "$(group_of "$part")" ]] || rm -f "$run/$part.pid"
  done
  ((${#left[@]} == 0)) || die "could not stop ${left[*]}"
}

cmd_down() {
  [[ -d "$run" ]] || {
    echo "stack: nothing to stop in $state"
    return 0
  }
  # The Sentinels go before the servers, so that no failover starts.
  stop_parts ha-bridge web-gateway nginx mosquitto coachd-1 coachd-2 coachd-3 \
    sentinel-1 sentinel-2 sentinel-3
  stop_parts redis-b redis-a
  rm -f "$state/address"
  echo "stack: down (state kept in $state)"
}

load_settings
case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  check)
    shift
    check_parts "$@"
    for part in "$@"; do
      [[ "${verdict[$part]}" == ok ]] ||
        die "$part is not healthy: ${details[$part]}"
    done
    ;;
  pid) pid_of "${2:?pid PART}" ;;
  exit)
    [[ -s "$run/${2:?exit PART}.exit" ]] || exit 1
    cat "$run/$2.exit"
    ;;
  port) port_of "${2:?port PART}" ;;
  *) die "usage: deploy/stack.sh up|down|status|check PART...|pid PART|port PART|exit PART" ;;
esac
