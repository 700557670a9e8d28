#!/usr/bin/env bash
# The addon itself under AddressSanitizer + UndefinedBehaviorSanitizer: builds a copy of
# the checkout with -DASAN=ON -DUBSAN=ON (Debug) in a temp dir (outside the checkout, so
# Jest never sees a second package.json), then runs a Node
# script against it with the sanitizer runtimes preloaded into node (leak checks off:
# node itself keeps memory until exit). Default script: the MySQL probe's paths.
#   bash scripts/sanitize-addon.sh [test/sanitize/<script>.js]
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:-test/sanitize/mysql-probe-paths.js}
tree=$(mktemp -d "${TMPDIR:-/tmp}/omnidb-asan-addon-XXXXXX")
trap 'rm -rf "$tree"' EXIT
# The sources as they are in this working tree (committed or not), without build output.
for d in src binding lib test/harness test/sanitize; do
  mkdir -p "$tree/$(dirname "$d")"
  cp -a "$d" "$tree/$d"
done
cp -a CMakeLists.txt package.json "$tree/"
ln -sfn "$PWD/node_modules" "$tree/node_modules"

node node_modules/cmake-js/bin/cmake-js compile --directory "$tree" --out "$tree/build" --parallel 2 \
  --CDNODE_EXECUTABLE="$(command -v node)" --CDASAN=ON --CDUBSAN=ON -D >"$tree/build.log" 2>&1 ||
  { tail -30 "$tree/build.log"; exit 1; }
mkdir -p "$tree/build/Release"
ln -sfn ../Debug/omnidb.node "$tree/build/Release/omnidb.node"

LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  node "$tree/$script"
