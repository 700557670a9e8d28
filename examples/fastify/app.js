'use strict';
// A Fastify app on omnidb/fastify: a pg Pool for the primary and one for its
// streaming replica; reads fail over to the replica, writes stay on the primary and
// answer 503 + Retry-After while it is down (the plugin's error mapping), `/ready` is
// the readiness route. The plugin connects on `ready()`/`listen()` and disconnects
// on `close()`.
//
//   PRIMARY_URL=postgres://... REPLICA_URL=postgres://... node examples/fastify/server.js
const Fastify = require('fastify');
const { Pool } = require('pg');
const omnidb = require('omnidb/fastify');

function pool(connectionString) {
  const p = new Pool({ connectionString, max: 8, connectionTimeoutMillis: 1000 });
  p.on('error', () => {}); // an idle client lost its server: the health checks report it
  return p;
}

function createApp({ primaryUrl, replicaUrl, interval = '5s' }) {
  const app = Fastify();
  app.register(omnidb, {
    db: {
      connections: { primary: pool(primaryUrl), replica: pool(replicaUrl) },
      failover: { primary: 'replica' },
      healthCheck: {
        interval,
        timeout: '1s',
        checks: {
          // A primary must accept writes: one back as a read-only standby is unhealthy.
          primary: async (p) => (await p.query('SELECT pg_is_in_recovery() AS r')).rows[0].r === false,
          replica: async (p) => (await p.query('SELECT 1 AS ok')).rows[0].ok === 1,
        },
      },
      circuitBreaker: { threshold: 3, resetTimeout: '10s' },
    },
    readiness: '/ready', // 200, or 503 when a connection is down and nothing serves it
  });

  // Routes in a plugin registered after omnidb's (or after `await app.register(omnidb)`):
  // the plugin maps errors for routes declared once it has loaded.
  app.register(routes);
  return {
    app,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      return { port: app.server.address().port, db: app.db, close: () => app.close() };
    },
  };
}

async function routes(app) {
  app.get('/items', async (request) => {
    const { rows } = await request.db.execute('primary',
      (c) => c.query('SELECT pg_is_in_recovery() AS replica, array(SELECT name FROM items ORDER BY id DESC LIMIT 5) AS names'),
      { idempotent: true, timeout: '2s' });
    return { servedBy: rows[0].replica ? 'replica' : 'primary', names: rows[0].names };
  });

  app.post('/items', async (request, reply) => {
    const { rows } = await request.db.execute('primary',
      (c) => c.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name', [request.query.name]),
      { failover: false, timeout: '2s' });
    return reply.code(201).send(rows[0]);
  });
}

module.exports = { createApp };
