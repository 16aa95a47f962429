#!/usr/bin/env bash
# The test suite under the sanitizers, with clang:
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer)
#         in build-asan/, with the flags of the fuzz build (-DCOACHD_FUZZ=ON:
#         the same objects serve both through ccache; the coverage
#         instrumentation only costs a little time);
#   tsan  ThreadSanitizer in build-tsan/ (-DCOACHD_SANITIZE=thread).
# Each builds, then runs ctest; the first report fails its test. Too long
# for the CI's time on 2 cores (docs/SECURITY.md has the figures), so it is
# run by hand; docs/SECURITY.md records the last clean run.
#
#   tests/sanitizers.sh                 # both, every test
#   tests/sanitizers.sh asan            # one of them
#   TSAN_TESTS="session_hub_test timer_driver_test" tests/sanitizers.sh tsan
#       # only these test binaries (built and run; ctest -R by prefix)
#   tests/sanitizers.sh tsan -R Hub     # extra arguments go to ctest
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
which="${1:-all}"
shift || true
export CCACHE_BASEDIR="$root"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_NOHASHDIR=1
# Fail on the first report, with a stack. TSan: tests/sanitizers/tsan.supp
# names races inside uninstrumented third-party code only.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
# LeakSanitizer: tests/sanitizers/lsan.supp names leaks inside third-party
# libraries only.
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp:${TSAN_OPTIONS:-}"

run() {
  local name="$1"
  shift
  local build="$root/build-$name"
  local -a flags targets=() filter=()
  case "$name" in
    asan) flags=(-DCOACHD_FUZZ=ON) ;;
    tsan) flags=(-DCOACHD_SANITIZE=thread) ;;
  esac
  local tests_var="${name^^}_TESTS"
  if [[ -n "${!tests_var:-}" ]]; then
    read -r -a targets <<<"${!tests_var}"
    filter=(-R "^($(IFS='|'; echo "${targets[*]}"))\\.")
  fi
  echo "sanitizers: $name in $build ${targets[*]:-(every test)}"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ "${flags[@]}" -DCOACHD_JEMALLOC=OFF \
    -DCOACHD_WERROR=OFF >/dev/null
  local start=$SECONDS
  if ((${#targets[@]})); then
    cmake --build "$build" -j "${JOBS:-2}" --target "${targets[@]}"
  else
    cmake --build "$build" -j "${JOBS:-2}"
  fi
  echo "sanitizers: $name built in $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$build" && ctest -j "${JOBS:-2}" --output-on-failure --timeout 900 \
    -LE fuzz "${filter[@]}" "$@")
  echo "sanitizers: $name tests passed in $((SECONDS - start)) s"
}

case "$which" in
  asan | tsan) run "$which" "$@" ;;
  all)
    run asan "$@"
    run tsan "$@"
    ;;
  *)
    echo "usage: tests/sanitizers.sh [asan|tsan|all] [ctest args]" >&2
    exit 2
    ;;
esac
