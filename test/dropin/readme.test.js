'use strict';
// omni-db README.md, run against omnidb: each example with in-memory fakes in place of
// the clients, asserting what the README says it does.
//
// Examples of the page not turned into a test here, and why:
// - "Without OmniDB" (the DIY code): not omni-db code, nothing to run against omnidb.
// - `npm install omni-db`: a shell command.
// - The `app.get('/users', ...)` route of "With OmniDB": Express is covered by
//   middleware.test.js; the route's body (`db.get('primary')` then `query`) is tested.
// - "TypeScript" (PrismaClient/ioredis inference): a type-level example, checked by
//   test/types/dropin.test-d.ts.
// - The options table's circuitBreaker rows and `healthCheck.timeout`/`retry`:
//   circuit-breaker.test.js and configuration.test.js run those pages' examples.

const { Orchestrator } = require('../..');
const { fakePg, fakePinger, fakeRedis, fakePrisma, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

// "With OmniDB": the README's headline example, clients replaced by fakes.
function withOmniDb() {
  const primaryPool = fakePg('primary');
  const replicaPool = fakePg('replica');
  const redis = fakeRedis('cache');
  const db = track(new Orchestrator({
    connections: { primary: primaryPool, replica: replicaPool, cache: redis },
    failover: { primary: 'replica' },
    healthCheck: {
      interval: '30s',
      checks: {
        primary: async (c) => { await c.query('SELECT 1'); return true; },
        replica: async (c) => { await c.query('SELECT 1'); return true; },
        cache: async (c) => (await c.ping()) === 'PONG',
      },
    },
  }));
  return { db, primaryPool, replicaPool, redis };
}

describe('README "With OmniDB"', () => {
  test('get("primary") returns the primary pool while it is healthy, and its query runs', async () => {
    const { db, primaryPool } = withOmniDb();
    await db.connect();
    const pg = db.get('primary');
    expect(pg).toBe(primaryPool);
    const { rows } = await pg.query('SELECT * FROM users');
    expect(rows).toEqual([{ from: 'primary' }]);
  });

  test('get("primary") auto-routes to the replica when the primary is down (settled: known as soon as connect() resolves)', async () => {
    const { db, primaryPool, replicaPool } = withOmniDb();
    primaryPool.down = true;
    await db.connect();
    const pg = db.get('primary');
    expect(pg).toBe(replicaPool);
    const { rows } = await pg.query('SELECT * FROM users');
    expect(rows).toEqual([{ from: 'replica' }]);
  });

  test('shutdownOnSignal() registers SIGTERM and SIGINT handlers; disconnect() removes them', async () => {
    const { db } = withOmniDb();
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    await db.connect();
    db.shutdownOnSignal();
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    await db.disconnect();
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });
});

describe('README "Quick Start"', () => {
  function quickStart() {
    const prismaClient = fakePrisma('primary');
    const replicaClient = fakePinger('replica');
    const redisClient = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: { primary: prismaClient, replica: replicaClient, cache: redisClient },
      failover: { primary: 'replica' },
      healthCheck: {
        interval: '30s',
        timeout: '5s',
        checks: {
          primary: async (client) => {
            await client.$queryRaw`SELECT 1`;
            return true;
          },
          cache: async (client) => {
            const pong = await client.ping();
            return pong === 'PONG';
          },
        },
      },
    }));
    return { db, prismaClient, replicaClient, redisClient };
  }

  test('db.get("primary") returns the primary client after connect()', async () => {
    const { db, prismaClient } = quickStart();
    await db.connect();
    expect(db.get('primary')).toBe(prismaClient);
  });

  test('db.health() prints { status: "healthy" } for every connection, as the comment shows', async () => {
    const { db } = quickStart();
    await db.connect();
    expect(db.health()).toEqual({
      primary: { status: 'healthy' },
      replica: { status: 'healthy' },
      cache: { status: 'healthy' },
    });
  });

  test('await db.disconnect() resolves and closes the connections (disconnected per connection)', async () => {
    const { db } = quickStart();
    const disconnected = collect(db, 'disconnected');
    await db.connect();
    await expect(db.disconnect()).resolves.toBeUndefined();
    expect(disconnected.map((e) => e.name)).toEqual(['primary', 'replica', 'cache']);
  });
});

describe('README "API Reference"', () => {
  test('list() names every connection and has(name) tells whether one exists', () => {
    const { db } = withOmniDb();
    expect(db.list()).toEqual(['primary', 'replica', 'cache']);
    expect(db.has('cache')).toBe(true);
    expect(db.has('nope')).toBe(false);
  });

  test('size is a property: the number of connections', () => {
    const { db } = withOmniDb();
    expect(db.size).toBe(3);
  });

  test('isConnected is a property: false before connect(), true after, false after disconnect()', async () => {
    const { db } = withOmniDb();
    expect(db.isConnected).toBe(false);
    await db.connect();
    expect(db.isConnected).toBe(true);
    await db.disconnect();
    expect(db.isConnected).toBe(false);
  });

  test('execute(name, fn) resolves with what fn returns, given the client', async () => {
    const { db, primaryPool } = withOmniDb();
    await db.connect();
    const result = await db.execute('primary', async (client) => {
      expect(client).toBe(primaryPool);
      return client.query('SELECT 1');
    });
    expect(result).toEqual({ rows: [{ from: 'primary' }] });
  });

  test('getStats() gives health and circuit stats per connection', async () => {
    const { db } = withOmniDb();
    await db.connect();
    const stats = db.getStats();
    expect(Object.keys(stats)).toEqual(['primary', 'replica', 'cache']);
    for (const entry of Object.values(stats)) {
      expect(entry).toEqual({ status: 'healthy', circuit: expect.any(String), failures: 0, failoverTo: null });
    }
  });

  test('recordFailure(name) counts against the circuit and recordSuccess(name) resets the count', async () => {
    const db = track(new Orchestrator({ connections: { primary: fakePg() }, circuitBreaker: { threshold: 5 } }));
    await db.connect();
    db.recordFailure('primary');
    db.recordFailure('primary');
    expect(db.getStats().primary.failures).toBe(2);
    db.recordSuccess('primary');
    expect(db.getStats().primary.failures).toBe(0);
  });
});

describe('README "Events"', () => {
  test('connected fires once per connection with { name } when connect() runs', async () => {
    const { db } = withOmniDb();
    const connected = collect(db, 'connected');
    await db.connect();
    expect(connected.map((e) => e.name)).toEqual(['primary', 'replica', 'cache']);
  });

  test('disconnected fires once per connection with { name } when disconnect() runs', async () => {
    const { db } = withOmniDb();
    const disconnected = collect(db, 'disconnected');
    await db.connect();
    await db.disconnect();
    expect(disconnected.map((e) => e.name)).toEqual(['primary', 'replica', 'cache']);
  });

  test('health:changed carries { name, previous, current }', async () => {
    const { db, redis } = withOmniDb();
    redis.down = true;
    const changes = collect(db, 'health:changed');
    await db.connect();
    expect(changes).toEqual([expect.objectContaining({ name: 'cache', previous: 'healthy', current: 'unhealthy' })]);
  });

  test('failover carries { primary, backup } when the primary is switched to its backup', async () => {
    const { db, primaryPool } = withOmniDb();
    primaryPool.down = true;
    const failovers = collect(db, 'failover');
    await db.connect();
    expect(failovers).toEqual([expect.objectContaining({ primary: 'primary', backup: 'replica' })]);
  });

  test('recovery carries { primary, backup } once the primary is healthy again (fake timers: next 30s round)', async () => {
    jest.useFakeTimers();
    const { db, primaryPool } = withOmniDb();
    primaryPool.down = true;
    const recoveries = collect(db, 'recovery');
    await db.connect();
    expect(recoveries).toEqual([]);
    primaryPool.down = false;
    await jest.advanceTimersByTimeAsync(30_000);
    expect(recoveries).toEqual([expect.objectContaining({ primary: 'primary', backup: 'replica' })]);
    expect(db.get('primary')).toBe(primaryPool);
  });
});
