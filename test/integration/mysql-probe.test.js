'use strict';
// The native MySQL/MariaDB probe against real servers: a MariaDB primary and a replica of
// it (test/harness/mariadb.js), plus a closed port, an unresolvable name and a blackhole
// socket (accepts, never answers). The target parser and option checks: test/mysql-probe.test.js.
const path = require('path');
const util = require('util');
const { Worker } = require('worker_threads');
const { startMariaDb } = require('../harness/mariadb');
const { waitFor } = require('../harness/servers');
const { Orchestrator, probes } = require('../..');

const PASSWORD = 'my-pr0be-S3cret';
const LIB = path.resolve(__dirname, '../..');

jest.setTimeout(60000);

let m;

beforeAll(async () => {
  m = await startMariaDb({ replica: true, password: PASSWORD });
}, 120000);

afterAll(async () => {
  if (m) await m.stop();
});

// ------------------------------------------------------------------ helpers

const { blackhole, closedPort, run, once, openFds } = require('./probe-helpers');
const handleCount = () => process._getActiveHandles().length;
const appConnections = async (name = 'primary', user = 'omnidb') =>
  Number(await m.sql(name, `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${user}'`));
const target = (server, extra = {}) => ({ host: '127.0.0.1', port: server.port, user: 'omnidb', password: PASSWORD, database: 'omnidb_test', ...extra });

// Active resources by type, JS timers left out (probes create none; the harness's come and go).
function resourceCounts() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) if (r !== 'Timeout') counts[r] = (counts[r] || 0) + 1;
  return counts;
}

function expectNoSecret(value, secret = PASSWORD) {
  expect(util.inspect(value, { depth: 10 })).not.toContain(secret);
  expect(JSON.stringify(value)).not.toContain(secret);
}

// ------------------------------------------------------------------ a healthy primary and replica

describe('probes.mysql() against a real MariaDB primary and replica', () => {
  test('the primary answers healthy, with latency and role primary', async () => {
    const probe = probes.mysql(m.primary.url);
    const r = await run(probe);
    expect(r).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'primary' });
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(await run(probe)).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'primary' });
    probe.close();
  });

  test('URL, object, mariadb:// and the unix socket all connect', async () => {
    for (const t of [m.primary.url, target(m.primary), m.primary.url.replace(/^mysql:/, 'mariadb:'),
      { ...target(m.primary, { host: 'localhost' }) },
      { socketPath: m.primary.socket, user: 'omnidb', password: PASSWORD }]) {
      await expect(once(probes.mysql(t, { persistent: false }))).resolves.toMatchObject({ status: 'healthy', role: 'primary' });
    }
  });

  test('the replica reports role replica and its lag', async () => {
    const r = await once(probes.mysql(m.replica.url));
    expect(r).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'replica', lagMs: 0 });
  });

  test("role: 'primary' makes the replica unhealthy, role: 'replica' the primary", async () => {
    const mustWrite = await once(probes.mysql(m.replica.url, { role: 'primary' }));
    expect(mustWrite).toMatchObject({ status: 'unhealthy', role: 'replica' });
    expect(mustWrite.error).toBe(`MySQL at 127.0.0.1:${m.replica.port}: the server is a replica, but role 'primary' is required`);
    const mustRead = await once(probes.mysql(m.primary.url, { role: 'replica' }));
    expect(mustRead.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: the server is a primary (not in recovery), but role 'replica' is required`);
    await expect(once(probes.mysql(m.replica.url, { role: 'replica', maxLag: '1h' }))).resolves.toMatchObject({ status: 'healthy' });
  });

  test('lag grows while the replica cannot apply; maxLag makes it unhealthy; it recovers', async () => {
    const probe = probes.mysql(m.replica.url, { maxLag: '500ms', timeout: '2s' });
    expect((await run(probe)).status).toBe('healthy');
    const lock = await m.holdReadLock('replica');
    let r;
    try {
      await m.sql('primary', "INSERT INTO omnidb_test.items (name) VALUES ('lag')");
      await waitFor(async () => {
        r = await run(probe);
        return r.status === 'unhealthy';
      }, { timeout: 15000, interval: 100, what: 'the replica to fall behind' });
    } finally {
      await lock.release();
    }
    expect(r.role).toBe('replica');
    expect(r.lagMs).toBeGreaterThanOrEqual(1000);
    expect(r.lagMs % 1000).toBe(0); // Seconds_Behind_Master, in ms
    expect(r.error).toMatch(new RegExp(`^MySQL at 127\\.0\\.0\\.1:${m.replica.port}: replication lag \\d+ ms exceeds maxLag 500 ms$`));
    await waitFor(async () => (await run(probe)).status === 'healthy', { timeout: 15000, what: 'the replica to catch up' });
    probe.close();
  });

  test('stopped replication: lag unknown (null), and maxLag fails naming why', async () => {
    const plain = probes.mysql(m.replica.url);
    const strict = probes.mysql(m.replica.url, { maxLag: '1h' });
    await m.sql('replica', 'STOP SLAVE');
    try {
      expect(await run(plain)).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'replica', lagMs: null });
      const r = await run(strict);
      expect(r).toMatchObject({ status: 'unhealthy', role: 'replica', lagMs: null });
      expect(r.error).toBe(`MySQL at 127.0.0.1:${m.replica.port}: replication lag unknown (replication is not running: IO thread No, SQL thread No), maxLag is 3600000 ms`);
    } finally {
      await m.sql('replica', 'START SLAVE');
    }
    await waitFor(async () => (await run(strict)).status === 'healthy', { timeout: 15000, what: 'replication to run again' });
    plain.close();
    strict.close();
  });

  test('a user without SLAVE MONITOR: role from read_only alone, lag unknown', async () => {
    expect(await once(probes.mysql(m.primary.limitedUrl))).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'primary' });
    expect(await once(probes.mysql(m.replica.limitedUrl))).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'replica', lagMs: null });
    const r = await once(probes.mysql(m.replica.limitedUrl, { maxLag: '1s' }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(new RegExp(`^MySQL at 127\\.0\\.0\\.1:${m.replica.port}: replication lag unknown \\(the replica status could not be read: Access denied; you need \\(at least one of\\) the .*SLAVE MONITOR privilege`));
  });

  test('detectRole: false sends the query alone', async () => {
    expect(await once(probes.mysql(m.replica.url, { detectRole: false }))).toEqual({ status: 'healthy', latencyMs: expect.any(Number) });
  });

  test('degradedAfter turns a slow answer into degraded', async () => {
    const probe = probes.mysql(m.primary.url, { query: 'SELECT SLEEP(0.05);', degradedAfter: '10ms' });
    const r = await run(probe);
    expect(r.status).toBe('degraded');
    expect(r.role).toBe('primary');
    expect(r.latencyMs).toBeGreaterThanOrEqual(50);
    expect(r.error).toMatch(/slower than degradedAfter 10 ms$/);
    probe.close();
  });

  test('a failing probe query is unhealthy and says why', async () => {
    const r = await once(probes.mysql(m.primary.url, { query: 'SELECT * FROM no_such_table' }));
    expect(r).toMatchObject({ status: 'unhealthy' });
    expect(r.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: query failed: Table 'omnidb_test.no_such_table' doesn't exist`);
  });

  test('a missing database', async () => {
    const r = await once(probes.mysql(target(m.primary, { database: 'no_such_db' })));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: Access denied for user 'omnidb'@'%' to database 'no_such_db'`);
    expectNoSecret(r);
  });
});

// ------------------------------------------------------------------ failures

describe('probes.mysql() when the server cannot be reached or refuses', () => {
  test('a wrong password: unhealthy, names host, port and cause; the password is nowhere (result, events, metrics)', async () => {
    const wrong = `not-the-${PASSWORD}`;
    const r = await once(probes.mysql(target(m.primary, { password: wrong })));
    expect(r).toMatchObject({ status: 'unhealthy' });
    expect(r.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: Access denied for user 'omnidb'@'127.0.0.1' (using password: YES)`);
    expectNoSecret(r, wrong);

    const probe = probes.mysql(`mysql://omnidb:${encodeURIComponent(wrong)}@127.0.0.1:${m.primary.port}/omnidb_test`);
    expect(probe.description).not.toContain(wrong);
    const db = new Orchestrator({ connections: { db: {} }, healthCheck: { interval: '1h', checks: { db: probe } } });
    const events = [];
    for (const name of ['health:changed', 'error', 'circuit:open', 'circuit:close', 'failover']) db.on(name, (e) => events.push([name, e]));
    try {
      await db.connect();
      expect(db.health().db.status).toBe('unhealthy');
      expect(events.length).toBeGreaterThan(0);
      expectNoSecret(events, wrong);
      expectNoSecret(db.metrics(), wrong);
      expectNoSecret(db.health(), wrong);
      expect(db.prometheus()).not.toContain(wrong);
      expect(db.metrics().db.lastError).toContain('Access denied');
    } finally {
      await db.disconnect();
    }
  });

  test('a refused port', async () => {
    const port = await closedPort();
    const r = await once(probes.mysql({ host: '127.0.0.1', port, user: 'x', password: PASSWORD }));
    expect(r).toMatchObject({ status: 'unhealthy' });
    expect(r.error).toBe(`MySQL at 127.0.0.1:${port}: Can't connect to server (111: Connection refused)`);
    expectNoSecret(r);
  });

  test('an unresolvable host, resolved off the JS thread', async () => {
    const started = Date.now();
    const r = await once(probes.mysql({ host: 'no-such-host.invalid', password: PASSWORD }, { timeout: '3s' }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/^MySQL at no-such-host\.invalid:3306: (could not resolve host "no-such-host\.invalid"|timed out after 3000 ms while resolving)/);
    if (r.error.includes('could not resolve')) expect(Date.now() - started).toBeLessThan(2500);
  });

  test('a server that accepts TCP but never answers times out natively, and the socket is closed', async () => {
    const hole = await blackhole();
    try {
      const r = await once(probes.mysql({ host: '127.0.0.1', port: hole.port, password: PASSWORD }, { timeout: 300 }));
      expect(r.status).toBe('unhealthy');
      expect(r.error).toBe(`MySQL at 127.0.0.1:${hole.port}: timed out after 300 ms while connecting (waiting for the server's greeting or its answer to authentication)`);
      expect(r.latencyMs).toBeGreaterThanOrEqual(290);
      expectNoSecret(r);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the probe socket to close' });
    } finally {
      await hole.close();
    }
  });

  test('a query that outlasts the timeout names the query and drops the connection', async () => {
    const before = await appConnections();
    const probe = probes.mysql(m.primary.url, { query: 'SELECT SLEEP(2)', timeout: 200 });
    const r = await run(probe);
    expect(r.status).toBe('unhealthy');
    expect(r.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: timed out after 200 ms waiting for the reply to "SELECT SLEEP(2)"`);
    await waitFor(async () => (await appConnections()) === before, { timeout: 10000, what: 'the timed-out connection to go' });
    probe.close();
  });

  test("the check's signal cancels the native probe", async () => {
    const hole = await blackhole();
    try {
      const probe = probes.mysql({ host: '127.0.0.1', port: hole.port }, { timeout: '10s' });
      const controller = new AbortController();
      const pending = run(probe, { signal: controller.signal });
      await waitFor(() => hole.sockets.size === 1, { timeout: 2000, what: 'the probe to connect' });
      const reason = new Error('gave up');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the cancelled probe socket to close' });
    } finally {
      await hole.close();
    }
  });
});

// ------------------------------------------------------------------ connections

describe('probes.mysql() connections', () => {
  test('persistent (default) keeps one connection; persistent: false keeps none; close() lets go', async () => {
    const before = await appConnections();
    const kept = probes.mysql(m.primary.url);
    for (let i = 0; i < 5; i++) expect((await run(kept)).status).toBe('healthy');
    expect(await appConnections()).toBe(before + 1);
    kept.close();
    await waitFor(async () => (await appConnections()) === before, { timeout: 5000, what: 'the kept connection to close' });
    const oneShot = probes.mysql(m.primary.url, { persistent: false });
    for (let i = 0; i < 3; i++) expect((await run(oneShot)).status).toBe('healthy');
    await waitFor(async () => (await appConnections()) === before, { timeout: 5000, what: 'one-shot connections to close' });
  });

  test('a kept connection the server kills is replaced within the same round', async () => {
    const probe = probes.mysql(m.primary.url);
    expect((await run(probe)).status).toBe('healthy');
    const ids = (await m.sql('primary', "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'omnidb'")).split('\n').filter(Boolean);
    expect(ids).toHaveLength(1);
    await m.sql('primary', `KILL ${ids[0]}`);
    expect(await run(probe)).toMatchObject({ status: 'healthy', role: 'primary' });
    probe.close();
  });

  test('in healthCheck.checks: results surface in metrics() and health:changed', async () => {
    const db = new Orchestrator({
      connections: { primary: {}, replica: {} },
      healthCheck: { interval: '1h', checks: { primary: probes.mysql(m.primary.url, { role: 'primary' }), replica: probes.mysql(m.replica.url, { role: 'primary' }) } },
    });
    const changes = [];
    db.on('health:changed', (e) => changes.push(e));
    try {
      await db.connect();
      expect(db.metrics().primary).toMatchObject({ status: 'healthy', role: 'primary', lagMs: null });
      expect(db.metrics().replica).toMatchObject({ status: 'unhealthy', role: 'replica', lagMs: 0 });
      expect(changes).toEqual([expect.objectContaining({
        name: 'replica', current: 'unhealthy',
        error: `MySQL at 127.0.0.1:${m.replica.port}: the server is a replica, but role 'primary' is required`,
      })]);
    } finally {
      await db.disconnect();
    }
    await waitFor(async () => (await appConnections('primary')) === 0, { timeout: 5000, what: 'disconnect() to close the probe connections' });
  });
});

// ------------------------------------------------------------------ resources

describe('resources', () => {
  test('10,000 rounds leave open fds, handles and active resources where they started', async () => {
    const refused = await closedPort();
    await new Promise((r) => setTimeout(r, 100));
    const fds = openFds();
    const handles = handleCount();
    const resources = resourceCounts();
    const hole = await blackhole();

    const primary = probes.mysql(m.primary.url);
    const replica = probes.mysql(m.replica.url);
    for (let i = 0; i < 10000; i++) {
      const [a, b] = await Promise.all([run(primary), run(replica)]);
      if (a.status !== 'healthy' || b.status !== 'healthy') throw new Error(`round ${i}: ${a.error || b.error}`);
    }
    const oneShot = probes.mysql(m.primary.url, { persistent: false });
    for (let i = 0; i < 300; i++) expect((await run(oneShot)).status).toBe('healthy');
    const down = probes.mysql({ host: '127.0.0.1', port: refused });
    for (let i = 0; i < 500; i++) expect((await run(down)).status).toBe('unhealthy');
    const wrong = probes.mysql(target(m.primary, { password: 'nope' }));
    for (let i = 0; i < 100; i++) expect((await run(wrong)).error).toContain('Access denied');
    const silent = probes.mysql({ host: '127.0.0.1', port: hole.port }, { timeout: 20 });
    for (let i = 0; i < 20; i++) expect((await run(silent)).error).toMatch(/timed out after 20 ms/);
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const pending = run(silent, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stop')), 2);
      await expect(pending).rejects.toThrow('stop');
    }

    primary.close();
    replica.close();
    await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'blackhole sockets to close' });
    await hole.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBe(fds);
    expect(handleCount()).toBe(handles);
    expect(resourceCounts()).toEqual(resources);
    await waitFor(async () => (await appConnections('primary')) === 0, { timeout: 5000, what: 'server-side connections to go' });
  }, 180000);

  test('a worker terminated with probes in flight exits cleanly and closes every socket', async () => {
    const hole = await blackhole();
    const code = `
      const { parentPort, workerData } = require('worker_threads');
      const { probes } = require(${JSON.stringify(LIB)});
      const { hole, url } = workerData;
      for (let i = 0; i < 3; i++) {
        probes.mysql({ host: '127.0.0.1', port: hole })(null, {});
        probes.mysql(url)(null, {});
        probes.mysql({ host: 'no-such-host.invalid' })(null, {});
      }
      const kept = probes.mysql(url);
      kept(null, {}).then(() => setInterval(() => kept(null, {}), 1));
      setTimeout(() => parentPort.postMessage('running'), 20);
    `;
    try {
      for (let i = 0; i < 5; i++) {
        const worker = new Worker(code, { eval: true, workerData: { hole: hole.port, url: m.primary.url } });
        await new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        expect(await worker.terminate()).toBe(1);
      }
      await waitFor(() => hole.sockets.size === 0, { timeout: 5000, what: 'sockets of terminated workers to close' });
      await waitFor(async () => (await appConnections('primary')) === 0, { timeout: 5000, what: 'MariaDB connections of terminated workers to close' });
    } finally {
      await hole.close();
    }
  });
});

// Last: it restarts the primary.
describe('a kept MySQL connection across a primary restart', () => {
  test('unhealthy while down, healthy again after the restart, same probe', async () => {
    const probe = probes.mysql(m.primary.url);
    expect((await run(probe)).status).toBe('healthy');
    await m.stopServer('primary');
    const down = await run(probe);
    expect(down.status).toBe('unhealthy');
    expect(down.error).toBe(`MySQL at 127.0.0.1:${m.primary.port}: Can't connect to server (111: Connection refused)`);
    await m.startServer('primary');
    expect(await run(probe)).toMatchObject({ status: 'healthy', role: 'primary' });
    probe.close();
  }, 90000);
});
