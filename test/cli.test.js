'use strict';
// The omnidb CLI without a database: usage errors (exit 2, the bad value named),
// unreachable targets (exit 1), --json, password masking, and its pure parts
// (argument parsing, redaction, formatting). test/integration/cli.test.js runs it
// against real servers.
const net = require('net');
const { runCli } = require('./helpers/cli');
const { parseArgs, UsageError } = require('../lib/cli/args');
const { maskSecrets, redact, addSecret, passwordOf } = require('../lib/cli/redact');
const { lines, table, json } = require('../lib/cli/format');
const { urlSource, MYSQL_MISSING } = require('../lib/cli/sources');
const { probes } = require('../lib/probes');

async function closedPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

describe('omnidb CLI: usage (exit 2)', () => {
  test('no command prints what is expected', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no command given; expected one of: check, watch/);
  });

  test('a URL of an unknown scheme is named, its password masked', async () => {
    const r = await runCli(['check', 'http://admin:hunter2-secret@db.example:80/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid target "http://admin:***@db.example:80/x"');
    expect(r.stderr).toMatch(/postgres:\/\/, postgresql:\/\/, redis:\/\//);
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
  });

  test('a password typed with a raw "/" is masked all the same', async () => {
    const r = await runCli(['check', 'postgres://u:Raw/Secret@h:5432/db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"postgres://u:***@h:5432/db"');
    expect(r.stdout + r.stderr).not.toMatch(/Raw|Secret/);
  });

  test('a malformed postgres URL is named', async () => {
    const r = await runCli(['check', 'postgres://u:pw-secret-1@[::1/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid target "postgres:\/\/u:\*\*\*@\[::1\/x"/);
    expect(r.stdout + r.stderr).not.toContain('pw-secret-1');
  });

  test('a bad --timeout is named with what is valid', async () => {
    const r = await runCli(['check', '--timeout', 'soon', 'redis://127.0.0.1:6379']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --timeout "soon": expected a positive duration such as 500ms, 5s or 1m');
  });

  test('an unknown option and a missing --config file are named', async () => {
    const unknown = await runCli(['check', '--retries', '3', 'redis://127.0.0.1:6379']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option "--retries"');
    const missing = await runCli(['check', '--config', './no-such-omnidb.config.js']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot load --config "./no-such-omnidb.config.js": no such file');
  });

  test('package.json names bin/omnidb.js as the `omnidb` command, runnable by its shebang', async () => {
    const fs = require('fs');
    const path = require('path');
    const { execFile } = require('child_process');
    const pkg = require('../package.json');
    const bin = path.resolve(__dirname, '..', pkg.bin.omnidb);
    expect(pkg.bin).toEqual({ omnidb: 'bin/omnidb.js' });
    expect(pkg.files).toContain('bin/');
    expect(fs.readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const version = await new Promise((resolve, reject) => {
      execFile(bin, ['--version'], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    expect(version).toBe(`${pkg.version}\n`);
  });

  test('--help exits 0 with the usage', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/omnidb check \[options\] <url>/);
    expect(r.stdout).toMatch(/Exit codes: 0/);
  });
});

describe('omnidb CLI: unreachable targets (exit 1)', () => {
  test('a closed port is unhealthy with the reason, and the password never shows', async () => {
    const port = await closedPort();
    const r = await runCli(['check', '--timeout', '2s',
      `postgres://app:Sup3r-Secret@127.0.0.1:${port}/app`, `redis://:Sup3r-Secret@127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(new RegExp(`^unhealthy +postgres://app@127\\.0\\.0\\.1:${port}/app .*error=".*Connection refused`));
    expect(out[1]).toMatch(new RegExp(`^unhealthy +redis://127\\.0\\.0\\.1:${port} .*error=".*Connection refused`));
    expect(r.stdout + r.stderr).not.toContain('Sup3r-Secret');
    expect(r.stdout + r.stderr).not.toContain(encodeURIComponent('Sup3r-Secret'));
  });

  test('--json is one document scripts can read', async () => {
    const port = await closedPort();
    const r = await runCli(['check', '--json', `redis://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toEqual({
      ok: false,
      timestamp: expect.any(String),
      targets: [{
        target: `redis://127.0.0.1:${port}`, kind: 'redis', status: 'unhealthy', role: null, lagMs: null,
        latencyMs: expect.any(Number), error: expect.stringContaining('Connection refused'), usable: false,
      }],
    });
  });
});

describe('omnidb CLI: config modules without a server', () => {
  const fixture = (name) => require('path').resolve(__dirname, 'fixtures', name);

  test('an ESM module exporting an Orchestrator: its connections by name, exit 1 for the unreachable one', async () => {
    const port = await closedPort();
    const r = await runCli(['check', '--config', fixture('cli-config-instance.mjs')],
      { env: { CLI_URL: `redis://:Cfg-Secret-9@127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^unhealthy +a +role=- lag=- latency=\\S+ error="Redis at 127\\.0\\.0\\.1:${port}: Connection refused"$`)),
      expect.stringMatching(/^healthy +b +role=- lag=- latency=-$/),
    ]);
    expect(r.stdout + r.stderr).not.toContain('Cfg-Secret-9');
  });

  test('a module whose function throws is bad usage (exit 2), its message masked', async () => {
    const r = await runCli(['check', '--config', fixture('cli-config-throws.js')],
      { env: { CLI_URL: 'postgres://u:Cfg-Secret-9@h/db' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('its exported function threw: no config for postgres://u:***@h/db');
    expect(r.stdout + r.stderr).not.toContain('Cfg-Secret-9');
  });
});

describe('omnidb CLI: parts', () => {
  test('parseArgs reads flags, durations and targets', () => {
    expect(parseArgs(['watch', '--interval=250ms', '--timeout', '1s', '--json', 'redis://h:1'])).toMatchObject({
      command: 'watch', interval: 250, timeout: 1000, json: true, urls: ['redis://h:1'], config: null,
    });
    expect(parseArgs(['check', '--config', 'c.js'])).toMatchObject({ command: 'check', config: 'c.js', urls: [] });
    expect(() => parseArgs(['check'])).toThrow(new UsageError('check needs at least one URL, or --config <file>'));
    expect(() => parseArgs(['check', '--interval', '1s', 'redis://h:1'])).toThrow(/--interval applies to watch/);
    expect(() => parseArgs(['check', '--timeout', '0', 'redis://h:1'])).toThrow(/invalid --timeout "0"/);
    expect(() => parseArgs(['check', '--json=yes', 'redis://h:1'])).toThrow(/--json takes no value/);
    expect(() => parseArgs(['probe', 'redis://h:1'])).toThrow(/unknown command "probe"/);
  });

  test('maskSecrets hides URL and keyword passwords; redact hides remembered ones anywhere', () => {
    expect(maskSecrets('postgres://u:p%40ss@h/db and redis://:x@h:1')).toBe('postgres://u:***@h/db and redis://:***@h:1');
    expect(maskSecrets("host=h password='a b' user=u")).toBe('host=h password=*** user=u');
    expect(maskSecrets('postgres://h/db?password=zz&sslmode=require')).toBe('postgres://h/db?password=***&sslmode=require');
    // A raw "/" or "@" in a password: the userinfo ends at the last "@".
    expect(maskSecrets('bad "postgres://u:pa/ss@w0rd@h:5432/db": x')).toBe('bad "postgres://u:***@h:5432/db": x');
    expect(maskSecrets('redis://h:6379/0 and postgres://u@h/db')).toBe('redis://h:6379/0 and postgres://u@h/db');
    expect(passwordOf('postgres://u:pa/ss@w0rd@h/db')).toBe('pa/ss@w0rd');
    expect(passwordOf('postgres://u:p%40ss-word@h/db')).toBe('p@ss-word');
    expect(passwordOf('postgres://u@h/db')).toBe(null);
    addSecret('t0p/secret');
    expect(redact('echo t0p/secret and t0p%2Fsecret')).toBe('echo *** and ***');
  });

  test('a mysql:// URL without probes.mysql says so, and counts as unusable', async () => {
    const saved = Object.getOwnPropertyDescriptor(probes, 'mysql');
    delete probes.mysql;
    try {
      const source = urlSource(['mysql://app:Pw-12345@127.0.0.1:3306/app'], { timeout: 1000, persistent: false });
      const rows = await source.round();
      source.close();
      expect(MYSQL_MISSING).toMatch(/^MySQL probe not available in this build/);
      expect(rows).toEqual([{ target: 'mysql://app:***@127.0.0.1:3306/app', kind: 'mysql', status: 'unhealthy',
        role: null, lagMs: null, latencyMs: null, error: MYSQL_MISSING }]);
      expect(json(rows).ok).toBe(false);
    } finally {
      if (saved) Object.defineProperty(probes, 'mysql', saved);
    }
  });

  test('a mysql:// URL with an addon built without MariaDB Connector/C says so and what to install', async () => {
    const native = require('../lib/native');
    const saved = native.probeSupport;
    native.probeSupport = { ...saved, mysql: false };
    try {
      const source = urlSource(['mysql://app:Pw-12345@127.0.0.1:3306/app'], { timeout: 1000, persistent: false });
      const [r] = await source.round();
      source.close();
      expect(r).toMatchObject({ kind: 'mysql', status: 'unhealthy' });
      expect(r.error).toMatch(/^MySQL probe not available in this build: .*install libmariadb-dev/);
    } finally {
      native.probeSupport = saved;
    }
  });

  test('lines, table and json lay the rows out', () => {
    const rows = [
      { target: 'postgres://u@h:5432/db', kind: 'postgres', status: 'healthy', role: 'primary', lagMs: null, latencyMs: 1.234, error: null },
      { target: 'redis://h:6379', kind: 'redis', status: 'degraded', role: 'replica', lagMs: 12.6, latencyMs: 60, error: null },
      { target: 'pg-replica', kind: 'connection', status: 'unhealthy', role: null, lagMs: null, latencyMs: null, error: 'timeout after 5000ms' },
    ];
    expect(lines(rows)).toBe([
      'healthy    postgres://u@h:5432/db  role=primary lag=- latency=1.2ms',
      'degraded   redis://h:6379          role=replica lag=13ms latency=60ms',
      'unhealthy  pg-replica              role=- lag=- latency=- error="timeout after 5000ms"',
      '',
    ].join('\n'));
    const t = table(rows, { columns: 200 }).split('\n');
    expect(t[0]).toMatch(/^TARGET +STATUS +ROLE +LAG +LATENCY +ERROR$/);
    expect(t[3]).toMatch(/^pg-replica +unhealthy +- +- +- +timeout after 5000ms$/);
    const narrow = table(rows, { columns: 60 }).split('\n');
    expect(narrow[0]).toMatch(/^TARGET +STATUS +ROLE +LAG +LATENCY$/);
    expect(narrow[3]).toMatch(/^pg-replica +unhealthy +- +- +-$/);
    expect(narrow.slice(4)).toEqual(['', 'pg-replica: timeout after 5000ms', '']);
    expect(json(rows)).toMatchObject({ ok: false, targets: [{ usable: true }, { usable: true }, { usable: false }] });
    expect(json(rows.slice(0, 2)).ok).toBe(true);
  });
});
