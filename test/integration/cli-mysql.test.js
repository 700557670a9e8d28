'use strict';
// `omnidb check` / `watch` against a real MariaDB primary and its replica
// (test/harness/mariadb.js): roles, replication lag, a wrong password (never printed),
// --json.
const { startMariaDb } = require('../harness/servers');
const { runCli, startCli } = require('../helpers/cli');

const PASSWORD = 'My-cl1-S3cret';
const WRONG = 'n0t-the-Passw0rd';

jest.setTimeout(60000);

let m;

beforeAll(async () => {
  m = await startMariaDb({ replica: true, password: PASSWORD });
}, 180000);

afterAll(async () => {
  if (m) await m.stop();
});

const noSecret = (r) => {
  for (const secret of [PASSWORD, WRONG]) expect(r.stdout + r.stderr).not.toContain(secret);
};

test('check: the MariaDB primary and its replica, roles and lag shown; exit 0', async () => {
  const r = await runCli(['check', m.primary.url, m.replica.url]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n')).toEqual([
    expect.stringMatching(/^healthy +mysql:\/\/omnidb@127\.0\.0\.1:\d+\/omnidb_test +role=primary lag=- latency=\S+ms$/),
    expect.stringMatching(/^healthy +mysql:\/\/omnidb@127\.0\.0\.1:\d+\/omnidb_test +role=replica lag=\S+ms latency=\S+ms$/),
  ]);
  noSecret(r);
});

test('check --json and a wrong password: exit 1, the server\'s reason, no password', async () => {
  const r = await runCli(['check', '--json', m.primary.url.replace(PASSWORD, WRONG), m.replica.url]);
  expect(r.code).toBe(1);
  const doc = JSON.parse(r.stdout);
  expect(doc.ok).toBe(false);
  expect(doc.targets[0]).toMatchObject({ kind: 'mysql', status: 'unhealthy', usable: false, error: expect.stringMatching(/Access denied for user 'omnidb'/) });
  expect(doc.targets[1]).toMatchObject({ kind: 'mysql', status: 'healthy', role: 'replica', usable: true });
  noSecret(r);
});

test('watch off a terminal: rounds of the replica, SIGINT exits 0', async () => {
  const cli = startCli(['watch', '--interval', '200ms', m.replica.url]);
  await cli.until((out) => (out.match(/^\S+Z {2}healthy +mysql:\/\//gm) || []).length >= 2);
  cli.child.kill('SIGINT');
  const r = await cli.done;
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/role=replica/);
});
