'use strict';
// bin/omnidb.js against real servers (test/harness/servers.js): a PostgreSQL primary and
// its streaming replica (roles shown), Redis with a password, a wrong password, a
// blackhole (accepts, never answers: the timeout), a config module, `watch` off a
// terminal (plain lines, SIGINT exits 0) and in a pseudo-terminal (`script`: the
// table redrawn in place, Ctrl-C exits 0).
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const { startCluster } = require('../harness/servers');
const { BIN, runCli, startCli } = require('../helpers/cli');

const PASSWORD = 'cl1-S3cret-pw';
const WRONG = 'n0t-the-Passw0rd';

jest.setTimeout(60000);

let c;
let hole;

beforeAll(async () => {
  c = await startCluster({ replica: true, redis: true, password: PASSWORD });
  hole = await blackhole();
}, 120000);

afterAll(async () => {
  if (hole) await hole.close();
  if (c) await c.stop();
});

/** Resolves once the blackhole has accepted `n` more connections (counted from the call). */
function waitForConnections(n) {
  return new Promise((resolve) => {
    let seen = 0;
    const onConnection = () => {
      if (++seen < n) return;
      hole.events.removeListener('connection', onConnection);
      resolve();
    };
    hole.events.on('connection', onConnection);
  });
}

/** A TCP server that accepts and never answers. */
async function blackhole() {
  const sockets = new Set();
  const events = new (require('events'))();
  const server = net.createServer((s) => {
    sockets.add(s);
    events.emit('connection');
    s.resume();
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    sockets,
    events,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(r);
    }),
  };
}

const noSecret = (r) => {
  for (const secret of [PASSWORD, WRONG]) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
};

test('check: primary and replica healthy with their roles, Redis with its password; exit 0', async () => {
  const r = await runCli(['check', c.primary.url, c.primary.authUrl, c.replica.url, c.redis.url]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = r.stdout.trim().split('\n');
  expect(out).toHaveLength(4);
  expect(out[0]).toMatch(new RegExp(`^healthy +postgres://postgres@127\\.0\\.0\\.1:${c.primary.port}/omnidb_test +role=primary lag=- latency=\\S+ms$`));
  expect(out[1]).toMatch(new RegExp(`^healthy +postgres://omnidb@127\\.0\\.0\\.1:${c.primary.port}/omnidb_test +role=primary `));
  expect(out[2]).toMatch(new RegExp(`^healthy +postgres://postgres@127\\.0\\.0\\.1:${c.replica.port}/omnidb_test +role=standby lag=\\S+ms latency=`));
  expect(out[3]).toMatch(new RegExp(`^healthy +redis://127\\.0\\.0\\.1:${c.redis.port} +role=master `));
  noSecret(r);
});

test('check --json: one document, usable flags and roles', async () => {
  const r = await runCli(['check', '--json', c.primary.url, c.replica.url]);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.ok).toBe(true);
  expect(doc.targets.map((t) => [t.kind, t.status, t.role, t.usable])).toEqual([
    ['postgres', 'healthy', 'primary', true],
    ['postgres', 'healthy', 'standby', true],
  ]);
  expect(doc.targets[1].lagMs).toEqual(expect.any(Number));
});

test('check: a wrong password is unhealthy with the server\'s reason, exit 1, no password printed', async () => {
  const pgUrl = c.primary.authUrl.replace(PASSWORD, WRONG);
  const redisUrl = c.redis.url.replace(PASSWORD, WRONG);
  const r = await runCli(['check', pgUrl, redisUrl, c.replica.url]);
  expect(r.code).toBe(1);
  const out = r.stdout.trim().split('\n');
  expect(out[0]).toMatch(/^unhealthy +postgres:\/\/omnidb@.* error=".*password authentication failed for user \\"omnidb\\""$/);
  expect(out[1]).toMatch(/^unhealthy +redis:\/\/127\.0\.0\.1:\d+ .*error=".*WRONGPASS/);
  expect(out[2]).toMatch(/^healthy +postgres:\/\/postgres@/);
  noSecret(r);
});

test('check: a server that never answers times out at --timeout, exit 1', async () => {
  const started = Date.now();
  const r = await runCli(['check', '--timeout', '700ms',
    `postgres://omnidb:${PASSWORD}@127.0.0.1:${hole.port}/app`, `redis://:${PASSWORD}@127.0.0.1:${hole.port}`]);
  expect(r.code).toBe(1);
  const out = r.stdout.trim().split('\n');
  expect(out[0]).toMatch(/^unhealthy +postgres:\/\/omnidb@127\.0\.0\.1:\d+\/app .*error=".*(timeout|timed out)/i);
  expect(out[1]).toMatch(/^unhealthy +redis:\/\/127\.0\.0\.1:\d+ .*error=".*(timeout|timed out)/i);
  // Bounded by the timeout, not by the server: well under the 5 s default.
  expect(Date.now() - started).toBeLessThan(4500);
  noSecret(r);
});

test('check --config: the connections of a config module, by name, then disconnected (the process exits)', async () => {
  const fixture = path.resolve(__dirname, '../fixtures/cli-config.js');
  const r = await runCli(['check', '--config', fixture], {
    env: { CLI_PRIMARY_URL: c.primary.authUrl, CLI_REPLICA_URL: c.replica.url, CLI_REDIS_URL: c.redis.url },
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = r.stdout.trim().split('\n');
  expect(out).toEqual([
    expect.stringMatching(/^healthy +primary +role=primary /),
    expect.stringMatching(/^healthy +replica +role=standby lag=/),
    expect.stringMatching(/^healthy +cache +role=master /),
  ]);
  noSecret(r);

  const down = await runCli(['check', '--config', fixture, '--timeout', '1s'], {
    env: { CLI_PRIMARY_URL: c.primary.authUrl.replace(PASSWORD, WRONG), CLI_REPLICA_URL: c.replica.url, CLI_REDIS_URL: c.redis.url },
  });
  expect(down.code).toBe(1);
  expect(down.stdout).toMatch(/^unhealthy +primary .*password authentication failed/m);
  noSecret(down);
});

test('watch off a terminal: plain timestamped lines each round; SIGINT exits 0', async () => {
  const cli = startCli(['watch', '--interval', '200ms', c.primary.url, c.redis.url]);
  const round = new RegExp(`^\\S+Z  healthy +redis://127\\.0\\.0\\.1:${c.redis.port} `, 'gm');
  await cli.until((out) => (out.match(round) || []).length >= 2);
  cli.child.kill('SIGINT');
  const r = await cli.done;
  expect(r.signal).toBe(null);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain('\x1b[');
  const first = r.stdout.split('\n')[0];
  expect(first).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  healthy +postgres://postgres@127\\.0\\.0\\.1:${c.primary.port}/omnidb_test +role=primary `));
  expect(r.stderr).toBe('');
});

test('watch: SIGINT while a round waits on a server that never answers exits 0 at once, not at --timeout', async () => {
  const connected = waitForConnections(2);
  const cli = startCli(['watch', '--timeout', '30s', `redis://127.0.0.1:${hole.port}`, `postgres://u@127.0.0.1:${hole.port}/x`]);
  await connected;
  const sent = Date.now();
  cli.child.kill('SIGINT');
  const r = await cli.done;
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(Date.now() - sent).toBeLessThan(15000);
});

test('watch --json: one JSON line per round', async () => {
  const cli = startCli(['watch', '--json', '--interval', '200ms', c.replica.url]);
  await cli.until((out) => out.split('\n').length >= 3);
  cli.child.kill('SIGTERM');
  const r = await cli.done;
  expect(r.code).toBe(0);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(docs[0]).toMatchObject({ round: 1, ok: true, targets: [{ status: 'healthy', role: 'standby' }] });
  expect(docs[1].round).toBe(2);
});

test('watch in a pseudo-terminal: the table is redrawn in place; Ctrl-C exits 0', async () => {
  // util-linux `script` runs the CLI on a pty; a ^C written to it is the terminal's interrupt,
  // sent to the whole foreground group. `exec` leaves no shell in that group (dash, /bin/sh
  // on Debian, would die of the ^C itself), so `script -e` exits with the CLI's own code.
  const command = [process.execPath, BIN, 'watch', '--interval', '200ms', c.primary.url, c.replica.url, c.redis.url]
    .map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], {
    env: { ...process.env, SHELL: '/bin/sh', NO_COLOR: '', TERM: 'xterm' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let onData = () => {};
  child.stdout.on('data', (d) => {
    out += d;
    onData();
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  const redraws = () => out.split('\x1b[H\x1b[2J').length - 1;
  await new Promise((resolve) => {
    onData = () => { if (redraws() >= 3) resolve(); };
    onData();
  });
  child.stdin.write('\x03');
  const code = await exited;
  expect(code).toBe(0);
  const frames = out.split('\x1b[H\x1b[2J').slice(1);
  expect(frames[0]).toMatch(/omnidb watch · every 200 ms · \d\d:\d\d:\d\d · round 1 · Ctrl-C to stop/);
  expect(frames[1]).toMatch(/round 2/);
  expect(frames[0]).toMatch(/TARGET +STATUS +ROLE +LAG +LATENCY +ERROR/);
  expect(frames[0]).toMatch(new RegExp(`postgres://postgres@127\\.0\\.0\\.1:${c.replica.port}/omnidb_test +\\x1b\\[32mhealthy\\x1b\\[0m +standby`));
  expect(out).not.toContain(PASSWORD);
});

test('the same check served by the primary after a kill reports it down (exit 1), then up again', async () => {
  await c.killPrimary('SIGKILL');
  try {
    const r = await runCli(['check', '--timeout', '1s', c.primary.url, c.replica.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^unhealthy +postgres://postgres@127\\.0\\.0\\.1:${c.primary.port}/`, 'm'));
    expect(r.stdout).toMatch(/^healthy +postgres:\/\/postgres@.* role=standby /m);
  } finally {
    await c.restartPrimary();
  }
  const again = await runCli(['check', c.primary.url]);
  expect(again.code).toBe(0);
});

