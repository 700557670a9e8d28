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

// ---- the chaos steps of partial-faults.test.js: a primary back as a standby, then
// promoted; every connection slot taken, then released.

const path = require('path');
const { exhaustConnections, restoreCluster } = require('./chaos-helpers');

const inRecovery = async (url) => (await query(url, 'SELECT pg_is_in_recovery() AS r')).rows[0].r;
const standbySignal = () => path.join(cluster.primary.dataDir, 'standby.signal');

test('restartPrimaryAsStandby: the primary comes back read-only, in recovery, following nobody; promotePrimary makes it a primary the replica streams from', async () => {
  await cluster.restartPrimary(); // whatever the tests above left
  await cluster.waitForStreaming();
  await cluster.restartPrimaryAsStandby();
  expect(fs.existsSync(standbySignal())).toBe(true);
  expect(await inRecovery(cluster.primary.url)).toBe(true);
  expect(await cluster.isInRecovery('primary')).toBe(true);
  const { rows: receivers } = await query(cluster.primary.url, 'SELECT count(*)::int AS n FROM pg_stat_wal_receiver');
  expect(receivers).toEqual([{ n: 0 }]); // no primary_conninfo: it streams from nobody
  await expect(query(cluster.primary.url, "INSERT INTO items (name) VALUES ('on-a-standby')")).rejects.toMatchObject({ code: '25006' });

  await cluster.promotePrimary();
  expect(await inRecovery(cluster.primary.url)).toBe(false);
  expect(await cluster.isInRecovery('primary')).toBe(false);
  expect(fs.existsSync(standbySignal())).toBe(false);
  await cluster.promotePrimary(); // a no-op on a primary
  expect(await cluster.isInRecovery('primary')).toBe(false);
  await cluster.waitForStreaming(); // the replica follows the new timeline
  const name = `after-promote-${Date.now()}`;
  await query(cluster.primary.url, 'INSERT INTO items (name) VALUES ($1)', [name]);
  await withClient(cluster.replica.url, (c) =>
    eventually(async () => (await c.query('SELECT 1 FROM items WHERE name = $1', [name])).rowCount === 1, { what: 'the post-promote row on the replica' }),
  );
});

test('restartPrimary after restartPrimaryAsStandby brings back a writable primary (standby.signal removed)', async () => {
  await cluster.restartPrimaryAsStandby();
  expect(await inRecovery(cluster.primary.url)).toBe(true);
  await cluster.restartPrimary();
  expect(fs.existsSync(standbySignal())).toBe(false);
  expect(await inRecovery(cluster.primary.url)).toBe(false);
  await query(cluster.primary.url, "INSERT INTO items (name) VALUES ('after-standby-restart')");
  await cluster.waitForStreaming();
});

test('restoreCluster promotes a primary left as a standby and restarts a killed one', async () => {
  await cluster.restartPrimaryAsStandby();
  await restoreCluster(cluster);
  expect(await inRecovery(cluster.primary.url)).toBe(false);
  await cluster.killPrimary();
  await restoreCluster(cluster);
  expect(await inRecovery(cluster.primary.url)).toBe(false);
  await cluster.waitForStreaming();
  // Crashed, then back as a standby (partial-faults.test.js), then restored.
  await cluster.killPrimary();
  await cluster.restartPrimaryAsStandby();
  expect(await inRecovery(cluster.primary.url)).toBe(true);
  await restoreCluster(cluster);
  expect(await inRecovery(cluster.primary.url)).toBe(false);
  await cluster.waitForStreaming();
});

test('exhaustConnections with a role: its backends terminated, every slot taken, new connections fail with 53300 (the role\'s limit restored); release frees them', async () => {
  const other = new Client({ connectionString: cluster.primary.authUrl, connectionTimeoutMillis: 5000 });
  const otherError = new Promise((resolve) => other.on('error', resolve));
  await other.connect();
  const bystander = new Client({ connectionString: cluster.primary.url, connectionTimeoutMillis: 5000 }); // superuser: not the role's
  bystander.on('error', () => {});
  await bystander.connect();
  let exhaustion;
  try {
    exhaustion = await exhaustConnections(cluster.primary.url, { role: 'omnidb' });
    // The role's client was terminated (admin_shutdown, by pg_terminate_backend)...
    const bounded = new Promise((_, reject) => setTimeout(() => reject(new Error('no error event on the terminated client within 5 s')), 5000).unref());
    expect(await Promise.race([otherError, bounded])).toMatchObject({ code: '57P01' });
    await expect(other.query('SELECT 1')).rejects.toThrow(); // ...and cannot run a query any more
    expect(exhaustion.terminated).toBe(1);
    expect((await bystander.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]); // other clients keep theirs
    const { rows: [{ max }] } = await bystander.query('SHOW max_connections').then((r) => ({ rows: [{ max: Number(r.rows[0].max_connections) }] }));
    expect(exhaustion.held).toBe(max - 1); // every slot: the bystander holds the last one
    const { rows: [{ limit }] } = await bystander.query("SELECT rolconnlimit AS limit FROM pg_roles WHERE rolname = 'omnidb'");
    expect(limit).toBe(0); // held until release(): no slot freed mid-fault reaches the role
    await expect(query(cluster.primary.authUrl, 'SELECT 1')).rejects.toMatchObject({ code: '53300' });
    await expect(query(cluster.primary.url, 'SELECT 1')).rejects.toMatchObject({ code: '53300' }); // superusers too
    expect(await inRecovery(cluster.replica.url)).toBe(true); // the replica is another server
  } finally {
    await other.end().catch(() => {});
    await bystander.end().catch(() => {});
    if (exhaustion) await exhaustion.release();
  }
  await exhaustion.release(); // idempotent
  const { rows } = await query(cluster.primary.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'omnidb-exhaust'");
  expect(rows).toEqual([{ n: 0 }]);
  const { rows: [{ restored }] } = await query(cluster.primary.url, "SELECT rolconnlimit AS restored FROM pg_roles WHERE rolname = 'omnidb'");
  expect(restored).toBe(-1); // release() put the role's limit back
  expect((await query(cluster.primary.authUrl, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  await cluster.waitForStreaming(); // the walsender kept its own slot
});

test('exhaustConnections without a role terminates nobody; restoreCluster releases what a test left held', async () => {
  const exhaustion = await exhaustConnections(cluster.primary.url);
  expect(exhaustion.terminated).toBe(0);
  await expect(query(cluster.primary.url, 'SELECT 1')).rejects.toMatchObject({ code: '53300' });
  await restoreCluster(cluster);
  expect((await query(cluster.primary.url, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
});
