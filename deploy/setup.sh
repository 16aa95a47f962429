#!/usr/bin/env bash
# Installs what coachd needs to build, test and run (Debian 12 packages, only
# those missing), then configures and builds it with ccache.
#
#   deploy/setup.sh                # everything: server, clients, tests
#   deploy/setup.sh coachd coachctl voice display   # only these targets
#   COACHD_TEST_DEPS=1 deploy/setup.sh  # also what the tests drive (browser,
#                                       # clang, Node.js for the pages)
#
# Safe to run again from any state: apt-get runs only when a package is
# missing, and the build is incremental. BUILD_DIR (default: build) and
# JOBS (default: 2) can be set in the environment.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-2}"

packages=(
  build-essential cmake pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  grpc-proto libabsl-dev libhiredis-dev libssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libmosquitto-dev libevent-dev libpocketsphinx-dev pocketsphinx-en-us
  redis-server tzdata espeak-ng sox nginx mosquitto openssl
  redis-sentinel mosquitto-clients curl
)
# (sox: the speaker's microphone and loudspeaker, `rec` and `play`;
# redis-sentinel, mosquitto-clients and curl: deploy/stack.sh runs and
# checks the whole stack with them.)
# What only the tests use: a headless browser for the web pages, clang for
# fuzzing.
if [[ "${COACHD_TEST_DEPS:-0}" == 1 ]]; then
  packages+=(chromium clang libclang-rt-14-dev)
  # Node.js drives the browser (puppeteer-core); any Node.js 18+ will do, so
  # Debian's is installed only when there is none.
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# Keep ccache hits across build directories and clones.
export CCACHE_BASEDIR="$root"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
# Share hits between clones and worktrees (debug info names the first).
export CCACHE_NOHASHDIR=1

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if (($#)); then
  cmake --build "$build_dir" -j "$jobs" --target "$@"
else
  cmake --build "$build_dir" -j "$jobs"
fi
