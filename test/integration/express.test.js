'use strict';
// The Express example (examples/express/app.js) against a real PostgreSQL primary +
// streaming replica + Redis, over real HTTP (global fetch): routing, writes, the Redis
// cache, /health and /stats, then the primary killed (reads stay up on the replica,
// writes get a fast 503), then the replica frozen too (/health turns 503), then both
// restored. One app for the file; the chaos test runs last and puts everything back.

const { Client } = require('pg');
const Redis = require('ioredis');
const { startCluster } = require('../harness/servers');
const { createApp } = require('../../examples/express/app');
const { watchUnhandledRejections, EventLog, poll, httpClient, killPrimaryAndFailOver, freezeReplica, restoreAndAwaitHealthy } = require('./chaos-helpers');

jest.setTimeout(30000);

let cluster;
let app;
let db;
let server;
let base;
let log;
const unhandled = watchUnhandledRejections();

beforeAll(async () => {
  cluster = await startCluster({ replica: true, redis: true });
  let start;
  ({ app, db, start } = createApp({
    primaryUrl: cluster.primary.url,
    replicaUrl: cluster.replica.url,
    redisUrl: cluster.redis.url,
    interval: '200ms',
  }));
  log = new EventLog(db);
  await start();
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  base = `http://127.0.0.1:${server.address().port}`;
}, 120000);

afterEach(async () => {
  expect(await unhandled.drain()).toEqual([]);
});

afterAll(async () => {
  try {
    if (server) {
      server.closeAllConnections(); // fetch keeps connections alive: do not wait for them
      await new Promise((resolve) => server.close(resolve));
    }
    if (db) await db.disconnect();
  } finally {
    unhandled.dispose();
    if (cluster) await cluster.stop();
  }
}, 60000);

const { get, post } = httpClient(() => base);

/** A short-lived pg client, always closed. */
async function withClient(url, fn) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

test('GET /items: 200, served by the primary', async () => {
  const { status, body } = await get('/items');
  expect(status).toBe(200);
  expect(body).toEqual({ servedBy: 'primary', items: expect.any(Array) });
});

test('POST /items: 201; the row is read back at once, and shows up on the replica', async () => {
  const name = `express-${process.pid}-${Date.now()}`;
  const created = await post('/items', { name });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({ id: expect.any(Number), name });

  const read = await get('/items');
  expect(read.status).toBe(200);
  expect(read.body.servedBy).toBe('primary');
  expect(read.body.items).toContainEqual({ id: created.body.id, name });

  // Streaming replication: no event for "the row arrived", so a bounded poll.
  const onReplica = await withClient(cluster.replica.url, (c) => poll(async () => {
    const { rows } = await c.query('SELECT id, name, pg_is_in_recovery() AS standby FROM items WHERE id = $1', [created.body.id]);
    return rows[0];
  }, { what: `item ${created.body.id} on the replica` }));
  expect(onReplica).toEqual({ id: created.body.id, name, standby: true });
});

test('GET /cached/items: a miss, then a hit with the same items', async () => {
  const redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.del('items:latest');
    const miss = await get('/cached/items');
    expect(miss.status).toBe(200);
    expect(miss.body).toEqual({ cache: 'miss', items: expect.any(Array) });
    // The miss fills the cache in the background (fire-and-forget SET): wait for the key.
    await poll(async () => (await redis.exists('items:latest')) === 1, { what: 'the cache key items:latest' });
    const hit = await get('/cached/items');
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual({ cache: 'hit', items: miss.body.items });
  } finally {
    redis.disconnect();
  }
});

test('GET /health: 200 with every connection healthy', async () => {
  const { status, body } = await get('/health');
  expect(status).toBe(200);
  expect(body).toEqual({
    status: 'ok',
    connections: { primary: { status: 'healthy' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } },
  });
});

test('GET /stats: metrics for primary, replica and cache', async () => {
  const { status, body } = await get('/stats');
  expect(status).toBe(200);
  expect(Object.keys(body).sort()).toEqual(['cache', 'primary', 'replica']);
  for (const name of ['primary', 'replica', 'cache']) {
    expect(body[name]).toEqual({
      status: 'healthy',
      circuit: 'closed',
      failures: 0,
      failoverTo: null,
      consecutiveSuccesses: expect.any(Number),
      consecutiveFailures: 0,
      lastCheckAt: expect.any(Number),
      lastError: null,
      transitions: expect.any(Array),
      calls: {
        total: expect.any(Number), successes: expect.any(Number), failures: 0, rejections: 0, timeouts: 0, cancelled: 0,
      },
      latency: expect.objectContaining({ sampleEvery: 128, samples: expect.any(Number) }),
      healthCheck: expect.objectContaining({ checks: expect.any(Number), timeouts: 0 }),
      circuitTime: { closed: expect.any(Number), open: 0, halfOpen: 0 },
      circuitResetInMs: null,
    });
    expect(body[name].consecutiveSuccesses).toBeGreaterThan(0);
    expect(body[name].healthCheck.checks).toBeGreaterThan(0);
  }
});

test('primary killed: reads 200 from the replica, writes 503, /health 200; replica frozen too: /health 503; both restored', async () => {
  try {
    await killPrimaryAndFailOver(cluster, log);

    const read = await get('/items');
    expect(read.status).toBe(200);
    expect(read.body.servedBy).toBe('replica');

    const write = await post('/items', { name: 'while-down' });
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ code: 'OMNIDB_CIRCUIT_OPEN', connection: 'primary' });
    expect(write.headers['retry-after']).toMatch(/^[1-9]\d*$/); // whole seconds until half-open

    const failedOver = await get('/health');
    expect(failedOver.status).toBe(200);
    expect(failedOver.body).toEqual({
      status: 'ok',
      connections: { primary: { status: 'unhealthy', failoverTo: 'replica' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } },
    });

    // The cache route still answers: from Redis, or read through from the replica.
    expect((await get('/cached/items')).status).toBe(200);

    // Now the replica hangs as well: nothing can serve the primary's traffic.
    await freezeReplica(cluster, log);
    const down = await get('/health');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.connections.primary.status).toBe('unhealthy');
    expect(down.body.connections.replica.status).toBe('unhealthy');
    expect(down.body.connections.primary.failoverTo).toBeUndefined();
    // ...and a read is refused at once rather than hanging on the frozen replica.
    const refused = await get('/items');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('OMNIDB_CIRCUIT_OPEN');
  } finally {
    await restoreAndAwaitHealthy(cluster, log, db); // thaw the replica, restart the primary
  }

  const health = await get('/health');
  expect(health.status).toBe(200);
  expect(health.body.connections).toEqual({ primary: { status: 'healthy' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } });
  const read = await get('/items');
  expect(read.status).toBe(200);
  expect(read.body.servedBy).toBe('primary');
  expect((await post('/items', { name: 'after-restore' })).status).toBe(201);
}, 60000);
