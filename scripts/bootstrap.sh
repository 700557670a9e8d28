#!/usr/bin/env bash
# Brings a checkout to a runnable state: system packages, node_modules, the addon.
# Idempotent and cheap when nothing is missing: it runs before every `npm test` / `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

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
)
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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "bootstrap: installed ${missing[*]}"
fi

# ---- node_modules -------------------------------------------------------------
# `npm install`, not `npm ci`: npm ci fails on Jest's optional resolver packages missing
# from the lock (npm bug). npm install also runs our `install` script (scripts/install.js): in a
# checkout, with no prebuilds/, it builds the addon from source; the step below checks it is fresh.
stamp=node_modules/.package-lock.json
if [[ ! -e $stamp || package.json -nt $stamp || (-e package-lock.json && package-lock.json -nt $stamp) ]]; then
  echo "bootstrap: npm install"
  npm install --no-audit --no-fund
  touch "$stamp"  # npm may rewrite package-lock.json after it: keep the next run cheap
fi

# ---- the addon ------------------------------------------------------------------
addon=build/Release/omnidb.node
if [[ ! -e $addon ]] || [[ -n $(find src binding cmake CMakeLists.txt -newer "$addon" -print -quit 2>/dev/null) ]]; then
  echo "bootstrap: building $addon"
  node scripts/build.js
fi
