#!/usr/bin/env node
// Builds build/Release/omnidb.node with cmake-js. Runs as the package's `install` script,
// so on failure it must tell a user who never saw this repo what to install.
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
  console.error('omnidb: then run `npm run build` (or `bash scripts/bootstrap.sh` in a checkout).\n');
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
  console.error('omnidb: cmake-js / node-addon-api not installed: run `npm install` first.');
  process.exit(1);
}

// `binary.napi_versions` in package.json keeps cmake-js offline (node-api-headers, no download).
// NODE_EXECUTABLE: let CMake ask this same node for its include dir (uv.h) and node-addon-api.
const args = [cmakeJs, 'compile', '--directory', root, '--parallel', '2', `--CDNODE_EXECUTABLE=${process.execPath}`];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.error) explainFailure(r.error.message);
if (r.status !== 0) explainFailure(`cmake-js exited with ${r.status ?? r.signal}`);
if (!fs.existsSync(path.join(root, 'build/Release/omnidb.node'))) explainFailure('build/Release/omnidb.node was not produced');
console.log('omnidb: built build/Release/omnidb.node');
