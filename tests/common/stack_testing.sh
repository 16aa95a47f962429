# shellcheck shell=bash
# Sourced by the shell tests of deploy/stack.sh (tests/e2e), after they set
# `test_name`.
#
# fail MESSAGE ends the test (exit 1) saying why.
fail() {
  echo "${test_name:-test}: FAIL: $*" >&2
  exit 1
}

# require_stack_binaries [MORE...] fails unless the stack's binaries (and
# MORE, paths under BUILD_DIR) are built: a test builds nothing.
require_stack_binaries() {
  local b
  for b in services/server/coachd clients/web/web_gateway \
    clients/homeassistant/homeassistant clients/coachctl/coachctl "$@"; do
    [[ -x "$BUILD_DIR/$b" ]] || fail "$BUILD_DIR/$b is not built"
  done
}
#
# free_port_range N prints the first of N
# consecutive loopback TCP ports that no socket uses now, chosen at random
# below the kernel's ephemeral range (where PickFreeLoopbackPort's ports
# and outgoing connections come from). Another process may still take one
# before the caller binds it: callers retry on another range when a server
# cannot bind.
free_port_range() {
  local n="$1" low high used base port ok
  read -r low high </proc/sys/net/ipv4/ip_local_port_range
  used=" $(ss -Htan | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }') "
  for _ in $(seq 1 100); do
    if ((low - n > 12000)); then
      base=$((10000 + (RANDOM * 32768 + RANDOM) % (low - n - 10000)))
    else
      base=$((high + 1 + (RANDOM * 32768 + RANDOM) % (65535 - high - n)))
    fi
    ok=1
    for ((port = base; port < base + n; port++)); do
      [[ "$used" == *" $port "* ]] && ok=0 && break
    done
    ((ok)) && echo "$base" && return 0
  done
  echo "free_port_range: no $n free consecutive ports in 100 tries" >&2
  return 1
}

# stack_leftovers STATE PID... prints "PID COMMAND" for each live process
# of the process groups these pids led (every part of deploy/stack.sh leads
# one; nginx's workers are in their master's), skipping a leader that is
# alive but not of the stack in STATE (its number was free and reused).
stack_leftovers() {
  local state="$1" pid member cmdline
  shift
  for pid in "$@"; do
    # An exiting leader has an empty command line: it is still the stack's.
    cmdline="$(_stack_cmdline "$pid")"
    if [[ -d "/proc/$pid" && "$(_stack_stat "$pid")" != Z && -n "$cmdline" &&
      "$cmdline" != *"$state/"* ]]; then
      continue
    fi
    # A member reaped between pgrep and the read of its stat has no stat
    # left: it is gone, as a zombie is.
    for member in $(pgrep -g "$pid"); do
      case "$(_stack_stat "$member")" in
        Z | "") ;;
        *) echo "$member $(_stack_cmdline "$member")" ;;
      esac
    done
  done
}
_stack_stat() { { awk '{ print $3 }' "/proc/$1/stat"; } 2>/dev/null || true; }
_stack_cmdline() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }
