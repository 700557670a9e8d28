#!/usr/bin/env bash
# Bootstrap (system packages, node_modules, addon), quietly: one line per step, the
# full output in build/demo-bootstrap.log (shown when a step fails). Then the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
OMNIDB_BOOTSTRAP_LOG="$PWD/build/demo-bootstrap.log" bash scripts/bootstrap.sh
exec node examples/demo.js "$@"
