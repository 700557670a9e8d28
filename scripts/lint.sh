#!/usr/bin/env bash
# Linters (what `npm run lint` and the start of `npm test` run); any finding fails it.
#   ESLint over the JS (eslint.config.js), clang-format --dry-run and clang-tidy (src/ only,
#   .clang-tidy) over the C++, publint and attw over the packed tarball.
# `scripts/lint.sh --fix` (`npm run format`) instead rewrites: clang-format -i, eslint --fix.
set -euo pipefail
cd "$(dirname "$0")/.."

# The C++ that clang-format owns.
mapfile -t cxx < <(git ls-files -co --exclude-standard -- \
  'src/*.cc' 'src/*.h' 'binding/*.cc' 'binding/*.h' 'test/core/*.cc' 'test/core/*.h' \
  'test/probes/*.cc' 'test/probes/*.h')

if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${cxx[@]}"
  npx eslint --fix .
  echo "format: clang-format -i over ${#cxx[@]} files, eslint --fix"
  exit 0
fi

start=$SECONDS
step() { echo "== lint: $1"; step_start=$SECONDS; }
done_step() { echo "   ok ($((SECONDS - step_start)) s)"; }

step "eslint"
npx eslint --max-warnings 0 .
done_step

# .clang-format was tuned with clang-format 14 (Debian 12); another major version may
# format some lines differently.
step "clang-format $(clang-format --version | grep -oE '[0-9]+\.[0-9.]+' | head -1) (${#cxx[@]} files)"
clang-format --dry-run --Werror "${cxx[@]}"
done_step

step "clang-tidy (src/, -j2)"
# The compile database of the core/probes build (configure only; test.sh builds it next).
cmake -S . -B build-core -DCMAKE_BUILD_TYPE=Release -DOMNIDB_BUILD_TESTS=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
if command -v run-clang-tidy >/dev/null; then
  run-clang-tidy -p build-core -j2 -quiet "$PWD/src/" >build-core/clang-tidy.log 2>&1 \
    || { sed 's/\x1b\[[0-9;]*m//g' build-core/clang-tidy.log >&2; echo "lint: clang-tidy found problems" >&2; exit 1; }
else
  node -p "require('./build-core/compile_commands.json').map((e) => e.file).filter((f) => f.startsWith('$PWD/src/')).join('\n')" |
    xargs -P2 -n1 clang-tidy -p build-core --quiet >build-core/clang-tidy.log 2>&1 \
    || { cat build-core/clang-tidy.log >&2; echo "lint: clang-tidy found problems" >&2; exit 1; }
fi
done_step

step "publint + attw (npm pack --ignore-scripts)"
# --ignore-scripts: prepack would build the prebuilt addon; neither check reads the binary,
# only package.json, the file list, the entry points and the typings.
pack=$(mktemp -d)
trap 'rm -rf "$pack"' EXIT
npm pack --ignore-scripts --silent --pack-destination "$pack" >/dev/null
tarball=$(ls "$pack"/*.tgz)
publint_out=$(npx publint --strict "$tarball" 2>&1) || { echo "$publint_out" >&2; exit 1; }
# publint exits 0 on suggestions; a clean package has none.
if grep -qE '^(Suggestions|Warnings|Errors):' <<<"$publint_out"; then
  echo "$publint_out" >&2
  echo "lint: publint has findings" >&2
  exit 1
fi
npx attw --quiet "$tarball" || { npx attw "$tarball" >&2 || true; echo "lint: attw found problems" >&2; exit 1; }
done_step

echo "lint: clean ($((SECONDS - start)) s)"
