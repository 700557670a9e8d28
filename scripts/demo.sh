#!/usr/bin/env bash
# Bootstrap (system packages, node_modules, addon), then the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node examples/demo.js "$@"
