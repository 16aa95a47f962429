#!/usr/bin/env bash
# Sets up (installs what is missing, builds everything) and runs every test:
# unit, gRPC (real channels on loopback), Redis (a real redis-server the
# tests start on a free loopback port), process tests and benchmark smokes.
# Works from any starting state; exits non-zero if anything fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$root/build}"
COACHD_TEST_DEPS=1 "$root/deploy/setup.sh"
# The browser tests' driver (puppeteer-core from npm, Debian's chromium):
# installed here once, never by tests running in parallel.
if [[ ! -d "$root/tests/web/node_modules/puppeteer-core" ]]; then
  (cd "$root/tests/web" && npm ci --no-audit --no-fund >/dev/null)
fi
cd "$BUILD_DIR"
ctest -j "${JOBS:-2}" --output-on-failure --timeout 300
