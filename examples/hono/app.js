'use strict';
// A Hono app on omnidb/hono, served by @hono/node-server: the orchestrator as
// `c.var.db`, reads that fail over to the replica, writes pinned to the primary
// (503 + Retry-After while it is down, from the onError handler), and a readiness route.
//
//   PRIMARY_URL=postgres://... REPLICA_URL=postgres://... node examples/hono/server.js
const { Hono } = require('hono');
const { serve } = require('@hono/node-server');
const { Pool } = require('pg');
const { Orchestrator } = require('omnidb');
const { middleware, readiness, errorHandler } = require('omnidb/hono');

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

  const app = new Hono();
  app.use(middleware(db)); // c.var.db
  app.onError(errorHandler(db)); // other errors: Hono's own handling
  app.get('/ready', readiness(db));
  app.get('/items', async (c) => {
    const { rows } = await c.var.db.execute('primary',
      (cl) => cl.query('SELECT pg_is_in_recovery() AS replica, array(SELECT name FROM items ORDER BY id DESC LIMIT 5) AS names'),
      { idempotent: true, timeout: '2s' });
    return c.json({ servedBy: rows[0].replica ? 'replica' : 'primary', names: rows[0].names });
  });
  app.post('/items', async (c) => {
    const { rows } = await c.var.db.execute('primary',
      (cl) => cl.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name', [c.req.query('name')]),
      { failover: false, timeout: '2s' });
    return c.json(rows[0], 201);
  });

  return {
    app,
    db,
    async listen(port = 0, hostname = '127.0.0.1') {
      await db.connect();
      const { server, info } = await new Promise((resolve) => {
        const s = serve({ fetch: app.fetch, port, hostname }, (i) => resolve({ server: s, info: i }));
      });
      return {
        port: info.port,
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
