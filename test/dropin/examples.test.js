'use strict';
// omni-db docs/examples.md, run against omnidb with in-memory client fakes (Express for
// real, on an ephemeral port instead of 3000).
//
// Examples of the page not turned into a test here, and why:
// - `const db = new Orchestrator({ ... })` in "Graceful Shutdown" and "Metrics
//   Integration": an elided config; a small real one stands in.
// - `metrics.gauge` / `metrics.increment`: the reader's metrics client, a recording
//   fake here.
// - "Prisma with Read Replicas" is TypeScript (`data: UserInput`); its code runs here as
//   JavaScript with a fake PrismaClient.
// - `process.on('SIGTERM', () => shutdown('SIGTERM'))`: the test calls the page's
//   shutdown() directly (with process.exit stubbed) instead of signalling Jest's process.

const express = require('express');
const { Orchestrator } = require('../..');
const { fakePg, fakeRedis, fakePrisma, fakeMongo, collect, trackOrchestrators } = require('./fakes');

const track = trackOrchestrators();

async function serve(app) {
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    get: async (path) => {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('Express.js API with Failover', () => {
  function example() {
    const primary = fakePg('primary');
    const replica = fakePg('replica');
    const redis = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: { primary, replica, cache: redis },
      failover: { primary: 'replica' },
      healthCheck: {
        interval: '15s',
        timeout: '3s',
        checks: {
          primary: async (c) => { await c.query('SELECT 1'); return true; },
          replica: async (c) => { await c.query('SELECT 1'); return true; },
          cache: async (c) => (await c.ping()) === 'PONG',
        },
      },
    }));
    const log = [];
    db.on('failover', ({ primary: p, backup }) => { log.push(`[FAILOVER] ${p} → ${backup}`); });
    db.on('recovery', ({ primary: p }) => { log.push(`[RECOVERY] ${p} restored`); });
    const app = express();
    app.get('/users', async (req, res) => {
      const pg = db.get('primary');
      const { rows } = await pg.query('SELECT * FROM users LIMIT 100');
      res.json(rows);
    });
    app.get('/users/:id', async (req, res) => {
      const cache = db.get('cache');
      const cached = await cache.get(`user:${req.params.id}`);
      if (cached) {
        return res.json(JSON.parse(cached));
      }
      const pg = db.get('primary');
      const { rows } = await pg.query('SELECT * FROM users WHERE id = $1', [req.params.id]);
      await cache.setEx(`user:${req.params.id}`, 300, JSON.stringify(rows[0]));
      return res.json(rows[0]);
    });
    return { db, app, log, primary, replica };
  }

  test('/users reads from the primary, and from the replica with a [FAILOVER] log line once the primary is down', async () => {
    const { db, app, log, primary } = example();
    primary.down = true;
    await db.connect();
    const http = await serve(app);
    try {
      expect(await http.get('/users')).toEqual({ status: 200, body: [{ from: 'replica' }] });
      expect(log).toEqual(['[FAILOVER] primary → replica']);
    } finally {
      await http.close();
    }
  });

  test('/users/:id reads through the cache: a miss queries the database with $1, a hit does not', async () => {
    const { db, app, primary } = example();
    await db.connect();
    const http = await serve(app);
    try {
      expect(await http.get('/users/7')).toEqual({ status: 200, body: { from: 'primary' } });
      expect(await http.get('/users/7')).toEqual({ status: 200, body: { from: 'primary' } });
      expect(primary.queries.filter((q) => Array.isArray(q))).toEqual([['SELECT * FROM users WHERE id = $1', ['7']]]);
    } finally {
      await http.close();
    }
  });

  test('[RECOVERY] is logged when the primary comes back (fake timers: next 15s round)', async () => {
    jest.useFakeTimers();
    const { db, log, primary } = example();
    primary.down = true;
    await db.connect();
    primary.down = false;
    await jest.advanceTimersByTimeAsync(15_000);
    expect(log).toEqual(['[FAILOVER] primary → replica', '[RECOVERY] primary restored']);
  });
});

describe('Graceful Shutdown', () => {
  test('shutdown(signal) disconnects every connection, then exits 0', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => {});
    const out = [];
    jest.spyOn(console, 'log').mockImplementation((m) => out.push(m));
    try {
      const db = track(new Orchestrator({ connections: { primary: fakePg(), cache: fakeRedis() } }));
      const disconnected = collect(db, 'disconnected');
      async function shutdown(signal) {
        console.log(`\nReceived ${signal}, shutting down...`);
        try {
          await db.disconnect();
          console.log('All connections closed');
          process.exit(0);
        } catch (err) {
          console.error('Error during shutdown:', err);
          process.exit(1);
        }
      }
      await db.connect();
      await shutdown('SIGTERM');
      expect(disconnected.map((e) => e.name)).toEqual(['primary', 'cache']);
      expect(out).toEqual(['\nReceived SIGTERM, shutting down...', 'All connections closed']);
      expect(exit).toHaveBeenCalledWith(0);
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('Health Check Endpoint', () => {
  function endpoints(db) {
    const app = express();
    app.get('/health', (req, res) => {
      const health = db.health();
      const allHealthy = Object.values(health).every((conn) => conn.status === 'healthy');
      if (allHealthy) {
        res.json({ status: 'healthy', connections: health });
      } else {
        res.status(503).json({ status: 'degraded', connections: health });
      }
    });
    app.get('/health/live', (req, res) => {
      res.json({ status: 'live' });
    });
    app.get('/health/ready', (req, res) => {
      const hasPrimaryOrReplica = db.health().primary?.status === 'healthy' || db.health().replica?.status === 'healthy';
      if (hasPrimaryOrReplica) {
        res.json({ status: 'ready' });
      } else {
        res.status(503).json({ status: 'not ready' });
      }
    });
    return app;
  }

  function orchestrator(down) {
    const clients = { primary: fakePg('primary'), replica: fakePg('replica') };
    for (const name of down) clients[name].down = true;
    const check = async (c) => { await c.query('SELECT 1'); return true; };
    return track(new Orchestrator({
      connections: clients,
      failover: { primary: 'replica' },
      healthCheck: { checks: { primary: check, replica: check } },
    }));
  }

  test('/health is 200 "healthy" with every connection healthy, /health/live always answers', async () => {
    const db = orchestrator([]);
    await db.connect();
    const http = await serve(endpoints(db));
    try {
      expect(await http.get('/health')).toEqual({
        status: 200, body: { status: 'healthy', connections: { primary: { status: 'healthy' }, replica: { status: 'healthy' } } },
      });
      expect(await http.get('/health/live')).toEqual({ status: 200, body: { status: 'live' } });
    } finally {
      await http.close();
    }
  });

  test('/health is 503 "degraded" when any connection is unhealthy; /health/ready stays 200 while the replica is healthy', async () => {
    const db = orchestrator(['primary']);
    await db.connect();
    const http = await serve(endpoints(db));
    try {
      expect(await http.get('/health')).toEqual({
        status: 503,
        body: { status: 'degraded', connections: { primary: { status: 'unhealthy', failoverTo: 'replica' }, replica: { status: 'healthy' } } },
      });
      expect(await http.get('/health/ready')).toEqual({ status: 200, body: { status: 'ready' } });
    } finally {
      await http.close();
    }
  });

  test('/health/ready is 503 "not ready" when neither primary nor replica is healthy', async () => {
    const db = orchestrator(['primary', 'replica']);
    await db.connect();
    const http = await serve(endpoints(db));
    try {
      expect(await http.get('/health/ready')).toEqual({ status: 503, body: { status: 'not ready' } });
    } finally {
      await http.close();
    }
  });
});

describe('MongoDB + Redis', () => {
  test('both checks pass, the mongo collection and the cache are used through get()', async () => {
    const mongo = fakeMongo('mongo');
    const redis = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: {
        mongo,
        cache: redis,
      },
      healthCheck: {
        interval: '30s',
        checks: {
          mongo: async (c) => {
            await c.db().admin().ping();
            return true;
          },
          cache: async (c) => (await c.ping()) === 'PONG',
        },
      },
    }));
    await db.connect();
    const users = db.get('mongo').db('app').collection('users');
    const cache = db.get('cache');
    await users.insertOne({ name: 'John', email: 'john@example.com' });
    await cache.set('last_insert', Date.now().toString());
    expect(mongo.inserted).toEqual([{ name: 'John', email: 'john@example.com' }]);
    expect(await cache.get('last_insert')).toMatch(/^\d+$/);
    expect(db.health()).toEqual({ mongo: { status: 'healthy' }, cache: { status: 'healthy' } });
  });
});

describe('Prisma with Read Replicas', () => {
  function prismaExample() {
    const primary = fakePrisma('primary');
    const replica = fakePrisma('replica');
    const db = track(new Orchestrator({
      connections: { primary, replica },
      failover: { primary: 'replica' },
      healthCheck: {
        checks: {
          primary: async (c) => { await c.$queryRaw`SELECT 1`; return true; },
          replica: async (c) => { await c.$queryRaw`SELECT 1`; return true; },
        },
      },
    }));
    const createUser = async (data) => db.get('primary').user.create({ data });
    const getUsers = async () => db.get('primary').user.findMany();
    return { db, primary, createUser, getUsers };
  }

  test('writes go to the primary', async () => {
    const { db, createUser } = prismaExample();
    await db.connect();
    await expect(createUser({ name: 'Ada' })).resolves.toEqual({ id: 1, name: 'Ada', from: 'primary' });
  });

  test('reads fail over to the replica when the primary is down', async () => {
    const { db, primary, getUsers } = prismaExample();
    primary.down = true;
    await db.connect();
    await expect(getUsers()).resolves.toEqual([]);
    expect(db.health().primary).toEqual({ status: 'unhealthy', failoverTo: 'replica' });
  });
});

describe('Metrics Integration', () => {
  test('health changes, failovers and the periodic summary reach the metrics client (fake timers for the 60s interval)', async () => {
    jest.useFakeTimers();
    const metrics = { gauge: jest.fn(), increment: jest.fn() };
    const primary = fakePg('primary');
    primary.down = true;
    const db = track(new Orchestrator({
      connections: { primary, replica: fakePg('replica') },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s', checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
    }));
    db.on('health:changed', ({ name, previous, current }) => {
      metrics.gauge('db.health', current === 'healthy' ? 1 : 0, { connection: name });
      metrics.increment('db.health_changes', 1, { connection: name, from: previous, to: current });
    });
    db.on('failover', ({ primary: p, backup }) => {
      metrics.increment('db.failovers', 1, { primary: p, backup });
    });
    db.on('recovery', ({ primary: p }) => {
      metrics.increment('db.recoveries', 1, { primary: p });
    });
    const summary = setInterval(() => {
      const health = db.health();
      for (const [name, { status }] of Object.entries(health)) {
        metrics.gauge('db.status', status === 'healthy' ? 1 : 0, { connection: name });
      }
    }, 60000);
    try {
      await db.connect();
      expect(metrics.gauge).toHaveBeenCalledWith('db.health', 0, { connection: 'primary' });
      expect(metrics.increment).toHaveBeenCalledWith('db.health_changes', 1, { connection: 'primary', from: 'healthy', to: 'unhealthy' });
      expect(metrics.increment).toHaveBeenCalledWith('db.failovers', 1, { primary: 'primary', backup: 'replica' });
      jest.advanceTimersByTime(60000);
      expect(metrics.gauge).toHaveBeenCalledWith('db.status', 0, { connection: 'primary' });
      expect(metrics.gauge).toHaveBeenCalledWith('db.status', 1, { connection: 'replica' });
    } finally {
      clearInterval(summary);
    }
  });
});
