#!/usr/bin/env node
// The package's `install` script. Keeps the prebuilt addon when one fits this machine
// (it loads here); builds from source (scripts/build.js) only when none fits, or when asked
// with `npm install --build-from-source` / `npm rebuild omnidb --build-from-source`
// (npm sets npm_config_build_from_source). Installs that skip scripts (--ignore-scripts,
// pnpm's default, npm's allowScripts) get the same result as the first case: lib/native.js
// loads the prebuilt addon without this script.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const flag = process.env.npm_config_build_from_source;
const fromSource = flag !== undefined && !['', 'false', '0'].includes(flag);
const prebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'omnidb.napi.node');

function build(reason) {
  console.log(`omnidb: building the addon from source (${reason})`);
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

if (fromSource) build('npm_config_build_from_source is set');
if (!fs.existsSync(prebuild)) build(`no prebuilt addon for ${process.platform}-${process.arch}`);
try {
  require(prebuild);
} catch (err) {
  build(`the prebuilt addon does not load here: ${err.message}`);
}
