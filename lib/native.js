'use strict';
// Loads the native addon: a local build (build/Release/omnidb.node, made by `npm run build`
// or by a from-source install) when there is one, else the prebuilt binary shipped in the
// package for this platform (prebuilds/<platform>-<arch>/omnidb.napi.node, N-API, so one
// file serves every Node major). Nothing is compiled at run time; a failure says how to fix it.
const path = require('path');
const fs = require('fs');

const root = path.join(__dirname, '..');
const local = path.join(root, 'build', 'Release', 'omnidb.node');
const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'omnidb.napi.node');

// Which file to load, or undefined.
function candidate() {
  if (fs.existsSync(local)) return local;
  if (fs.existsSync(prebuild)) return prebuild;
  return undefined;
}

function load() {
  const file = candidate();
  let err;
  if (file !== undefined) {
    try {
      return require(file);
    } catch (e) {
      err = e;
    }
  }
  const what = file === undefined
    ? `No native addon for ${process.platform}-${process.arch} (the package ships a prebuilt one for linux-x64 with glibc).`
    : `The native addon ${path.relative(root, file)} failed to load: ${err && err.message}.`;
  const e = new Error(`${what} Run \`npm rebuild omnidb\` (it builds from source where no prebuilt addon fits: ` +
    'needs cmake, g++, pkg-config and the -dev packages libpq-dev libhiredis-dev libmariadb-dev); ' +
    'in a checkout of omnidb run `npm run build`.');
  e.code = 'OMNIDB_NATIVE_MISSING';
  if (err !== undefined) e.cause = err;
  throw e;
}

module.exports = load();
