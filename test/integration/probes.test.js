'use strict';
// Native health probes against real servers: a PostgreSQL primary with a streaming
// replica and a Redis (test/harness/servers.js), plus a Redis replica started here, a
// closed port, an unresolvable name and a blackhole socket (accepts, never answers).
const { spawn } = require('child_process');
const { Worker } = require('worker_threads');
const path = require('path');
const pg = require('pg');
const Redis = require('ioredis');
const { startCluster, freePort, findBinaries, waitFor } = require('../harness/servers');
const { Orchestrator, ConfigError, probes } = require('../..');

const PASSWORD = 'pr0be-S3cret';
const LIB = path.resolve(__dirname, '../..');

jest.setTimeout(60000);

let c;
let replicaRedis = null; // { port, child }

beforeAll(async () => {
  c = await startCluster({ replica: true, redis: true, password: PASSWORD });
  replicaRedis = await startRedisReplica(c.redis.port);
}, 120000);

afterAll(async () => {
  if (replicaRedis) {
    replicaRedis.child.kill('SIGKILL');
    await new Promise((r) => replicaRedis.child.once('exit', r));
  }
  if (c) await c.stop();
});

// ------------------------------------------------------------------ helpers

async function startRedisReplica(masterPort) {
  const port = await freePort();
  const { redisServer } = findBinaries({ redis: true });
  const child = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--replicaof', '127.0.0.1', String(masterPort), '--masterauth', PASSWORD, '--requirepass', PASSWORD], { stdio: 'ignore' });
  child.unref();
  const probe = probes.redis({ port, password: PASSWORD }, { timeout: 500, persistent: false });
  await waitFor(async () => {
    const r = await probe(null, {});
    return r.status === 'healthy' && r.role === 'replica' && typeof r.lagMs === 'number';
  }, { timeout: 20000, what: 'the Redis replica to sync' });
  return { port, child };
}

const { blackhole, closedPort, run, once, openFds } = require('./probe-helpers');
const probeBackends = async () =>
  Number(await c.psql('primary', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'omnidb-probe'"));

// Active resources by type. JS timers ('Timeout') are left out: probes create none (their
// timeouts are native, their pacing uses setImmediate), while the harness's own psql and
// wait timers come and go on their own schedule.
function resourceCounts() {
  const counts = {};
  for (const r of process.getActiveResourcesInfo()) if (r !== 'Timeout') counts[r] = (counts[r] || 0) + 1;
  return counts;
}

function expectNoSecret(result, secret = PASSWORD) {
  expect(JSON.stringify(result)).not.toContain(secret);
}

// ------------------------------------------------------------------ validation

describe('validation at probes.*() call time', () => {
  test('a missing target names what it got', () => {
    expect(() => probes.postgres(undefined)).toThrow(ConfigError);
    expect(() => probes.postgres(undefined)).toThrow(/probes\.postgres\(\) target: expected a postgres:\/\/ URL.*received undefined/);
    expect(() => probes.redis(42)).toThrow(/probes\.redis\(\) target: expected a redis:\/\/ URL.*received 42 \(number\)/);
  });

  test('a bad port names the value', () => {
    expect(() => probes.postgres({ host: 'db', port: 'abc' }))
      .toThrow("Invalid probes.postgres() target.port: expected a port number from 1 to 65535 but received 'abc' (string)");
    expect(() => probes.redis({ port: 70000 })).toThrow(/target\.port: .*received 70000 \(number\)/);
  });

  test('a bad URL is named with its password masked', () => {
    let error;
    try {
      probes.postgres(`postgres://app:${PASSWORD}@db:99999/x`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('postgres://app:***@db:99999/x');
    expect(error.message).not.toContain(PASSWORD);
    expect(() => probes.postgres(`host=db password=${PASSWORD} port`)).toThrow(/malformed conninfo/);
    expect(() => probes.postgres(`host=db password=${PASSWORD} port`)).not.toThrow(new RegExp(PASSWORD));
  });

  test('unknown options get a suggestion', () => {
    expect(() => probes.postgres(c.primary.url, { degradeAfter: '1s' }))
      .toThrow('Unknown option "degradeAfter" in probes.postgres() options. Did you mean "degradedAfter"?');
    expect(() => probes.redis(c.redis.url, { query: 'PING' })).toThrow(/Unknown option "query"/);
    expect(() => probes.postgres({ host: 'db', dbnmae: 'x' })).toThrow(/Did you mean "dbname"/);
  });

  test('bad option values are named', () => {
    expect(() => probes.postgres(c.primary.url, { role: 'leader' })).toThrow(/options\.role: expected 'primary'.*received 'leader' \(string\)/);
    expect(() => probes.postgres(c.primary.url, { timeout: '0s' })).toThrow(/options\.timeout/);
    expect(() => probes.postgres(c.primary.url, { maxLag: 'soon' })).toThrow(/options\.maxLag/);
    expect(() => probes.postgres(c.primary.url, { persistent: 'yes' })).toThrow(/options\.persistent: expected a boolean/);
    expect(() => probes.postgres(c.primary.url, { query: '' })).toThrow(/options\.query: expected a non-empty string/);
    expect(() => probes.postgres(c.primary.url, { detectRole: false, role: 'primary' })).toThrow(/need role detection/);
    expect(() => probes.postgres({ host: 'db', sslmode: 'sometimes' })).toThrow(/sslmode: expected one of disable/);
  });

  test('one server per probe, no TLS for Redis, AUTH needs a password', () => {
    expect(() => probes.postgres('postgres://a:1,b:2/db')).toThrow(/names several hosts/);
    expect(() => probes.postgres({ host: 'a,b' })).toThrow(/target\.host/);
    expect(() => probes.redis('rediss://cache:6380')).toThrow(/TLS \(rediss:\/\/\) is not supported/);
    expect(() => probes.redis({ username: 'app' })).toThrow(/username "app" needs a password/);
    expect(() => probes.redis('http://cache')).toThrow(/expected a redis:\/\/ or unix:\/\/ URL/);
  });

  test('fromClient() recognises pg, ioredis and node-redis clients (and the families of lib/clients/) and nothing else', () => {
    expect(() => probes.fromClient({ query() {} })).toThrow(/expected a client OmniDB can probe natively \(.*pg.*ioredis, node-redis.*\) but received an object/);
    const pool = new pg.Pool({ connectionString: c.primary.authUrl });
    expect(probes.fromClient(pool).description).toBe(`postgres://omnidb@127.0.0.1:${c.primary.port}/omnidb_test`);
    const client = new pg.Client({ host: '127.0.0.1', port: c.primary.port, user: 'postgres', database: 'omnidb_test' });
    expect(probes.fromClient(client).description).toBe(`postgres://postgres@127.0.0.1:${c.primary.port}/omnidb_test`);
    const redis = new Redis({ lazyConnect: true, port: c.redis.port, password: PASSWORD, db: 2 });
    expect(probes.fromClient(redis).description).toBe(`redis://localhost:${c.redis.port}/2`);
    redis.disconnect();
    const nodeRedis = require('redis4').createClient({ url: `redis://default:${PASSWORD}@127.0.0.1:${c.redis.port}/1` });
    expect(probes.fromClient(nodeRedis).description).toBe(`redis://default@127.0.0.1:${c.redis.port}/1`);
    // A Cluster has many servers: no one target to derive (checks: 'auto' checks it through the client).
    const cluster = new Redis.Cluster([{ host: '127.0.0.1', port: c.redis.port }], { lazyConnect: true });
    expect(() => probes.fromClient(cluster)).toThrow(/cannot be derived from this ioredis client/);
    cluster.disconnect();
  });
});

// ------------------------------------------------------------------ PostgreSQL

describe('probes.postgres() against a real primary and streaming replica', () => {
  test('a primary answers healthy, with latency and role', async () => {
    const probe = probes.postgres(c.primary.url);
    const r = await run(probe);
    expect(r).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'primary', tls: false });
    expect(r.latencyMs).toBeGreaterThan(0);
    probe.close();
  });

  test('SCRAM authentication, a conninfo string and an options object all work', async () => {
    for (const target of [
      c.primary.authUrl,
      `host=127.0.0.1 port=${c.primary.port} user=omnidb password='${PASSWORD}' dbname=omnidb_test`,
      { host: 'localhost', port: c.primary.port, user: 'omnidb', password: PASSWORD, database: 'omnidb_test', ssl: false },
    ]) {
      const probe = probes.postgres(target, { persistent: false });
      await expect(once(probe)).resolves.toMatchObject({ status: 'healthy', role: 'primary' });
    }
  });

  test('a standby reports its role and replay lag', async () => {
    const probe = probes.postgres(c.replica.url);
    const r = await run(probe);
    expect(r.status).toBe('healthy');
    expect(r.role).toBe('standby');
    expect(r.lagMs === null || typeof r.lagMs === 'number').toBe(true);
    probe.close();
  });

  test("role: 'primary' makes a standby unhealthy, role: 'replica' a primary", async () => {
    const mustWrite = await once(probes.postgres(c.replica.url, { role: 'primary', persistent: false }));
    expect(mustWrite).toMatchObject({ status: 'unhealthy', role: 'standby' });
    expect(mustWrite.error).toBe(`PostgreSQL at 127.0.0.1:${c.replica.port}: the server is a standby (in recovery), but role 'primary' is required`);
    const mustRead = await once(probes.postgres(c.primary.url, { role: 'replica', persistent: false }));
    expect(mustRead).toMatchObject({ status: 'unhealthy', role: 'primary' });
    await expect(once(probes.postgres(c.replica.url, { role: 'standby', persistent: false })))
      .resolves.toMatchObject({ status: 'healthy' });
  });

  test('maxLag makes a lagging standby unhealthy', async () => {
    const probe = probes.postgres(c.replica.url, { maxLag: '200ms' });
    // Lag counts from the last replayed transaction: make sure there is one.
    await c.psql('primary', "INSERT INTO items (name) VALUES ('before')");
    await waitFor(async () => (await c.psql('replica', 'SELECT pg_last_xact_replay_timestamp() IS NOT NULL')) === 't',
      { timeout: 10000, what: 'a replayed transaction' });
    await c.psql('replica', 'SELECT pg_wal_replay_pause()');
    try {
      await c.psql('primary', "INSERT INTO items (name) VALUES ('lag')");
      let r;
      await waitFor(async () => {
        r = await run(probe);
        return r.status === 'unhealthy';
      }, { timeout: 10000, what: 'the standby to fall behind' });
      expect(r.role).toBe('standby');
      expect(r.lagMs).toBeGreaterThan(200);
      expect(r.error).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${c.replica.port}: replication lag \\d+ ms exceeds maxLag 200 ms$`));
    } finally {
      await c.psql('replica', 'SELECT pg_wal_replay_resume()');
    }
    await waitFor(async () => (await run(probe)).status === 'healthy', { timeout: 10000, what: 'the standby to catch up' });
    probe.close();
  });

  test('degradedAfter turns a slow answer into degraded', async () => {
    const probe = probes.postgres(c.primary.url, { query: 'SELECT pg_sleep(0.05)', degradedAfter: '10ms' });
    const r = await run(probe);
    expect(r.status).toBe('degraded');
    expect(r.latencyMs).toBeGreaterThanOrEqual(50);
    expect(r.error).toMatch(/slower than degradedAfter 10 ms/);
    probe.close();
  });

  test('a failing probe query is unhealthy and says why', async () => {
    const r = await once(probes.postgres(c.primary.url, { query: 'SELECT * FROM no_such_table', persistent: false }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toContain(`PostgreSQL at 127.0.0.1:${c.primary.port}: query failed: ERROR: relation "no_such_table" does not exist`);
  });

  test('a wrong password: unhealthy, names host, port and cause, never the password', async () => {
    const wrong = 'not-the-' + PASSWORD;
    const r = await once(probes.postgres({ host: '127.0.0.1', port: c.primary.port, user: 'omnidb', password: wrong, database: 'omnidb_test' }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toContain(`PostgreSQL at 127.0.0.1:${c.primary.port}:`);
    expect(r.error).toContain('password authentication failed for user "omnidb"');
    expectNoSecret(r, wrong);
  });

  test('a missing database', async () => {
    const r = await once(probes.postgres(`postgres://omnidb:${PASSWORD}@127.0.0.1:${c.primary.port}/no_such_db`));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toContain(`PostgreSQL at 127.0.0.1:${c.primary.port}:`);
    expect(r.error).toContain('database "no_such_db" does not exist');
    expectNoSecret(r);
  });

  test('a refused port', async () => {
    const port = await closedPort();
    const r = await once(probes.postgres({ host: '127.0.0.1', port, user: 'x', password: PASSWORD }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port}: .*Connection refused`));
    expectNoSecret(r);
  });

  test('an unresolvable host, resolved off the JS thread', async () => {
    const started = Date.now();
    const r = await once(probes.postgres({ host: 'no-such-host.invalid', port: 5432, password: PASSWORD }, { timeout: '3s' }));
    expect(r.status).toBe('unhealthy');
    expect(r.error).toMatch(/^PostgreSQL at no-such-host\.invalid:5432: (could not resolve host "no-such-host\.invalid"|timed out after 3000 ms while resolving)/);
    // A resolver's answer is delivered when it comes, not when the timeout fires.
    if (r.error.includes('could not resolve')) expect(Date.now() - started).toBeLessThan(2500);
  });

  test('a server that accepts TCP but never answers times out natively, and the socket is closed', async () => {
    const hole = await blackhole();
    try {
      const r = await once(probes.postgres({ host: '127.0.0.1', port: hole.port, password: PASSWORD }, { timeout: 300 }));
      expect(r.status).toBe('unhealthy');
      expect(r.error).toBe(`PostgreSQL at 127.0.0.1:${hole.port}: timed out after 300 ms while connecting (negotiating SSL: no answer from the server)`);
      expect(r.latencyMs).toBeGreaterThanOrEqual(290);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the probe socket to close' });
    } finally {
      await hole.close();
    }
  });

  test("the check's signal cancels the native probe", async () => {
    const hole = await blackhole();
    try {
      const probe = probes.postgres({ host: '127.0.0.1', port: hole.port }, { timeout: '10s' });
      const controller = new AbortController();
      const pending = run(probe, { signal: controller.signal, name: 'x', attempt: 0 });
      await waitFor(() => hole.sockets.size === 1, { timeout: 2000, what: 'the probe to connect' });
      const reason = new Error('gave up');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the cancelled probe socket to close' });
      // The probe is usable again: the next round starts afresh, and cancels as cleanly.
      const again = new AbortController();
      const next = run(probe, { signal: again.signal });
      await waitFor(() => hole.sockets.size === 1, { timeout: 2000, what: 'the probe to connect again' });
      again.abort(reason);
      await expect(next).rejects.toBe(reason);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the second socket to close' });
    } finally {
      await hole.close();
    }
  });

  test('persistent (default) keeps one connection; persistent: false keeps none; close() lets go', async () => {
    const kept = probes.postgres(c.primary.url);
    const before = await probeBackends();
    for (let i = 0; i < 5; i++) expect((await run(kept)).status).toBe('healthy');
    expect(await probeBackends()).toBe(before + 1);
    kept.close();
    await waitFor(async () => (await probeBackends()) === before, { timeout: 5000, what: 'the kept connection to close' });
    const oneShot = probes.postgres(c.primary.url, { persistent: false });
    for (let i = 0; i < 3; i++) expect((await run(oneShot)).status).toBe('healthy');
    await waitFor(async () => (await probeBackends()) === before, { timeout: 5000, what: 'one-shot connections to close' });
  });
});

// ------------------------------------------------------------------ Redis

describe('probes.redis() against a real master and replica', () => {
  test('a master answers healthy, with latency and role', async () => {
    const probe = probes.redis(c.redis.url);
    const r = await run(probe);
    expect(r).toEqual({ status: 'healthy', latencyMs: expect.any(Number), role: 'master' });
    probe.close();
  });

  test('username + password, and SELECT db', async () => {
    const probe = probes.redis({ host: 'localhost', port: c.redis.port, username: 'default', password: PASSWORD, db: 3 });
    expect((await run(probe)).status).toBe('healthy');
    expect((await run(probe)).status).toBe('healthy');
    probe.close();
    const bad = await once(probes.redis({ port: c.redis.port, password: PASSWORD, db: 99 }));
    expect(bad.error).toBe(`Redis at 127.0.0.1:${c.redis.port}: SELECT 99 failed: ERR DB index is out of range`);
  });

  test('a replica reports its role and lag; role and maxLag apply', async () => {
    const r = await once(probes.redis({ port: replicaRedis.port, password: PASSWORD }));
    expect(r).toMatchObject({ status: 'healthy', role: 'replica', lagMs: expect.any(Number) });
    expect(r.lagMs % 1000).toBe(0); // master_last_io_seconds_ago, in ms
    const mustWrite = await once(probes.redis({ port: replicaRedis.port, password: PASSWORD }, { role: 'primary' }));
    expect(mustWrite.error).toBe(`Redis at 127.0.0.1:${replicaRedis.port}: the server is a replica, but role 'primary' is required`);
    const mustRead = await once(probes.redis(c.redis.url, { role: 'replica' }));
    expect(mustRead.error).toBe(`Redis at 127.0.0.1:${c.redis.port}: the server is a master, but role 'replica' is required`);
  });

  test('a replica whose master is gone fails maxLag', async () => {
    const probe = probes.redis({ port: replicaRedis.port, password: PASSWORD }, { maxLag: '1h' });
    expect((await run(probe)).status).toBe('healthy');
    await c.stopRedis();
    try {
      let r;
      await waitFor(async () => {
        r = await run(probe);
        return r.status === 'unhealthy';
      }, { timeout: 20000, what: 'the replica to notice its master is gone' });
      expect(r.lagMs).toBeNull();
      expect(r.error).toMatch(/replication lag unknown \(the link to the master is down/);
    } finally {
      await c.startRedis();
    }
    await waitFor(async () => (await run(probe)).status === 'healthy', { timeout: 20000, what: 'the replica to resync' });
    probe.close();
  }, 60000);

  test('a wrong or missing password: unhealthy, never the password', async () => {
    const wrong = 'not-the-' + PASSWORD;
    const r = await once(probes.redis({ port: c.redis.port, password: wrong }));
    expect(r.error).toBe(`Redis at 127.0.0.1:${c.redis.port}: AUTH failed: WRONGPASS invalid username-password pair or user is disabled.`);
    expectNoSecret(r, wrong);
    const none = await once(probes.redis({ port: c.redis.port }));
    expect(none.error).toBe(`Redis at 127.0.0.1:${c.redis.port}: NOAUTH Authentication required.`);
  });

  test('a refused port, an unresolvable host, a blackhole', async () => {
    const port = await closedPort();
    expect((await once(probes.redis({ port, password: PASSWORD }))).error).toBe(`Redis at 127.0.0.1:${port}: Connection refused`);
    const started = Date.now();
    const nx = await once(probes.redis({ host: 'no-such-host.invalid', port: 6379 }, { timeout: '3s' }));
    if (nx.error.includes('could not resolve')) expect(Date.now() - started).toBeLessThan(2500);
    expect(nx.error).toMatch(/^Redis at no-such-host\.invalid:6379: (could not resolve host "no-such-host\.invalid"|timed out after 3000 ms while resolving)/);
    const hole = await blackhole();
    try {
      const r = await once(probes.redis({ port: hole.port, password: PASSWORD }, { timeout: 300 }));
      expect(r.error).toBe(`Redis at 127.0.0.1:${hole.port}: timed out after 300 ms waiting for the reply to AUTH`);
      expectNoSecret(r);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the probe socket to close' });
    } finally {
      await hole.close();
    }
  });

  test('a kept connection is re-opened after a server restart', async () => {
    const probe = probes.redis(c.redis.url);
    expect((await run(probe)).status).toBe('healthy');
    await c.stopRedis();
    expect((await run(probe)).error).toBe(`Redis at 127.0.0.1:${c.redis.port}: Connection refused`);
    await c.startRedis();
    expect((await run(probe)).status).toBe('healthy');
    probe.close();
  }, 30000);
});

// ------------------------------------------------------------------ with the orchestrator

describe('in healthCheck.checks', () => {
  test('results surface in health:changed and metrics()', async () => {
    const db = new Orchestrator({
      connections: { primary: {}, replica: {}, cache: {} },
      healthCheck: {
        interval: '1h',
        checks: {
          primary: probes.postgres(c.primary.url, { role: 'primary' }),
          replica: probes.postgres(c.replica.url, { role: 'primary' }),
          cache: probes.redis(c.redis.url),
        },
      },
    });
    const changes = [];
    db.on('health:changed', (e) => changes.push(e));
    try {
      await db.connect();
      const m = db.metrics();
      expect(m.primary).toMatchObject({ status: 'healthy', role: 'primary', lagMs: null, latencyMs: expect.any(Number) });
      expect(m.cache).toMatchObject({ status: 'healthy', role: 'master' });
      expect(m.replica).toMatchObject({ status: 'unhealthy', role: 'standby' });
      expect(changes).toEqual([expect.objectContaining({
        name: 'replica', current: 'unhealthy',
        error: `PostgreSQL at 127.0.0.1:${c.replica.port}: the server is a standby (in recovery), but role 'primary' is required`,
      })]);
    } finally {
      await db.disconnect();
    }
  });

  test("checks: 'auto' probes recognised clients; disconnect() closes the kept connections", async () => {
    const pool = new pg.Pool({ connectionString: c.primary.authUrl });
    const redis = new Redis(c.redis.url, { lazyConnect: true });
    const before = await probeBackends();
    const db = new Orchestrator({ connections: { pool, redis, other: {} }, healthCheck: { checks: { pool: 'auto', redis: 'auto' }, interval: '1h' } });
    await db.connect();
    const m = db.metrics();
    expect(m.pool).toMatchObject({ status: 'healthy', role: 'primary' });
    expect(m.redis).toMatchObject({ status: 'healthy', role: 'master' });
    expect(m.other.lastCheckAt).toBeNull();
    expect(await probeBackends()).toBe(before + 1);
    await db.disconnect();
    await waitFor(async () => (await probeBackends()) === before, { timeout: 5000, what: 'the probe connection to close' });
  });

  test("a probe timing out in the orchestrator is cancelled through its signal", async () => {
    const hole = await blackhole();
    const db = new Orchestrator({
      connections: { a: {} },
      healthCheck: { interval: '1h', timeout: '200ms', checks: { a: probes.postgres({ host: '127.0.0.1', port: hole.port }, { timeout: '1h' }) } },
    });
    try {
      await db.connect();
      expect(db.health().a.status).toBe('unhealthy');
      expect(db.metrics().a.lastError).toMatch(/timed out/);
      await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'the cancelled probe socket to close' });
    } finally {
      await db.disconnect();
      await hole.close();
    }
  });
});

// ------------------------------------------------------------------ pacing

describe('many probes at once', () => {
  test('rounds past the per-turn budget wait a turn; close() and abort still work on them', async () => {
    const port = await closedPort();
    const many = Array.from({ length: 40 }, () => probes.redis({ port }));
    const reason = new Error('not needed');
    const controller = new AbortController();
    const pending = many.map((p, i) => p(null, i === 39 ? { signal: controller.signal } : {}));
    // The last ones are still queued (16 start per turn): settle two of them before they start.
    many[38].close();
    controller.abort(reason);
    const results = await Promise.allSettled(pending);
    expect(results[38]).toEqual({ status: 'fulfilled', value: { status: 'unhealthy', latencyMs: 0, error: 'closed' } });
    expect(results[39]).toEqual({ status: 'rejected', reason });
    for (const r of results.slice(0, 38)) {
      expect(r.value.error).toBe(`Redis at 127.0.0.1:${port}: Connection refused`);
    }
  });
});

// ------------------------------------------------------------------ resources

describe('resources', () => {
  test('10,000 rounds leave open fds and active resources where they started', async () => {
    const refused = await closedPort();
    await new Promise((r) => setTimeout(r, 100));
    const fds = openFds();
    const resources = resourceCounts();
    const hole = await blackhole();

    const pgKept = probes.postgres(c.primary.url);
    const redisKept = probes.redis(c.redis.url);
    for (let i = 0; i < 10000; i++) {
      const [a, b] = await Promise.all([run(pgKept), run(redisKept)]);
      if (a.status !== 'healthy' || b.status !== 'healthy') throw new Error(`round ${i}: ${a.error || b.error}`);
    }
    const pgOneShot = probes.postgres(c.primary.url, { persistent: false });
    const redisOneShot = probes.redis({ host: 'localhost', port: c.redis.port, password: PASSWORD }, { persistent: false });
    for (let i = 0; i < 100; i++) expect((await run(pgOneShot)).status).toBe('healthy');
    for (let i = 0; i < 1000; i++) expect((await run(redisOneShot)).status).toBe('healthy');
    const down = [probes.postgres({ host: '127.0.0.1', port: refused }), probes.redis({ port: refused })];
    for (let i = 0; i < 500; i++) for (const p of down) expect((await run(p)).status).toBe('unhealthy');
    const silent = [probes.postgres({ host: '127.0.0.1', port: hole.port }, { timeout: 20 }),
      probes.redis({ port: hole.port }, { timeout: 20 })];
    for (let i = 0; i < 20; i++) for (const p of silent) expect((await run(p)).error).toMatch(/timed out after 20 ms/);
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const pending = run(silent[i % 2], { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('stop')), 2);
      await expect(pending).rejects.toThrow('stop');
    }

    pgKept.close();
    redisKept.close();
    await waitFor(() => hole.sockets.size === 0, { timeout: 2000, what: 'blackhole sockets to close' });
    await hole.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBe(fds);
    expect(resourceCounts()).toEqual(resources);
  }, 120000);

  test('a worker terminated with probes in flight exits cleanly and closes every socket', async () => {
    const hole = await blackhole();
    const before = await probeBackends();
    const code = `
      const { parentPort, workerData } = require('worker_threads');
      const { probes } = require(${JSON.stringify(LIB)});
      const { hole, pg, redis } = workerData;
      for (let i = 0; i < 3; i++) {
        probes.postgres({ host: '127.0.0.1', port: hole })(null, {});
        probes.redis({ host: 'localhost', port: hole })(null, {});
        probes.postgres(pg)(null, {});
        probes.redis(redis)(null, {});
        probes.postgres({ host: 'no-such-host.invalid' })(null, {});
      }
      const kept = probes.postgres(pg);
      kept(null, {}).then(() => setInterval(() => kept(null, {}), 1));
      setTimeout(() => parentPort.postMessage('running'), 20);
    `;
    try {
      for (let i = 0; i < 5; i++) {
        const worker = new Worker(code, { eval: true, workerData: { hole: hole.port, pg: c.primary.url, redis: c.redis.url } });
        await new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        expect(await worker.terminate()).toBe(1);
      }
      await waitFor(() => hole.sockets.size === 0, { timeout: 5000, what: 'sockets of terminated workers to close' });
      await waitFor(async () => (await probeBackends()) === before, { timeout: 5000, what: 'PostgreSQL connections of terminated workers to close' });
    } finally {
      await hole.close();
    }
  });
});

// Last: it restarts the primary (the replica reconnects on its own).
describe('a kept PostgreSQL connection across a primary crash', () => {
  test('unhealthy while down, healthy again after the restart, same probe', async () => {
    const probe = probes.postgres(c.primary.url);
    expect((await run(probe)).status).toBe('healthy');
    await c.killPrimary();
    const down = await run(probe);
    expect(down.status).toBe('unhealthy');
    expect(down.error).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${c.primary.port}: .*Connection refused`));
    await c.restartPrimary();
    expect(await run(probe)).toMatchObject({ status: 'healthy', role: 'primary' });
    probe.close();
  }, 60000);
});
