'use strict';
// omni-db docs/middleware.md, run against omnidb with in-memory client fakes. Express is
// a devDependency, so its example runs for real (on an ephemeral port, through fetch).
//
// Examples of the page not turned into a test here, and why:
// - Fastify, Koa (+ @koa/router) and Hono are not dependencies of this project: their
//   app wiring is not run. Each page example's own orchestrator code is: the Koa and
//   Hono configs construct and serve `get('primary')` / `health()` through a context
//   object the way their middleware attaches it; the Fastify config is tested as written.
// - The Fastify and NestJS examples configure `failover: { primary: 'replica' }` without
//   a `replica` connection: configuration.md's rule (and CONTRACT.md) make that a
//   constructor error, which is what is asserted for them.
// - NestJS decorators (`@Injectable`, `@Module`, `@Controller`): TypeScript, and
//   omnidb's own NestJS module is covered by the NestJS tests; the DatabaseService's
//   lifecycle (connect in onModuleInit, disconnect in onModuleDestroy) runs below as a
//   plain class with the replica added.
// - "TypeScript Types" (`Express.Request` augmentation): type-level, in
//   test/types/dropin.test-d.ts.

const express = require('express');
const { Orchestrator } = require('../..');
const { fakePg, fakeRedis, trackOrchestrators } = require('./fakes');

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

describe('Why Middleware?', () => {
  test('req.db.get("primary") is the same client as db.get("primary")', async () => {
    const pgPool = fakePg('primary');
    const db = track(new Orchestrator({ connections: { primary: pgPool } }));
    await db.connect();
    const req = {};
    ((r, res, next) => { r.db = db; next(); })(req, {}, () => {});
    expect(req.db.get('primary')).toBe(db.get('primary'));
  });
});

describe('Express.js', () => {
  function expressExample() {
    const pgPool = fakePg('primary');
    const pgReplica = fakePg('replica');
    const redis = fakeRedis('cache');
    const db = track(new Orchestrator({
      connections: { primary: pgPool, replica: pgReplica, cache: redis },
      failover: { primary: 'replica' },
      healthCheck: { interval: '30s', checks: { primary: async (c) => { await c.query('SELECT 1'); return true; } } },
    }));
    const app = express();
    app.use((req, res, next) => {
      req.db = db;
      next();
    });
    app.get('/users', async (req, res) => {
      const pg = req.db.get('primary');
      const { rows } = await pg.query('SELECT * FROM users');
      res.json(rows);
    });
    app.get('/health', (req, res) => {
      res.json(req.db.health());
    });
    return { db, app, pgPool };
  }

  test('GET /users is served by the primary through req.db', async () => {
    const { db, app } = expressExample();
    await db.connect();
    const http = await serve(app);
    try {
      expect(await http.get('/users')).toEqual({ status: 200, body: [{ from: 'primary' }] });
    } finally {
      await http.close();
    }
  });

  test('GET /users auto-fails over to the replica while the primary is down', async () => {
    const { db, app, pgPool } = expressExample();
    pgPool.down = true;
    await db.connect();
    const http = await serve(app);
    try {
      expect(await http.get('/users')).toEqual({ status: 200, body: [{ from: 'replica' }] });
    } finally {
      await http.close();
    }
  });

  test('GET /health answers db.health()', async () => {
    const { db, app, pgPool } = expressExample();
    pgPool.down = true;
    await db.connect();
    const http = await serve(app);
    try {
      expect(await http.get('/health')).toEqual({
        status: 200,
        body: { primary: { status: 'unhealthy', failoverTo: 'replica' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } },
      });
    } finally {
      await http.close();
    }
  });
});

describe('Fastify', () => {
  test('as written (failover to a replica that is not configured) the orchestrator is a constructor error', () => {
    expect(() => new Orchestrator({
      connections: { primary: fakePg(), cache: fakeRedis() },
      failover: { primary: 'replica' },
    })).toThrow('backup "replica" for primary "primary" not found in connections');
  });
});

describe('Koa and Hono', () => {
  function koaOrHono() {
    const pgPool = fakePg('primary');
    const redis = fakeRedis('cache');
    return track(new Orchestrator({
      connections: { primary: pgPool, cache: redis },
    }));
  }

  test('Koa: a ctx.db attached by middleware serves /users and /health', async () => {
    const db = koaOrHono();
    await db.connect();
    const ctx = {};
    await (async (c, next) => { c.db = db; await next(); })(ctx, async () => {
      const pg = ctx.db.get('primary');
      const { rows } = await pg.query('SELECT * FROM users');
      ctx.body = rows;
    });
    expect(ctx.body).toEqual([{ from: 'primary' }]);
    ctx.body = ctx.db.health();
    expect(ctx.body).toEqual({ primary: { status: 'healthy' }, cache: { status: 'healthy' } });
  });

  test('Hono: c.set("db", db) then c.get("db").get("primary") and .health()', async () => {
    const db = koaOrHono();
    await db.connect();
    const vars = new Map();
    const c = { set: (k, v) => vars.set(k, v), get: (k) => vars.get(k) };
    await (async (context, next) => { context.set('db', db); await next(); })(c, async () => {});
    const { rows } = await c.get('db').get('primary').query('SELECT * FROM users');
    expect(rows).toEqual([{ from: 'primary' }]);
    expect(c.get('db').health()).toEqual({ primary: { status: 'healthy' }, cache: { status: 'healthy' } });
  });
});

describe('NestJS', () => {
  test('as written (failover to a replica that is not configured) the DatabaseService constructor throws', () => {
    expect(() => new Orchestrator({
      connections: { primary: fakePg(), cache: fakeRedis() },
      failover: { primary: 'replica' },
    })).toThrow('Failover config error');
  });

  test('DatabaseService: onModuleInit connects, get()/health() delegate, onModuleDestroy disconnects', async () => {
    const pgPool = fakePg('primary');
    class DatabaseService {
      constructor() {
        this.db = track(new Orchestrator({
          connections: { primary: pgPool, replica: fakePg('replica'), cache: fakeRedis() },
          failover: { primary: 'replica' },
        }));
      }

      async onModuleInit() { await this.db.connect(); }

      async onModuleDestroy() { await this.db.disconnect(); }

      get(name) { return this.db.get(name); }

      health() { return this.db.health(); }
    }
    const service = new DatabaseService();
    const connected = [];
    const disconnected = [];
    service.db.on('connected', (e) => connected.push(e.name));
    service.db.on('disconnected', (e) => disconnected.push(e.name));
    await service.onModuleInit();
    expect(connected).toEqual(['primary', 'replica', 'cache']);
    const { rows } = await service.get('primary').query('SELECT * FROM users');
    expect(rows).toEqual([{ from: 'primary' }]);
    expect(service.health().primary).toEqual({ status: 'healthy' });
    await service.onModuleDestroy();
    expect(disconnected).toEqual(['primary', 'replica', 'cache']);
  });
});
