'use strict';
// Every SQL client family (lib/clients/) against the harness's real PostgreSQL primary
// and streaming replica, with the real library: pg, postgres.js, Kysely, Knex, Drizzle
// and Prisma 7 (@prisma/adapter-pg, client generated from test/fixtures/prisma offline).
// For each: execute() returns results; the caller's own errors leave a threshold-1
// circuit closed; killing the server opens it, the errors raised in flight and while it
// is down are connection errors, and an idempotent read runs again on the replica;
// checks: 'auto' checks it; disconnect() closes it so that a process exits by itself.

const path = require('path');
const { spawn } = require('child_process');
const { Client } = require('pg');
const { startCluster } = require('../harness/servers');
const { Orchestrator, isConnectionError, defaultIsFailure } = require('../..');
const { KITS } = require('./sql-kits');
const { watchUnhandledRejections, poll, restoreCluster } = require('./chaos-helpers');

jest.setTimeout(60000);

let cluster;
const made = [];
const unhandled = watchUnhandledRejections();

async function admin(url, text) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

beforeAll(async () => {
  KITS.prisma.setup();
  cluster = await startCluster({ replica: true, redis: false });
  await admin(cluster.primary.url, 'CREATE TABLE uniq (k int PRIMARY KEY); INSERT INTO uniq VALUES (1)');
  await poll(async () => (await admin(cluster.replica.url, 'SELECT count(*)::int AS n FROM uniq'))[0].n === 1, { what: 'the uniq table on the replica' });
}, 180000);

afterEach(async () => {
  await Promise.all(made.splice(0).map((db) => db.disconnect()));
  if (cluster) await restoreCluster(cluster);
  expect(await unhandled.drain()).toEqual([]);
}, 60000);

afterAll(async () => {
  unhandled.dispose();
  if (cluster) await cluster.stop();
}, 60000);

function orchestrator(config) {
  const db = new Orchestrator(config);
  db.on('error', () => {}); // client errors while the server is down are expected here
  made.push(db);
  return db;
}

const settle = (promise) => promise.then(() => null, (err) => err);

// The caller's own mistakes: the server answered, and says nothing about its health.
const CALLER_FAULTS = [
  ['a syntax error', 'SELEC 1'],
  ['a missing table', 'SELECT * FROM no_such_table'],
  ['bad data', "SELECT 'not a number'::int AS n"],
  ['a unique violation', 'INSERT INTO uniq (k) VALUES (1)'],
];

describe.each(Object.keys(KITS))('%s', (family) => {
  const kit = KITS[family];

  test('execute() returns results; each caller fault leaves a threshold-1 circuit closed', async () => {
    const db = orchestrator({ connections: { primary: kit.make(cluster.primary.url) }, circuitBreaker: { threshold: 1, resetTimeout: '1h' } });
    await db.connect();
    expect(await db.execute('primary', (c) => kit.raw(c, 'select 1 as one, pg_is_in_recovery() as standby'))).toEqual([{ one: 1, standby: false }]);
    for (const [what, text] of CALLER_FAULTS) {
      const err = await settle(db.execute('primary', (c) => kit.raw(c, text)));
      expect({ what, rejected: err !== null, failure: defaultIsFailure(err), connection: isConnectionError(err) })
        .toEqual({ what, rejected: true, failure: false, connection: false });
      expect({ what, circuit: db.getStats().primary.circuit }).toEqual({ what, circuit: 'closed' });
    }
    expect(await db.execute('primary', (c) => kit.raw(c, 'select 2 as two'))).toEqual([{ two: 2 }]);
    // The same circuit opens at once on an error that counts (the session killed under it).
    const killed = await settle(db.execute('primary', (c) => kit.raw(c, 'select pg_terminate_backend(pg_backend_pid())')));
    expect(isConnectionError(killed)).toBe(true);
    expect(db.getStats().primary.circuit).toBe('open');
  });

  test('the server killed: in-flight and while-down errors are connection errors, the circuit opens, an idempotent read runs again on the replica', async () => {
    const primary = kit.make(cluster.primary.url);
    const db = orchestrator({
      connections: { primary, replica: kit.make(cluster.replica.url) },
      failover: { primary: 'replica' },
      circuitBreaker: { threshold: 2, resetTimeout: '1h' },
    });
    await db.connect();
    expect(await db.execute('primary', (c) => kit.raw(c, 'select pg_is_in_recovery() as standby'))).toEqual([{ standby: false }]);
    const inFlight = settle(db.execute('primary', (c) => kit.raw(c, 'select pg_sleep(30)::text as slept'), { failover: false }));
    await poll(async () => (await admin(cluster.primary.url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'select pg_sleep(30)%' AND state = 'active'"))[0].n === 1,
    { what: 'the query to be running on the primary' });
    await cluster.killPrimary('SIGKILL');

    const lost = await inFlight;
    expect({ lost: String(lost && lost.message), connection: isConnectionError(lost) }).toEqual({ lost: expect.any(String), connection: true });
    const down = await settle(kit.raw(primary, 'select 1 as one'));
    expect({ down: String(down && down.message), connection: isConnectionError(down) }).toEqual({ down: expect.any(String), connection: true });
    // The in-flight failure was the first; this read's is the second and opens the
    // circuit, and the read runs again on the replica.
    expect(await db.execute('primary', (c) => kit.raw(c, 'select pg_is_in_recovery() as standby'), { idempotent: true })).toEqual([{ standby: true }]);
    expect(db.getStats().primary).toMatchObject({ circuit: 'open', failoverTo: 'replica' });
  });

  test(`checks: 'auto' checks it (${kit.native ? 'natively, from its options' : 'through the client'})`, async () => {
    const db = orchestrator({ connections: { primary: kit.make(cluster.primary.url) }, healthCheck: { checks: 'auto', interval: '1h' } });
    await db.connect();
    const m = db.metrics().primary;
    expect(m).toMatchObject({ status: 'healthy', lastError: null });
    expect(m.healthCheck.checks).toBe(1);
    expect(m.role).toBe(kit.native ? 'primary' : undefined); // a native probe reports the role it found
  });

  test('disconnect() closes it: a process that connected, queried and disconnected exits by itself', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures', 'sql-client-exit.js'), family, cluster.primary.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const exit = await new Promise((resolve) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); resolve({ code: 'still running after 20 s', out }); }, 20000);
      child.once('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
    });
    expect(exit).toEqual({ code: 0, out: 'done 1 healthy\n' });
  });
});

// The 'error' listener: with health rounds an hour apart and no calls, the idle clients
// of a killed server are what tells: their 'error' starts a check at once, which fails
// the primary over. (A Drizzle db is listened to through its $client.)
describe.each(['pg', 'drizzle'])("%s: an idle client's error after SIGKILL", (family) => {
  const kit = KITS[family];

  test("becomes an 'error' event (context 'client') and a check that fails the primary over, with no call made", async () => {
    const primary = kit.make(cluster.primary.url);
    const check = async (c) => { await kit.raw(c, 'select 1 as one'); return true; };
    const db = orchestrator({
      connections: { primary, replica: kit.make(cluster.replica.url) },
      failover: { primary: 'replica' },
      healthCheck: { interval: '1h', timeout: '2s', checks: { primary: check, replica: check } },
    });
    const clientErrors = [];
    db.on('error', (e) => { if (e.context === 'client') clientErrors.push(e); });
    await db.connect();
    // Three clients in the pool, idle once these return.
    await Promise.all([1, 2, 3].map(() => db.execute('primary', (c) => kit.raw(c, 'select pg_sleep(0.05)::text as s'))));
    const failedOver = new Promise((resolve) => db.once('failover', resolve));
    await cluster.killPrimary('SIGKILL');
    // Bounded, so that a miss says what was seen instead of hitting the test timeout.
    let timer;
    const seen = await Promise.race([failedOver, new Promise((resolve) => { timer = setTimeout(resolve, 20000, null); })]);
    clearTimeout(timer);
    expect({ seen, clientErrors: clientErrors.map((e) => e.message), metrics: seen === null ? db.metrics().primary : 'failed over' })
      .toEqual({ seen: expect.objectContaining({ primary: 'primary', backup: 'replica' }), clientErrors: expect.any(Array), metrics: 'failed over' });
    expect(clientErrors.length).toBeGreaterThan(0);
    expect(clientErrors[0]).toMatchObject({ name: 'primary', context: 'client' });
    expect(db.health().primary).toEqual({ status: 'unhealthy', failoverTo: 'replica' });
  });
});
