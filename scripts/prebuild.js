#!/usr/bin/env node
// Builds the release addon for the npm tarball (`npm run prebuilds`; `prepack` runs it):
// prebuilds/linux-x64/omnidb.napi.node (prebuildify's layout: N-API, so one file for every
// Node major). It is built in build-prebuild/ with hiredis and MariaDB Connector/C linked
// statically and libpq loaded on first use (cmake/ClientLibraries.cmake), stripped, and
// checked: all three probes compiled in, and no NEEDED entry beyond glibc's libraries.
// Skips the build when the prebuild is newer than every source file.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const target = `${process.platform}-${process.arch}`;
const dest = path.join(root, 'prebuilds', target, 'omnidb.napi.node');
const out = path.join(root, 'build-prebuild');
// What the prebuild may need at run time: glibc's own libraries (Node provides the rest).
const ALLOWED_NEEDED = new Set(['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'ld-linux-x86-64.so.2']);

function fail(message) {
  console.error(`omnidb prebuild: ${message}`);
  process.exit(1);
}

if (target !== 'linux-x64') fail(`prebuilds are made for linux-x64 only, not ${target}`);

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}
const sources = Math.max(newestSource(path.join(root, 'src')), newestSource(path.join(root, 'binding')),
  newestSource(path.join(root, 'cmake')), fs.statSync(path.join(root, 'CMakeLists.txt')).mtimeMs,
  fs.statSync(__filename).mtimeMs);

if (fs.existsSync(dest) && fs.statSync(dest).mtimeMs > sources) {
  console.log(`omnidb prebuild: ${path.relative(root, dest)} is up to date`);
} else {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js'), '--out', out,
    '--CDCMAKE_BUILD_TYPE=Release', '--CDOMNIDB_STATIC_CLIENTS=ON', '--CDOMNIDB_LIBPQ_DLOPEN=ON',
    '--CDOMNIDB_STATIC_CXX_RUNTIME=ON', '--CDASAN=OFF', '--CDUBSAN=OFF'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('the build failed (see above)');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp`;
  execFileSync('strip', ['--strip-unneeded', '-o', tmp, path.join(out, 'Release', 'omnidb.node')]);
  fs.renameSync(tmp, dest);
}

// The checks run on every call, fresh build or not.
const needed = execFileSync('readelf', ['-d', dest], { encoding: 'utf8' })
  .split('\n').map((l) => /\(NEEDED\).*\[(.+)\]/.exec(l)).filter(Boolean).map((m) => m[1]);
const extra = needed.filter((n) => !ALLOWED_NEEDED.has(n));
if (extra.length) fail(`${path.relative(root, dest)} needs ${extra.join(', ')} at run time (allowed: glibc's libraries)`);
const support = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(dest)}).probeSupport)`],
  { encoding: 'utf8' });
const kinds = support.status === 0 ? JSON.parse(support.stdout) : {};
const absent = ['postgres', 'redis', 'mysql'].filter((k) => !kinds[k]);
if (absent.length) {
  fail(`the prebuild lacks the ${absent.join(', ')} probe(s) ${support.stderr || ''}: install libpq-dev libhiredis-dev ` +
    'libmariadb-dev (bash scripts/bootstrap.sh) and run `npm run prebuilds` again');
}
// The newest glibc symbol version it references: the oldest glibc it loads on.
const glibc = [...execFileSync('objdump', ['-T', dest], { encoding: 'utf8' }).matchAll(/GLIBC_(\d+)\.(\d+)/g)]
  .map((m) => [Number(m[1]), Number(m[2])]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).pop();
const size = fs.statSync(dest).size;
console.log(`omnidb prebuild: ${path.relative(root, dest)} (${(size / 1048576).toFixed(1)} MiB; ` +
  `NEEDED ${needed.join(' ')}; needs glibc >= ${glibc ? glibc.join('.') : '?'})`);
