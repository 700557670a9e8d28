'use strict';
// A Koa app on omnidb/koa: the orchestrator as `ctx.db`, reads that fail over to the
// replica, writes pinned to the primary (503 + Retry-After while it is down, from
// errorHandler()), and a readiness route.
//
//   PRIMARY_URL=postgres://... REPLICA_URL=postgres://... node examples/koa/server.js
const { once } = require('events');
const Koa = require('koa');
const Router = require('@koa/router');
const { Pool } = require('pg');
const { Orchestrator } = require('omnidb');
const { middleware, readiness, errorHandler } = require('omnidb/koa');

function pool(connectionString) {
  const p = new Pool({ connectionString, max: 8, connectionTimeoutMillis: 1000 });
  p.on('error', () => {}); // an idle client lost its server: the health checks report it
  return p;
}

function createApp({ primaryUrl, replicaUrl, interval = '5s' }) {
  const db = new Orchestrator({
    connections: { primary: pool(primaryUrl), replica: pool(replicaUrl) },
    failover: { primary: 'replica' },
    healthCheck: {
      interval,
      timeout: '1s',
      checks: {
        primary: async (p) => (await p.query('SELECT pg_is_in_recovery() AS r')).rows[0].r === false,
        replica: async (p) => (await p.query('SELECT 1 AS ok')).rows[0].ok === 1,
      },
    },
    circuitBreaker: { threshold: 3, resetTimeout: '10s' },
  });

  const app = new Koa();
  const router = new Router();
  app.use(errorHandler(db)); // first: it sees what the routes throw
  app.use(middleware(db)); // ctx.db
  router.get('/ready', readiness(db));
  router.get('/items', async (ctx) => {
    const { rows } = await ctx.db.execute('primary',
      (c) => c.query('SELECT pg_is_in_recovery() AS replica, array(SELECT name FROM items ORDER BY id DESC LIMIT 5) AS names'),
      { idempotent: true, timeout: '2s' });
    ctx.body = { servedBy: rows[0].replica ? 'replica' : 'primary', names: rows[0].names };
  });
  router.post('/items', async (ctx) => {
    const { rows } = await ctx.db.execute('primary',
      (c) => c.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name', [ctx.query.name]),
      { failover: false, timeout: '2s' });
    ctx.status = 201;
    ctx.body = rows[0];
  });
  app.use(router.routes());

  return {
    app,
    db,
    async listen(port = 0, host = '127.0.0.1') {
      await db.connect();
      const server = app.listen(port, host);
      await once(server, 'listening');
      return {
        port: server.address().port,
        db,
        close: async () => {
          await new Promise((resolve) => server.close(resolve));
          await db.disconnect();
        },
      };
    },
  };
}

module.exports = { createApp };
