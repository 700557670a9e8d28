#!/usr/bin/env bash
# Brings a checkout to a runnable state: system packages, node_modules, the addon.
# Idempotent and cheap when nothing is missing: it runs before every `npm test` / `npm run demo`.
#
# With OMNIDB_BOOTSTRAP_LOG=FILE (scripts/demo.sh sets it) each step prints one line and
# its output goes to FILE, which is shown only when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

quiet_log=${OMNIDB_BOOTSTRAP_LOG:-}
if [[ -n $quiet_log ]]; then : >"$quiet_log"; fi

# step "what" command...: runs the command; quiet, one line "what ... ok (N s)".
step() {
  local what=$1
  shift
  if [[ -z $quiet_log ]]; then
    "$@"
    return
  fi
  local t0=$SECONDS rc=0
  printf 'bootstrap: %s ... ' "$what"
  { echo "== $what: $*"; } >>"$quiet_log"
  "$@" >>"$quiet_log" 2>&1 || rc=$?
  if ((rc == 0)); then
    echo "ok ($((SECONDS - t0)) s)"
    return
  fi
  echo "FAILED (exit $rc)"
  echo "---- $quiet_log (last 60 lines) ----" >&2
  tail -n 60 "$quiet_log" >&2
  echo "---- full log: $quiet_log ----" >&2
  exit "$rc"
}
# One line for a step with nothing to do.
skip() {
  if [[ -n $quiet_log ]]; then echo "bootstrap: $1"; fi
}

# ---- system packages: "Debian package|check that it is installed" ----------
# File/command checks instead of dpkg: fast, and true for tools installed by other means too.
checks=(
  "cmake|command -v cmake"
  "make|command -v make"
  "g++|command -v g++"
  "pkg-config|command -v pkg-config"
  "libpq-dev|test -e /usr/include/postgresql/libpq-fe.h"
  "postgresql|compgen -G '/usr/lib/postgresql/*/bin/postgres'"
  "libhiredis-dev|test -e /usr/include/hiredis/hiredis.h"
  "redis-server|command -v redis-server"
  "libmariadb-dev|test -e /usr/include/mariadb/mysql.h"
  "mariadb-server|test -x /usr/sbin/mariadbd || command -v mariadbd"
  "libgtest-dev|test -e /usr/include/gtest/gtest.h"
  "clang-format|command -v clang-format"
  "clang-tidy|command -v clang-tidy"
)
# The test suite also renders the demo report in a headless browser.
if [[ ${OMNIDB_BOOTSTRAP_FOR:-} == test ]]; then
  checks+=("chromium|command -v chromium")
fi
missing=()
for c in "${checks[@]}"; do
  eval "${c#*|}" >/dev/null 2>&1 || missing+=("${c%%|*}")
done

if ((${#missing[@]})); then
  echo "bootstrap: missing system packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "bootstrap: install them and re-run:"
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
  fi
  # Debian's policy-rc.d keeps redis-server/postgresql/mariadb from starting: fine, tests start their own.
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get update -qq
  step "apt-get install ${missing[*]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [[ -z $quiet_log ]]; then echo "bootstrap: installed ${missing[*]}"; fi
else
  skip "system packages: present"
fi

# ---- node_modules -------------------------------------------------------------
# `npm install`, not `npm ci`: npm ci fails on Jest's optional resolver packages missing
# from the lock (npm bug). npm install also runs our `install` script (scripts/install.js): in a
# checkout, with no prebuilds/, it builds the addon from source; the step below checks it is fresh.
stamp=node_modules/.package-lock.json
if [[ ! -e $stamp || package.json -nt $stamp || (-e package-lock.json && package-lock.json -nt $stamp) ]]; then
  if [[ -z $quiet_log ]]; then echo "bootstrap: npm install"; fi
  step "npm install (and the addon build)" npm install --no-audit --no-fund
  touch "$stamp"  # npm may rewrite package-lock.json after it: keep the next run cheap
else
  skip "node_modules: up to date"
fi

# ---- the addon ------------------------------------------------------------------
addon=build/Release/omnidb.node
if [[ ! -e $addon ]] || [[ -n $(find src binding cmake CMakeLists.txt -newer "$addon" -print -quit 2>/dev/null) ]]; then
  if [[ -z $quiet_log ]]; then echo "bootstrap: building $addon"; fi
  step "building $addon" node scripts/build.js
else
  skip "addon: $addon up to date"
fi
