'use strict';
// What every framework test shares: an orchestrator over in-memory clients on a
// ManualClock (breaker threshold 1, reset timeout 30 s), the routes each app mounts,
// and an HTTP client that opens a fresh connection per request (no keep-alive left
// holding a server open).
const http = require('http');
const { Orchestrator, ManualClock } = require('../..');

const RESET_S = 30;

/** A fake database client: query() answers with its name. */
function fakeClient(name) {
  return { name, closed: false, query: async (sql) => ({ rows: [{ sql, from: name }] }), end: async function end() { this.closed = true; } };
}

/**
 * `db` with primary (pinned route), replica and cache; `setHealthy({ primary: false })`
 * runs a round of checks; `tripPrimary()` opens the primary's circuit with one failure.
 */
async function setup() {
  const clock = new ManualClock();
  const healthy = { primary: true, replica: true };
  const db = new Orchestrator({
    connections: { primary: fakeClient('primary'), replica: fakeClient('replica') },
    healthCheck: { interval: '1s', checks: { primary: () => healthy.primary, replica: () => healthy.replica } },
    circuitBreaker: { threshold: 1, resetTimeout: `${RESET_S}s` },
    clock,
  });
  const slow = { started: null };
  return {
    db,
    clock,
    slow,
    async setHealthy(changes) {
      Object.assign(healthy, changes);
      await clock.advance('1s');
    },
    async tripPrimary() {
      await db.execute('primary', async () => { throw new Error('connection reset'); }).catch(() => {});
      if (db.getStats().primary.circuit !== 'open') throw new Error('the primary circuit did not open');
    },
    /** Resolves once a /slow request is waiting on its call. */
    slowStarted() {
      return new Promise((resolve) => { slow.started = resolve; });
    },
  };
}

/** The handlers behind the routes every app mounts, framework-neutral. */
const routes = {
  /** GET /users: a read pinned to the primary (no failover). */
  users: (db) => db.execute('primary', (c) => c.query('SELECT * FROM users'), { failover: false }),
  /** GET /slow: a call that never answers, with a 1 s timeout on the ManualClock. */
  slow: (db, slow) => {
    const call = db.execute('replica', () => new Promise(() => {}), { timeout: '1s' });
    slow.started();
    return call;
  },
  /** GET /teapot: an error of the app's own, with a status the framework honours. */
  teapot: () => {
    const err = new Error('short and stout');
    err.status = 418;
    err.statusCode = 418;
    throw err;
  },
};

/** GET over a fresh connection: `{ status, headers, body }` (JSON parsed when it is JSON). */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const json = /application\/json/.test(res.headers['content-type'] || '');
        resolve({ status: res.statusCode, headers: res.headers, body: json ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
  });
}

/**
 * The assertions every framework must pass, given `start(env)` that mounts the app on
 * a free port and resolves `{ port, close }` (close stops the server and disconnects).
 */
function describeIntegration(name, start, { readinessRoute = true } = {}) {
  describe(`${name}: ${readinessRoute ? 'one readiness verdict, ' : ''}one error mapping`, () => {
    let env;
    let app;
    beforeEach(async () => {
      env = await setup();
      app = await start(env);
    });
    afterEach(async () => {
      await app.close();
      expect(env.db.isConnected).toBe(false);
    });

    const readinessTest = readinessRoute ? test : () => {}; // NestJS answers readiness through terminus (test/integration/nestjs.test.js)
    readinessTest('the readiness route answers 200 while every connection is usable', async () => {
      const res = await get(app.port, '/ready');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        status: 'ok',
        connections: {
          primary: { status: 'healthy', circuit: 'closed', failoverTo: null },
          replica: { status: 'healthy', circuit: 'closed', failoverTo: null },
        },
      });
    });

    readinessTest('and 503 with the report when one is not', async () => {
      await env.setHealthy({ primary: false });
      const res = await get(app.port, '/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        status: 'unavailable',
        connections: {
          primary: { status: 'unhealthy', circuit: 'open', failoverTo: null },
          replica: { status: 'healthy', circuit: 'closed', failoverTo: null },
        },
      });
    });

    test('a route reaches the orchestrator through the framework context', async () => {
      const res = await get(app.port, '/users');
      expect(res.status).toBe(200);
      expect(res.body).toEqual([{ sql: 'SELECT * FROM users', from: 'primary' }]);
    });

    test('an open circuit in a route is a 503 with Retry-After (seconds until half-open) and JSON naming the connection', async () => {
      await env.tripPrimary();
      const res = await get(app.port, '/users');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe(String(RESET_S));
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        error: 'circuit_open',
        code: 'OMNIDB_CIRCUIT_OPEN',
        connection: 'primary',
        message: 'Connection "primary" is unavailable: Circuit open for "primary"',
        retryAfter: RESET_S,
      });
      await env.clock.advance('10.5s'); // 19.5 s left: rounded up
      const later = await get(app.port, '/users');
      expect(later.status).toBe(503);
      expect(later.headers['retry-after']).toBe('20');
      expect(later.body.retryAfter).toBe(20);
    });

    test('a circuit held open by a failed health check sends the fallback Retry-After', async () => {
      await env.setHealthy({ primary: false });
      const res = await get(app.port, '/users');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.connection).toBe('primary');
    });

    test('an execute() timeout is a 504 naming the connection', async () => {
      const started = env.slowStarted();
      const pending = get(app.port, '/slow');
      await started;
      await env.clock.advance('1s');
      const res = await pending;
      expect(res.status).toBe(504);
      expect(res.body).toEqual({
        error: 'timeout',
        code: 'OMNIDB_TIMEOUT',
        connection: 'replica',
        message: 'Operation on "replica" timed out after 1000ms',
      });
    });

    test("any other error reaches the framework's own handling unchanged", async () => {
      const res = await get(app.port, '/teapot');
      expect(res.status).toBe(418);
      expect(res.headers['retry-after']).toBeUndefined();
      app.expectOwnError(res, 'short and stout');
    });
  });
}

module.exports = { setup, routes, get, describeIntegration, fakeClient, RESET_S };
