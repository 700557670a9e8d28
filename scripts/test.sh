#!/usr/bin/env bash
# Full test run (what CI runs): bootstrap, linters, GoogleTest core, sanitized core, Jest, tsd.
# Any failing step stops the script with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
trap 'echo "test.sh: FAILED (exit $?) at line $LINENO" >&2' ERR

OMNIDB_BOOTSTRAP_FOR=test bash scripts/bootstrap.sh

# First: a lint finding fails the run before anything is built.
echo "== lint"
bash scripts/lint.sh

echo "== core: GoogleTest (build-core, Release)"
cmake -S . -B build-core -DCMAKE_BUILD_TYPE=Release -DOMNIDB_BUILD_TESTS=ON >/dev/null
cmake --build build-core -j2
ctest --test-dir build-core --output-on-failure -j2 | tee build-core/ctest.log
# The boundary of src/core/: its suite links no client library, dynamically or statically.
if nm build-core/omnidb_core_tests | grep -qE ' [TtUu] (PQ[a-z]|redis[A-Z]|mysql_)'; then
  echo "test.sh: omnidb_core_tests links libpq, hiredis or libmariadb: src/core/ must not" >&2
  exit 1
fi
core=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' build-core/ctest.log)

echo "== core: ASan + UBSan (build-asan)"
bash scripts/sanitize.sh
# Two suites (core, probes): one PASSED line each.
asan=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' build-asan/gtest.log | awk '{ n += $1 } END { print n }')

echo "== jest"
npx jest --ci --json --outputFile=build-core/jest.json
jest=$(node -p "require('./build-core/jest.json').numPassedTests")

echo "== tsd (test/types)"
npx tsd
echo "tsd: ok"

echo "lint clean, core ${core:-?}, core+sanitizers ${asan:-?}, jest ${jest}, tsd ok"
echo "summary: $(( ${core:-0} + ${asan:-0} + jest )) passed, 0 failed"
