'use strict';
// The real-database harness itself: a PostgreSQL primary + streaming replica + Redis on
// free ports, crash and restart of the primary, freeze/thaw, and a clean stop.
// Needs the server binaries (`bash scripts/bootstrap.sh`) and the pg + ioredis dev deps.

const fs = require('fs');
const { Client } = require('pg');
const Redis = require('ioredis');
const { startCluster, portState } = require('../harness/servers');

jest.setTimeout(60000);

const PASSWORD = 'harness-s3cret';
let cluster;
let startMs;

/** Polls `fn` until it returns a truthy value; bounded, no fixed sleeps. */
async function eventually(fn, { timeout = 15000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Runs `fn(client)` on a fresh connection and always closes it. */
async function withClient(connectionString, fn) {
  const client = new Client({ connectionString, connectionTimeoutMillis: 5000 });
  client.on('error', () => {}); // a server killed under an idle client must not crash the test
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const query = (url, sql, params) => withClient(url, (c) => c.query(sql, params));

function redisClient() {
  const r = new Redis(cluster.redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => {});
  return r;
}

beforeAll(async () => {
  const t = Date.now();
  cluster = await startCluster({ replica: true, redis: true, password: PASSWORD });
  startMs = Date.now() - t;
}, 120000);

afterAll(async () => {
  if (!cluster) return;
  const dirs = [cluster.dir, cluster.primary.dataDir, cluster.replica.dataDir];
  const ports = [cluster.primary.port, cluster.replica.port, cluster.redis.port];
  const t = Date.now();
  await cluster.stop();
  const stopMs = Date.now() - t;
  await cluster.stop(); // idempotent
  // Visible with --verbose; the numbers the harness is tuned for.
  console.log(`harness: startCluster ${startMs} ms (${JSON.stringify(cluster.timings)}), stop ${stopMs} ms`);
  for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  for (const p of ports) expect(await portState(p)).toBe('refused');
}, 60000);

test('the primary answers SELECT 1 (superuser, trust)', async () => {
  const { rows } = await query(cluster.primary.url, 'SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  expect(cluster.primary.pid).toEqual(expect.any(Number));
});

test('the omnidb role authenticates with scram-sha-256; a wrong password is rejected', async () => {
  const { rows } = await query(cluster.primary.authUrl, 'SELECT current_user AS u, current_database() AS db');
  expect(rows).toEqual([{ u: 'omnidb', db: 'omnidb_test' }]);
  const wrong = cluster.primary.authUrl.replace(`:${PASSWORD}@`, ':not-the-password@');
  await expect(query(wrong, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' }); // invalid_password
});

test('the replica is in recovery and sees a row inserted on the primary', async () => {
  const { rows } = await query(cluster.replica.url, 'SELECT pg_is_in_recovery() AS r');
  expect(rows[0].r).toBe(true);
  const name = `row-${process.pid}-${Date.now()}`;
  const inserted = await query(cluster.primary.url, 'INSERT INTO items (name) VALUES ($1) RETURNING id', [name]);
  const id = inserted.rows[0].id;
  await withClient(cluster.replica.url, (c) =>
    eventually(async () => (await c.query('SELECT id FROM items WHERE name = $1', [name])).rowCount === 1, { what: 'the row on the replica' }),
  );
  const { rows: seen } = await query(cluster.replica.url, 'SELECT id FROM items WHERE name = $1', [name]);
  expect(seen).toEqual([{ id }]);
  await expect(query(cluster.replica.url, "INSERT INTO items (name) VALUES ('nope')")).rejects.toMatchObject({ code: '25006' }); // read-only
});

test('Redis answers PING (with requirepass)', async () => {
  const r = redisClient();
  try {
    await r.connect();
    expect(await r.ping()).toBe('PONG');
  } finally {
    r.disconnect();
  }
});

test('freeze/thaw: a frozen Redis stops answering, a thawed one answers again', async () => {
  const r = new Redis(cluster.redis.url, { commandTimeout: 300, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    expect(await r.ping()).toBe('PONG');
    cluster.freeze('redis');
    try {
      await expect(r.ping()).rejects.toThrow(/timed out/i);
    } finally {
      cluster.thaw('redis');
    }
    expect(await r.ping()).toBe('PONG');
  } finally {
    r.disconnect();
  }
});

test('killPrimary makes connections fail with ECONNREFUSED; the replica stays up', async () => {
  const oldPid = cluster.primary.pid;
  await cluster.killPrimary();
  expect(cluster.primary.pid).toBeNull();
  await expect(query(cluster.primary.url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  expect(await portState(cluster.primary.port)).toBe('refused');
  const { rows } = await query(cluster.replica.url, 'SELECT pg_is_in_recovery() AS r');
  expect(rows[0].r).toBe(true);
  expect(oldPid).toEqual(expect.any(Number));
});

test('restartPrimary brings it back on the same port and the replica reconnects by itself', async () => {
  await cluster.restartPrimary();
  const { rows } = await query(cluster.primary.url, 'SELECT 1 AS one');
  expect(rows).toEqual([{ one: 1 }]);
  await cluster.waitForStreaming();
  const name = `after-restart-${Date.now()}`;
  await query(cluster.primary.url, 'INSERT INTO items (name) VALUES ($1)', [name]);
  await withClient(cluster.replica.url, (c) =>
    eventually(async () => (await c.query('SELECT 1 FROM items WHERE name = $1', [name])).rowCount === 1, { what: 'the post-restart row on the replica' }),
  );
});

test('stopRedis closes its port; startRedis brings it back on the same port', async () => {
  const port = cluster.redis.port;
  await cluster.stopRedis();
  expect(cluster.redis.pid).toBeNull();
  expect(await portState(port)).toBe('refused');
  await cluster.startRedis();
  expect(cluster.redis.port).toBe(port);
  const r = redisClient();
  try {
    await r.connect();
    expect(await r.ping()).toBe('PONG');
  } finally {
    r.disconnect();
  }
});
