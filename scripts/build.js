#!/usr/bin/env node
// Builds build/Release/omnidb.node from source with cmake-js (`npm run build`; and
// scripts/install.js runs it where no prebuilt addon fits), so on failure it must tell a
// user who never saw this repo what to install.
//   node scripts/build.js [--out DIR] [--CDNAME=VALUE ...]   (DIR defaults to build/)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// Debian packages the addon build needs that are not on this machine.
function missingPackages() {
  const missing = [];
  if (!have('cmake')) missing.push('cmake');
  if (!have('g++') && !have('c++')) missing.push('g++');
  if (!have('make') && !have('ninja')) missing.push('make');
  if (!have('pkg-config')) missing.push('pkg-config');
  return missing;
}

// uv.h ships with NodeSource's `nodejs` package, and with `libnode-dev` for Debian's own nodejs.
function haveUvHeader() {
  const inc = path.resolve(process.execPath, '../../include/node/uv.h');
  return fs.existsSync(inc) || fs.existsSync('/usr/include/node/uv.h');
}

function explainFailure(what) {
  const missing = missingPackages();
  const sudo = process.getuid && process.getuid() === 0 ? '' : 'sudo ';
  console.error(`\nomnidb: building the native addon failed (${what}).`);
  if (missing.length) {
    console.error(`omnidb: missing build tools: ${missing.join(', ')}. On Debian/Ubuntu run:`);
    console.error(`  ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  }
  if (!haveUvHeader()) {
    console.error(`omnidb: Node's headers (uv.h) not found next to ${process.execPath}: install them`);
    console.error(`  (Debian's nodejs: ${sudo}apt-get install -y libnode-dev; NodeSource's nodejs ships them).`);
  }
  if (!missing.length && haveUvHeader()) {
    console.error('omnidb: cmake, a C++ compiler and Node headers are present; see the compiler output above.');
  }
  console.error('omnidb: then run `npm rebuild omnidb --build-from-source` in an app, `npm run build` in a checkout.\n');
  process.exit(1);
}

// Early in development (or in a broken checkout) there may be no glue yet: don't fail `npm install`.
const bindingDir = path.join(root, 'binding');
if (!fs.existsSync(bindingDir) || !fs.readdirSync(bindingDir).some((f) => f.endsWith('.cc'))) {
  console.warn('omnidb: no binding/*.cc yet, skipping the addon build');
  process.exit(0);
}

let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  require.resolve('node-addon-api', { paths: [root] });
} catch (e) {
  // They are devDependencies: an app that installed omnidb from the registry lacks them.
  console.error('omnidb: building from source needs cmake-js and node-addon-api (development tools, not ' +
    'installed with omnidb). In a checkout run `npm install`; in an app run\n' +
    '  npm install --no-save cmake-js@8 node-addon-api@8 && npm rebuild omnidb --build-from-source');
  process.exit(1);
}

// --out DIR and --CD* options pass through to cmake-js (scripts/prebuild.js uses them).
const argv = process.argv.slice(2);
const outIndex = argv.indexOf('--out');
const out = outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : path.join(root, 'build');
const passthrough = argv.filter((a, i) => i !== outIndex && i !== outIndex + 1);
for (const a of passthrough) {
  if (!a.startsWith('--CD')) {
    console.error(`omnidb: unknown build.js argument ${JSON.stringify(a)}: valid are --out DIR and --CDNAME=VALUE`);
    process.exit(2);
  }
}
const built = path.join(out, 'Release', 'omnidb.node');

// `binary.napi_versions` in package.json keeps cmake-js offline (node-api-headers, no download).
// NODE_EXECUTABLE: let CMake ask this same node for its include dir (uv.h) and node-addon-api.
const args = [cmakeJs, 'compile', '--directory', root, '--out', out, '--parallel', '2',
  `--CDNODE_EXECUTABLE=${process.execPath}`, ...passthrough];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.error) explainFailure(r.error.message);
if (r.status !== 0) explainFailure(`cmake-js exited with ${r.status ?? r.signal}`);
const shown = path.relative(root, built);
if (!fs.existsSync(built)) explainFailure(`${shown} was not produced`);
console.log(`omnidb: built ${shown}`);
