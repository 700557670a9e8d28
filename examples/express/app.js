'use strict';
// An Express app wired as OmniDB's docs show: one Orchestrator holding a pg Pool for
// the primary, one for its streaming replica, and an ioredis client; `req.db` in
// middleware (omnidb's `middleware`); reads that fail over, writes pinned to the primary, a Redis cache.
//
//   PRIMARY_URL=... REPLICA_URL=... REDIS_URL=... node examples/express/server.js
const express = require('express');
const { Pool } = require('pg');
const Redis = require('ioredis');
const { Orchestrator, isConnectionError, middleware, readiness, errorHandler } = require('../..');

/**
 * Builds the orchestrator and the app; nothing listens yet. Call start() before serving.
 * @param {{ primaryUrl: string, replicaUrl: string, redisUrl: string, interval?: string, onPoolError?: (err: Error) => void }} options
 */
function createApp({ primaryUrl, replicaUrl, redisUrl, interval = '1s', onPoolError = () => {} }) {
  const pool = (url) => {
    // A short connect timeout: a dead server must fail a call, not park it.
    const p = new Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 1000, idleTimeoutMillis: 5000 });
    // An idle client whose server dies emits 'error' on the pool; unhandled, it
    // would crash the process. OmniDB's checks already report the outage.
    p.on('error', onPoolError);
    return p;
  };
  const redis = new Redis(redisUrl, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false, // fail at once while disconnected instead of queueing
    retryStrategy: (times) => Math.min(times * 50, 500),
  });
  redis.on('error', () => {}); // reconnects by itself; health checks report it

  const pgCheck = async (p) => {
    const { rows } = await p.query('SELECT 1 AS ok');
    return rows[0].ok === 1;
  };
  const db = new Orchestrator({
    connections: { primary: pool(primaryUrl), replica: pool(replicaUrl), cache: redis },
    failover: { primary: 'replica' },
    healthCheck: {
      interval,
      timeout: '800ms',
      checks: {
        primary: pgCheck,
        replica: pgCheck,
        cache: async (r) => (await r.ping()) === 'PONG',
      },
    },
    circuitBreaker: { threshold: 3, resetTimeout: '2s', halfOpenSuccesses: 1 },
  });

  const app = express();
  app.use(express.json());
  app.use(middleware(db)); // req.db

  // Reads: fail over to the replica, and retry once there if the primary dies mid-call.
  app.get('/items', async (req, res, next) => {
    try {
      const result = await req.db.execute('primary', (c) => c.query(
        'SELECT id, name, pg_is_in_recovery() AS from_replica FROM items ORDER BY id DESC LIMIT 5',
      ), { idempotent: true, timeout: '2s' });
      const fromReplica = result.rows.length > 0 ? result.rows[0].from_replica
        : (await req.db.execute('primary', (c) => c.query('SELECT pg_is_in_recovery() AS r'), { idempotent: true, timeout: '2s' })).rows[0].r;
      res.json({ servedBy: fromReplica ? 'replica' : 'primary', items: result.rows.map(({ id, name }) => ({ id, name })) });
    } catch (err) {
      next(err);
    }
  });

  // Writes: pinned to the primary. While it is down they fail fast with 503.
  app.post('/items', async (req, res, next) => {
    try {
      const name = typeof req.body.name === 'string' ? req.body.name : 'item';
      const { rows } = await req.db.execute('primary',
        (c) => c.query('INSERT INTO items (name) VALUES ($1) RETURNING id, name', [name]),
        { failover: false, timeout: '2s' });
      res.status(201).json(rows[0]);
    } catch (err) {
      next(err);
    }
  });

  // Cache-aside through Redis: a cache outage degrades to a database read.
  app.get('/cached/items', async (req, res, next) => {
    try {
      let cached = null;
      try {
        cached = await req.db.execute('cache', (r) => r.get('items:latest'), { timeout: '500ms' });
      } catch {
        cached = null; // cache down or circuit open: read through
      }
      if (cached) return res.json({ cache: 'hit', items: JSON.parse(cached) });
      const { rows } = await req.db.execute('primary', (c) => c.query('SELECT id, name FROM items ORDER BY id DESC LIMIT 5'),
        { idempotent: true, timeout: '2s' });
      req.db.execute('cache', (r) => r.set('items:latest', JSON.stringify(rows), 'PX', 1000)).catch(() => {});
      return res.json({ cache: 'miss', items: rows });
    } catch (err) {
      return next(err);
    }
  });

  // Readiness: 503 when a connection is unhealthy and nothing serves in its place.
  // (An open circuit with no backup serving counts too.) `detail: 'health'` keeps this
  // route's body as db.health() reports it: `{ status, failoverTo? }` per connection.
  app.get('/health', readiness(db, { detail: 'health' }));

  app.get('/stats', (req, res) => res.json(req.db.metrics()));

  // An open circuit: 503 with Retry-After and { error, code, connection, message,
  // retryAfter }; an execute() timeout: 504. Every other error goes on to the next handler.
  app.use(errorHandler(db));
  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    // Unavailable (retry later), not broken: a lost connection. Anything else: a 500.
    res.status(isConnectionError(err) ? 503 : 500).json({ error: err.message, code: err.code });
  });

  /** Connects: waits for Redis to be ready (ioredis connects in the background), then starts monitoring. */
  async function start() {
    if (redis.status !== 'ready') {
      await new Promise((resolve) => {
        redis.once('ready', resolve);
        setTimeout(resolve, 2000).unref(); // a Redis that stays down is the checks' to report
      });
    }
    await db.connect();
  }

  return { app, db, start };
}

module.exports = { createApp };
