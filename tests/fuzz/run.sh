#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, into build-fuzz/) and
# runs each for SECONDS (default 10) from its seed corpus in
# tests/fuzz/corpus/NAME (what it finds goes to a scratch copy, never into
# the tree). Prints one line per harness: executions, coverage, corpus
# size. Exits non-zero on the first crash, leak or timeout, leaving the
# input that caused it in build-fuzz/crashes/NAME/; exits 77 (skipped)
# when clang++ cannot link a libFuzzer harness here.
#
#   tests/fuzz/run.sh 5      # a smoke (the test command runs 3 s each)
#   tests/fuzz/run.sh 600    # a longer run (figures in docs/SECURITY.md)
#   FUZZERS=jwt_fuzzer tests/fuzz/run.sh 60   # some of them
#   build-fuzz/tests/fuzz/rpc_fuzzer CRASH     # replay one input
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-10}"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
read -r -a fuzzers <<<"${FUZZERS:-jwt_fuzzer catalog_fuzzer rpc_fuzzer \
stored_record_fuzzer mqtt_command_fuzzer web_http_fuzzer}"

probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) {
  return 0; }' >"$probe/probe.cc"
if ! command -v clang++ >/dev/null ||
  ! clang++ -fsanitize=fuzzer,address,undefined "$probe/probe.cc" \
    -o "$probe/probe" 2>/dev/null; then
  echo "fuzz: skipped: clang++ with libFuzzer is not installed"
  exit 77
fi

export CCACHE_BASEDIR="$root"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_NOHASHDIR=1
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DCOACHD_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCOACHD_JEMALLOC=OFF -DCOACHD_WERROR=OFF >/dev/null
fi
if ! cmake --build "$build" -j "${JOBS:-2}" --target "${fuzzers[@]}" \
  >"$build/build.log" 2>&1; then
  tail -40 "$build/build.log" >&2
  echo "fuzz: the build failed (all of it in $build/build.log)" >&2
  exit 1
fi

for f in "${fuzzers[@]}"; do
  work="$build/corpus/$f"
  crashes="$build/crashes/$f"
  mkdir -p "$work" "$crashes"
  log="$build/$f.log"
  if ! "$build/tests/fuzz/$f" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$crashes/" "$work" "$root/tests/fuzz/corpus/$f" \
      >"$log" 2>&1; then
    echo "fuzz: $f FAILED (input in $crashes/):" >&2
    grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
    grep -o '[0-9]*$')
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$done_line" || true)
  echo "fuzz: $f ok: $runs executions in ${seconds}s, $cov edges, $ft" \
    "features, corpus $(ls "$work" | wc -l) inputs"
done
