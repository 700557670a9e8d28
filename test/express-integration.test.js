'use strict';
// lib/express.js: middleware() puts the orchestrator on the request; readiness() answers
// 200/503 as a Kubernetes readiness probe expects. Fake clients and a ManualClock for
// the verdicts; one real node:http server for the plain (non-Express) response path.

const http = require('http');
const { Orchestrator, ManualClock, ConfigError, middleware, readiness } = require('..');

const up = { status: 'healthy', circuit: 'closed', failoverTo: null };

/** An orchestrator over fake clients whose health checks report `healthy[name]`. */
async function setup({ threshold = 2 } = {}) {
  const clock = new ManualClock();
  const healthy = { primary: true, replica: true, cache: true };
  const check = (name) => () => healthy[name];
  const db = new Orchestrator({
    connections: { primary: { id: 'primary' }, replica: { id: 'replica' }, cache: { id: 'cache' } },
    failover: { primary: 'replica' },
    healthCheck: { interval: '1s', checks: { primary: check('primary'), replica: check('replica'), cache: check('cache') } },
    circuitBreaker: { threshold, resetTimeout: '1m' },
    clock,
  });
  await db.connect();
  /** Sets health and runs one round of checks. */
  const set = async (changes) => {
    Object.assign(healthy, changes);
    await clock.advance('1s');
  };
  return { db, clock, set };
}

/** An Express-like response: status().json(). */
function expressRes() {
  const res = {
    statusCode: 200,
    headers: {},
    body: undefined,
    headersSent: false,
    setHeader(k, v) { this.headers[k.toLowerCase()] = v; },
    status(code) { this.statusCode = code; return this; },
    json(body) { this.body = body; this.headersSent = true; return this; },
  };
  return res;
}

function probe(handler) {
  const res = expressRes();
  handler({}, res);
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

describe('middleware(db)', () => {
  let db;
  beforeEach(async () => { ({ db } = await setup()); });
  afterEach(() => db.disconnect());

  test('attaches the orchestrator as req.db and calls next()', () => {
    const req = {};
    const next = jest.fn();
    middleware(db)(req, {}, next);
    expect(req.db).toBe(db);
    expect(next).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledWith();
  });

  test('{ property } picks the request property', () => {
    const req = {};
    const next = jest.fn();
    middleware(db, { property: 'omnidb' })(req, {}, next);
    expect(req.omnidb).toBe(db);
    expect(req.db).toBeUndefined();
    expect(next).toHaveBeenCalledTimes(1);
  });

  test('works inside a real Express app', async () => {
    const express = require('express');
    const app = express();
    app.use(middleware(db));
    app.get('/', async (req, res) => res.json({ id: await req.db.execute('primary', (c) => c.id) }));
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
      const res = await fetch(`http://127.0.0.1:${server.address().port}/`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: 'primary' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('bad arguments throw ConfigError', () => {
    expect(() => middleware()).toThrow(ConfigError);
    expect(() => middleware({})).toThrow(ConfigError);
    expect(() => middleware(db, { property: '' })).toThrow(ConfigError);
    expect(() => middleware(db, { property: 42 })).toThrow(/property must be a non-empty string/);
  });
});

test('readiness() without a breaker: health alone decides, the circuit reads n/a', async () => {
  const clock = new ManualClock();
  const healthy = { primary: true, replica: true, cache: true };
  const db = new Orchestrator({
    connections: { primary: {}, replica: {}, cache: {} },
    failover: { primary: 'replica' },
    healthCheck: { interval: '1s', checks: { primary: () => healthy.primary, replica: () => healthy.replica, cache: () => healthy.cache } },
    clock,
  });
  try {
    await db.connect();
    for (let i = 0; i < 10; i++) db.recordFailure('cache'); // nothing counts without a breaker
    expect(probe(readiness(db)).status).toBe(200);
    healthy.primary = false;
    await clock.advance('1s');
    const failedOver = probe(readiness(db));
    expect(failedOver.status).toBe(200); // the replica serves it
    expect(failedOver.body.connections.primary).toEqual({ status: 'unhealthy', circuit: 'n/a', failoverTo: 'replica' });
    healthy.cache = false;
    await clock.advance('1s');
    const down = probe(readiness(db));
    expect(down.status).toBe(503);
    expect(down.body.connections.cache).toEqual({ status: 'unhealthy', circuit: 'n/a', failoverTo: null });
  } finally {
    await db.disconnect();
  }
});

test("readiness() reports a connection named '__proto__' like any other", () => {
  const db = new Orchestrator({ connections: { ['__proto__']: {}, other: {} } });
  try {
    const res = probe(readiness(db));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.connections)).toEqual(['__proto__', 'other']);
    expect(Object.getOwnPropertyDescriptor(res.body.connections, '__proto__').value).toEqual({ ...up, circuit: 'n/a' }); // no breaker configured
  } finally {
    db.disconnect();
  }
});

describe('readiness(db)', () => {
  let db;
  let set;
  beforeEach(async () => { ({ db, set } = await setup()); });
  afterEach(() => db.disconnect());

  test('200 { status: ok } with { status, circuit, failoverTo } per connection when all are healthy', () => {
    const res = probe(readiness(db));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', connections: { primary: up, replica: up, cache: up } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('the primary down but failed over to a healthy replica: still 200', async () => {
    await set({ primary: false });
    const res = probe(readiness(db));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      connections: { primary: { status: 'unhealthy', circuit: 'open', failoverTo: 'replica' }, replica: up, cache: up },
    });
  });

  test('the primary and its replica both down: 503 { status: unavailable }', async () => {
    await set({ primary: false, replica: false });
    const res = probe(readiness(db));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'unavailable',
      connections: {
        primary: { status: 'unhealthy', circuit: 'open', failoverTo: null },
        replica: { status: 'unhealthy', circuit: 'open', failoverTo: null },
        cache: up,
      },
    });
  });

  test('a connection without a backup down: 503 by default; { require } leaves it out of the verdict', async () => {
    await set({ cache: false });
    expect(probe(readiness(db)).status).toBe(503);
    const res = probe(readiness(db, { require: ['primary', 'replica'] }));
    expect(res.status).toBe(200);
    // every connection is still reported, required or not
    expect(res.body.connections.cache).toEqual({ status: 'unhealthy', circuit: 'open', failoverTo: null });
    expect(probe(readiness(db, { require: ['cache'] })).status).toBe(503);
    expect(probe(readiness(db, { require: [] })).status).toBe(200);
  });

  test('the replica down alone: 503 unless only the primary is required', async () => {
    await set({ replica: false });
    expect(probe(readiness(db)).status).toBe(503);
    expect(probe(readiness(db, { require: ['primary'] })).status).toBe(200);
  });

  test('an open circuit on a healthy connection counts as down, unless failed over', async () => {
    db.recordFailure('cache', new Error('boom'));
    db.recordFailure('cache', new Error('boom'));
    expect(db.getStats().cache).toMatchObject({ status: 'healthy', circuit: 'open' });
    const res = probe(readiness(db));
    expect(res.status).toBe(503);
    expect(res.body.connections.cache).toEqual({ status: 'healthy', circuit: 'open', failoverTo: null });

    db.recordFailure('primary', new Error('boom'));
    db.recordFailure('primary', new Error('boom'));
    expect(db.getStats().primary).toMatchObject({ status: 'healthy', circuit: 'open', failoverTo: 'replica' });
    expect(probe(readiness(db, { require: ['primary'] })).status).toBe(200);
  });

  test('the verdict is taken per request: back to 200 once the connections recover', async () => {
    const handler = readiness(db);
    await set({ primary: false, replica: false });
    expect(probe(handler).status).toBe(503);
    await set({ primary: true, replica: true });
    const res = probe(handler);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', connections: { primary: up, replica: up, cache: up } });
  });

  test("{ detail: 'health' } reports db.health()'s shape; the verdict is the same", async () => {
    await set({ primary: false });
    const ok = probe(readiness(db, { detail: 'health' }));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      status: 'ok',
      connections: { primary: { status: 'unhealthy', failoverTo: 'replica' }, replica: { status: 'healthy' }, cache: { status: 'healthy' } },
    });
    await set({ replica: false });
    expect(probe(readiness(db, { detail: 'health' })).status).toBe(503);
  });

  test('bad options throw ConfigError at once, naming the value', () => {
    expect(() => readiness(db, { require: ['primry'] })).toThrow(/unknown connection "primry"\. Available: primary, replica, cache/);
    expect(() => readiness(db, { require: 'primary' })).toThrow(ConfigError);
    expect(() => readiness(db, { detail: 'full' })).toThrow(ConfigError);
    expect(() => readiness(null)).toThrow(ConfigError);
  });

  test('without Express: statusCode + end(JSON) on a plain node:http response', async () => {
    await set({ primary: false, replica: false });
    const server = http.createServer(readiness(db, { require: ['primary'] }));
    server.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
      const res = await fetch(`http://127.0.0.1:${server.address().port}/ready`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      expect(body.status).toBe('unavailable');
      expect(body.connections.primary).toEqual({ status: 'unhealthy', circuit: 'open', failoverTo: null });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
