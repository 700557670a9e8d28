'use strict';
// Failover against real servers: a PostgreSQL primary + streaming replica + Redis
// (test/harness/servers.js), real `pg` Pools and an `ioredis` client, and the failures
// that happen in production: a primary SIGKILLed under load and restarted, Redis
// stopped and started, a server frozen with SIGSTOP, disconnect() with queries in flight.
//
// Waits are on OmniDB's own events (EventLog.waitFor, bounded); the only polling is for
// what has no event. No test asserts on timing: each test's own timeout is the backstop
// against a hang.

const { Pool, Client } = require('pg');
const Redis = require('ioredis');
const { startCluster } = require('../harness/servers');
const { Orchestrator, CircuitOpenError, TimeoutError } = require('../..');
const { watchUnhandledRejections, EventLog, poll, threshold, restoreCluster } = require('./chaos-helpers');

jest.setTimeout(30000);

let cluster;
const made = [];
const unhandled = watchUnhandledRejections();

beforeAll(async () => {
  cluster = await startCluster({ replica: true, redis: true });
}, 120000);

afterEach(async () => {
  const dbs = made.splice(0);
  // disconnect() closes every client itself (ioredis through end()); a second
  // redis.disconnect() here would leave ioredis's 2 s destroy timer running.
  await Promise.all(dbs.map((d) => d.db.disconnect()));
  if (cluster) await restoreCluster(cluster);
  expect(await unhandled.drain()).toEqual([]);
}, 60000);

afterAll(async () => {
  unhandled.dispose();
  if (cluster) await cluster.stop();
}, 60000);

const pgCheck = async (pool) => (await pool.query('SELECT 1 AS ok')).rows[0].ok === 1;

/**
 * A fresh Orchestrator over fresh clients: primary and replica pg Pools, an ioredis
 * client; primary fails over to the replica. Connected, with every client ready.
 */
async function makeDb({ circuitBreaker = { threshold: 3, resetTimeout: '1s' } } = {}) {
  const pool = (url) => {
    const p = new Pool({ connectionString: url, connectionTimeoutMillis: 1000, max: 10 });
    p.on('error', () => {}); // an idle client whose server dies; the health checks report it
    return p;
  };
  const primary = pool(cluster.primary.url);
  const replica = pool(cluster.replica.url);
  const redis = new Redis(cluster.redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 20, 200), // ioredis reconnects by itself; keep it brisk
  });
  redis.on('error', () => {});
  const db = new Orchestrator({
    connections: { primary, replica, cache: redis },
    failover: { primary: 'replica' },
    healthCheck: {
      interval: '200ms',
      timeout: '500ms',
      // Two failed checks in a row to turn unhealthy: this 2-core machine also runs the
      // three servers and the load, and one 500 ms check can miss its deadline there
      // without any outage; a real outage fails every check.
      fall: 2,
      checks: {
        primary: pgCheck,
        replica: pgCheck,
        cache: async (r) => (await r.ping()) === 'PONG',
      },
    },
    circuitBreaker,
  });
  made.push({ db });
  const log = new EventLog(db);
  if (redis.status !== 'ready') {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ioredis not ready after 10 s (status ${redis.status})`)), 10000);
      redis.once('ready', () => { clearTimeout(timer); resolve(); });
    });
  }
  await db.connect();
  expect(db.health()).toEqual({ primary: { status: 'healthy' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } });
  return { db, log, primary, replica, redis };
}

const inRecovery = (c) => c.query('SELECT pg_is_in_recovery() AS r').then(({ rows }) => rows[0].r);

test('a healthy cluster: reads run on the primary, the replica is in recovery, the cache answers', async () => {
  const { db, log } = await makeDb();
  expect(await db.execute('primary', inRecovery)).toBe(false);
  expect(await db.execute('replica', inRecovery)).toBe(true);
  expect(await db.execute('cache', (r) => r.ping())).toBe('PONG');
  expect(db.getStats()).toEqual({
    primary: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
    replica: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
    cache: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
  });
  expect(log.entries).toEqual([]);
});

test('primary SIGKILLed under load: idempotent reads fail over with none failing, pinned writes are refused, restart recovers', async () => {
  const { db, log } = await makeDb();
  const LOOPS = 4;
  const served = { primary: 0, replica: 0 };
  const failures = [];
  let running = true;
  let phase = 'before-kill';
  const servedIn = { down: { replica: 0 }, recovered: { primary: 0 } };

  const warm = threshold(() => served.primary, 10 * LOOPS);
  const onReplica = threshold(() => servedIn.down.replica, 10 * LOOPS);
  const backOnPrimary = threshold(() => servedIn.recovered.primary, 5 * LOOPS);
  const loop = async () => {
    while (running) {
      try {
        const fromReplica = await db.execute('primary', inRecovery, { idempotent: true, timeout: '2s' });
        const by = fromReplica ? 'replica' : 'primary';
        served[by]++;
        if (phase === 'down' && by === 'replica') servedIn.down.replica++;
        if (phase === 'recovered' && by === 'primary') servedIn.recovered.primary++;
      } catch (err) {
        failures.push(`${phase}: ${err.code || ''} ${err.message}`);
      }
      warm.check();
      onReplica.check();
      backOnPrimary.check();
      // pace the load a little: this machine also runs the three servers
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const loops = Array.from({ length: LOOPS }, loop);
  try {
    await warm.promise;
    expect(served.replica).toBe(0);

    // ---- the crash
    const downSince = log.entries.length;
    phase = 'down';
    await cluster.killPrimary('SIGKILL');
    await log.waitForEvent('failover', 'primary', { backup: 'replica' });
    await log.waitForEvent('circuit:open', 'primary');
    await log.waitForEvent('health:changed', 'primary', { current: 'unhealthy' });
    await onReplica.promise;
    expect(db.getStats().primary).toMatchObject({ status: 'unhealthy', circuit: 'open', failoverTo: 'replica' });
    expect(db.health().primary).toEqual({ status: 'unhealthy', failoverTo: 'replica' });

    // Writes pinned to the primary are refused at once instead of hanging or reaching
    // the read-only replica; their callback never runs.
    const write = jest.fn((c) => c.query('INSERT INTO items (name) VALUES ($1)', ['never']));
    const writes = await Promise.allSettled(Array.from({ length: 5 }, () => db.execute('primary', write, { failover: false })));
    for (const w of writes) {
      expect(w.status).toBe('rejected');
      expect(w.reason).toBeInstanceOf(CircuitOpenError);
      expect(w.reason).toMatchObject({ code: 'OMNIDB_CIRCUIT_OPEN' });
      expect(w.reason.message).toContain('Circuit open for "primary"');
    }
    expect(write).not.toHaveBeenCalled();
    // ...while a read that is not pinned is served by the replica.
    expect(await db.execute('primary', inRecovery)).toBe(true);

    // ---- the restart
    const upSince = log.entries.length;
    await cluster.restartPrimary();
    await log.waitFor((e) => e.event === 'recovery' && e.payload.primary === 'primary', { what: 'recovery of primary', since: upSince, timeout: 15000 });
    phase = 'recovered';
    await backOnPrimary.promise;
    expect(await db.execute('primary', inRecovery)).toBe(false);
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });

    running = false;
    await Promise.all(loops);

    // No idempotent read failed, at any point.
    expect(failures).toEqual([]);
    expect(served.replica).toBeGreaterThan(0);

    // Every transition once, in a sensible order: the crash's three before the restart,
    // the recovery's three after it.
    const label = (e) => `${e.event}${e.event === 'health:changed' ? `:${e.payload.current}` : ''}`;
    const ofPrimary = (entries) => entries.filter((e) => log.about('primary').includes(e));
    const trace = log.describe(log.about('primary'));
    expect({ trace, before: ofPrimary(log.entries.slice(0, downSince)) }).toEqual({ trace, before: [] });
    const downEvents = ofPrimary(log.entries.slice(downSince, upSince));
    const upEvents = ofPrimary(log.entries.slice(upSince));
    const down = downEvents.map(label);
    expect({ trace, down: [...down].sort() }).toEqual({ trace, down: ['circuit:open', 'failover', 'health:changed:unhealthy'] });
    // failover is caused by the open circuit or the failed check: it never comes first.
    expect({ trace, first: down[0] }).not.toEqual({ trace, first: 'failover' });
    expect({ trace, up: upEvents.map(label) }).toEqual({ trace, up: ['health:changed:healthy', 'circuit:close', 'recovery'] });
    expect(log.count('circuit:half-open', 'primary')).toBe(0); // held open by the failed checks

    const payloadOf = (entries, event) => entries.find((e) => e.event === event).payload;
    expect(['failure-threshold', 'health-check-failed']).toContain(payloadOf(downEvents, 'circuit:open').reason);
    expect(payloadOf(downEvents, 'failover')).toMatchObject({ primary: 'primary', backup: 'replica' });
    expect(payloadOf(downEvents, 'health:changed')).toMatchObject({
      previous: 'healthy', current: 'unhealthy', error: expect.stringMatching(/ECONNREFUSED|terminat|connect/i),
    });
    expect(payloadOf(upEvents, 'health:changed')).toMatchObject({ previous: 'unhealthy', current: 'healthy' });
    expect(payloadOf(upEvents, 'circuit:close').reason).toBe('health-recovered');
    expect(payloadOf(upEvents, 'recovery')).toMatchObject({ primary: 'primary', backup: 'replica' });
  } finally {
    running = false;
    await Promise.all(loops);
  }
}, 60000);

test('Redis stopped: the cache goes unhealthy and its circuit opens; started again: it closes (ioredis reconnects by itself)', async () => {
  const { db, log } = await makeDb();
  expect(await db.execute('cache', (r) => r.set('omnidb:it', 'v1'))).toBe('OK');

  await cluster.stopRedis();
  const unhealthy = await log.waitForEvent('health:changed', 'cache', { current: 'unhealthy' });
  expect(unhealthy.payload.previous).toBe('healthy');
  expect(unhealthy.payload.error).toEqual(expect.any(String));
  await log.waitForEvent('circuit:open', 'cache');
  expect(db.getStats().cache).toMatchObject({ status: 'unhealthy', circuit: 'open', failoverTo: null });
  // No backup for the cache: a call is refused at once.
  const get = jest.fn((r) => r.get('omnidb:it'));
  await expect(db.execute('cache', get)).rejects.toBeInstanceOf(CircuitOpenError);
  expect(get).not.toHaveBeenCalled();
  // The databases are unaffected.
  expect(await db.execute('primary', inRecovery)).toBe(false);

  const upSince = log.entries.length;
  await cluster.startRedis();
  const closed = await log.waitFor((e) => e.event === 'circuit:close' && e.payload.name === 'cache',
    { what: 'circuit:close for cache', since: upSince, timeout: 15000 });
  expect(closed.payload.reason).toBe('health-recovered');
  await log.waitForEvent('health:changed', 'cache', { current: 'healthy' });
  expect(db.getStats().cache).toMatchObject({ status: 'healthy', circuit: 'closed' });
  expect(await db.execute('cache', (r) => r.ping())).toBe('PONG');

  const cacheEvents = log.about('cache').map((e) => e.event);
  expect(cacheEvents.filter((e) => e === 'circuit:open')).toHaveLength(1);
  expect(cacheEvents.filter((e) => e === 'circuit:close')).toHaveLength(1);
  expect(log.about('primary')).toEqual([]);
});

test('a primary frozen with SIGSTOP: the check times out, a call with a timeout rejects with OMNIDB_TIMEOUT, reads fail over', async () => {
  const { db, log } = await makeDb();
  expect(await db.execute('primary', inRecovery)).toBe(false); // a warm pooled connection
  let signal;
  let slow;
  try {
    cluster.freeze('primary');
    // Synchronously after the freeze: no check has had time to fail, the circuit is
    // closed, so this call reaches the frozen server and must be cut off by its timeout.
    slow = db.execute('primary', (c, ctx) => {
      signal = ctx.signal;
      return c.query('SELECT 1');
    }, { timeout: '300ms' });
    const slowSettled = slow.then(() => null, (err) => err);

    const unhealthy = await log.waitForEvent('health:changed', 'primary', { current: 'unhealthy' });
    expect(unhealthy.payload.error).toMatch(/time(d)? ?out/i);
    expect(db.metrics().primary.lastError).toMatch(/time(d)? ?out/i);

    const err = await slowSettled;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'OMNIDB_TIMEOUT' });
    expect(signal.aborted).toBe(true);

    // The hung primary is out of rotation: reads go to the replica, pinned calls are refused.
    await log.waitForEvent('failover', 'primary', { backup: 'replica' });
    expect(await db.execute('primary', inRecovery, { timeout: '2s' })).toBe(true);
    await expect(db.execute('primary', inRecovery, { failover: false, timeout: '300ms' }))
      .rejects.toMatchObject({ code: 'OMNIDB_CIRCUIT_OPEN' });
  } finally {
    cluster.thaw('primary');
  }
  // Thawed, it answers again and takes its traffic back.
  await log.waitForEvent('recovery', 'primary', {}, { timeout: 15000 });
  expect(await db.execute('primary', inRecovery, { timeout: '2s' })).toBe(false);
});

test('disconnect() with queries in flight resolves, and every in-flight call settles', async () => {
  const { db } = await makeDb();
  const watcher = new Client({ connectionString: cluster.primary.url, connectionTimeoutMillis: 2000 });
  watcher.on('error', () => {});
  await watcher.connect();
  try {
    const N = 4;
    const calls = Array.from({ length: N }, (_, i) => db.execute('primary', (c) => c.query(`SELECT pg_sleep(0.5), ${i} AS i`)));
    const settled = Promise.allSettled(calls); // observed at once: the test itself leaves nothing unhandled
    // Make sure they are really running on the server (no event for that: a bounded poll).
    await poll(async () => {
      const { rows } = await watcher.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(0.5)%'");
      return rows[0].n === N;
    }, { what: `${N} pg_sleep queries to be active on the primary` });

    const disconnected = [];
    db.on('disconnected', (e) => disconnected.push(e.name));
    await db.disconnect();
    expect(disconnected.sort()).toEqual(['cache', 'primary', 'replica']);
    expect(db.isConnected).toBe(false);

    const results = await settled; // settles one way or the other; the test timeout is the backstop
    expect(results).toHaveLength(N);
    for (const r of results) expect(['fulfilled', 'rejected']).toContain(r.status);

    await expect(db.execute('primary', inRecovery)).rejects.toMatchObject({ code: 'OMNIDB_DISCONNECTED' });
    await db.disconnect(); // idempotent
  } finally {
    await watcher.end().catch(() => {});
  }
});
