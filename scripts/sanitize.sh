#!/usr/bin/env bash
# GoogleTest suite under AddressSanitizer + UndefinedBehaviorSanitizer (core only: the
# addon would need the ASan runtime preloaded into node). Debug keeps asserts and frames.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DASAN=ON -DUBSAN=ON -DOMNIDB_BUILD_TESTS=ON >/dev/null
cmake --build build-asan -j2

# detect_leaks=1: LeakSanitizer works in this sandbox (checked: it reports a planted leak).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One process per suite (not ctest's one per test): a single leak check at its exit.
# The core suite (no client library) and the probe suite; gtest.log holds both reports.
: >build-asan/gtest.log
for suite in omnidb_core_tests omnidb_probe_tests; do
  build-asan/$suite "$@" 2>&1 | tee -a build-asan/gtest.log
done
