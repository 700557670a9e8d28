'use strict';
// metrics(): call counts, sampled latency, health-check latency and time in each
// circuit state, after known sequences on a ManualClock.
const { useOrchestrators, primaryAndReplica, ManualClock, settle } = require('./helpers');
const { OmniDbError } = require('..');
const { bucketOf, BOUNDS_MS } = require('../lib/metrics');

const make = useOrchestrators();

const setup = (extra = {}) => primaryAndReplica(make, { metrics: { sampleEvery: 1 }, ...extra });

const fail = () => { throw new Error('boom'); };

describe('call counts', () => {
  test('start at zero', () => {
    const { db } = setup();
    expect(db.metrics().primary.calls).toEqual({
      total: 0, successes: 0, failures: 0, rejections: 0, timeouts: 0, cancelled: 0,
    });
  });

  test('count successes, failures, rejections by an open circuit, failover and timeouts', async () => {
    const { db, clock } = setup();
    for (let i = 0; i < 3; i++) await db.execute('primary', async () => i);
    await db.execute('primary', () => 'sync');
    await settle(db.execute('primary', fail)); // sync throw
    await settle(db.execute('primary', async () => { throw new Error('x'); })); // opens (threshold 2)
    expect(db.getStats().primary.circuit).toBe('open');
    // Routed to the replica now; pinned calls are rejected by the open circuit.
    await db.execute('primary', async () => 1);
    await settle(db.execute('primary', async () => 1, { failover: false }));
    await settle(db.execute('primary', async () => 1, { failover: false }));
    const slow = settle(db.execute('replica', () => new Promise(() => {}), { timeout: '1s' }));
    await clock.advance('1s');
    await slow;
    const m = db.metrics();
    expect(m.primary.calls).toEqual({ total: 6, successes: 4, failures: 2, rejections: 2, timeouts: 0, cancelled: 0 });
    expect(m.replica.calls).toEqual({ total: 2, successes: 1, failures: 1, rejections: 0, timeouts: 1, cancelled: 0 });
  });

  test('a call aborted by the caller is cancelled, not failed', async () => {
    const { db } = setup();
    const ac = new AbortController();
    const call = db.execute('primary', () => new Promise(() => {}), { signal: ac.signal });
    ac.abort(new Error('gave up'));
    await settle(call);
    expect(db.metrics().primary.calls).toEqual({ total: 1, successes: 0, failures: 0, rejections: 0, timeouts: 0, cancelled: 1 });
  });

  test('errors the classifier excuses are still failed calls (the circuit ignores them)', async () => {
    const { db } = setup({ circuitBreaker: { threshold: 2, isFailure: () => false } });
    await settle(db.execute('primary', fail));
    await settle(db.execute('primary', fail));
    expect(db.getStats().primary).toMatchObject({ circuit: 'closed', failures: 0 });
    expect(db.metrics().primary.calls).toMatchObject({ total: 2, failures: 2 });
  });

  test('successes include calls still in flight until they fail', async () => {
    const { db } = setup();
    let reject;
    const call = db.execute('primary', () => new Promise((_, r) => { reject = r; }));
    expect(db.metrics().primary.calls).toMatchObject({ total: 1, successes: 1, failures: 0 });
    reject(new Error('late'));
    await settle(call);
    expect(db.metrics().primary.calls).toMatchObject({ total: 1, successes: 0, failures: 1 });
  });

  test('an external breaker that refuses counts a rejection, not a call', async () => {
    const Opossum = require('opossum');
    const breaker = new Opossum(async (fn) => fn(), { resetTimeout: 60000 });
    const { db } = setup({ failover: undefined, circuitBreaker: { use: breaker } });
    breaker.open();
    await settle(db.execute('primary', async () => 1));
    expect(db.metrics().primary.calls).toMatchObject({ total: 0, rejections: 1 });
    breaker.shutdown();
  });
});

describe('latency', () => {
  test('buckets are log-spaced and inclusive of their upper bound', () => {
    expect(BOUNDS_MS[0]).toBe(0.01);
    for (let k = 1; k < BOUNDS_MS.length; k++) expect(BOUNDS_MS[k]).toBe(BOUNDS_MS[k - 1] * 2);
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.01)).toBe(0);
    expect(bucketOf(0.0100001)).toBe(1);
    for (let k = 0; k < BOUNDS_MS.length; k++) {
      expect(bucketOf(BOUNDS_MS[k])).toBe(k);
      expect(bucketOf(BOUNDS_MS[k] * 1.0001)).toBe(k + 1);
    }
    expect(bucketOf(1e9)).toBe(BOUNDS_MS.length);
  });

  test('percentiles of a known distribution: 1..100ms, once each', async () => {
    const { db, clock } = setup();
    for (let ms = 1; ms <= 100; ms++) {
      const call = db.execute('primary', () => new Promise((resolve) => { setTimeout(resolve, 0); }).then(() => clock.advance(ms)));
      await call;
    }
    const { latency } = db.metrics().primary;
    expect(latency.samples).toBe(100);
    expect(latency.sumMs).toBe(5050);
    expect(latency.maxMs).toBe(100);
    // Log buckets (factor 2), interpolated inside the bucket as histogram_quantile does.
    expect(latency.p50).toBeGreaterThanOrEqual(40.96);
    expect(latency.p50).toBeLessThanOrEqual(81.92);
    expect(Math.abs(latency.p50 - 50)).toBeLessThan(50 * 0.25);
    expect(Math.abs(latency.p95 - 95)).toBeLessThan(95 * 0.1);
    expect(Math.abs(latency.p99 - 99)).toBeLessThan(99 * 0.05);
    expect(latency.p99).toBeLessThanOrEqual(100);
  });

  test('percentiles are null before any sample', () => {
    const { db } = setup();
    expect(db.metrics().primary.latency).toEqual({
      sampleEvery: 1, samples: 0, sumMs: 0, maxMs: null, p50: null, p95: null, p99: null,
    });
  });

  test('times failed calls too', async () => {
    const { db, clock } = setup();
    await settle(db.execute('primary', () => clock.advance(30).then(() => { throw new Error('x'); })));
    expect(db.metrics().primary.latency).toMatchObject({ samples: 1, sumMs: 30, maxMs: 30 });
  });

  test('samples one call in sampleEvery (default 128)', async () => {
    const { db } = setup({ metrics: undefined });
    for (let i = 0; i < 256; i++) await db.execute('primary', async () => i);
    for (let i = 0; i < 128; i++) await db.execute('primary', async () => i, { timeout: '1s' }); // guarded path
    const m = db.metrics().primary;
    expect(m.calls.total).toBe(384);
    expect(m.latency).toMatchObject({ sampleEvery: 128, samples: 3 });
  });

  test('a sample pending on the happy path skips the next one due (no overlap, no allocation)', async () => {
    const { db } = setup({ metrics: { sampleEvery: 2 } });
    let release;
    const first = db.execute('primary', async () => 1); // call 1: not sampled
    const pending = db.execute('primary', () => new Promise((r) => { release = r; })); // call 2: sampled
    await first;
    for (let i = 0; i < 4; i++) await db.execute('primary', async () => i); // 4 is due but skipped
    release();
    await pending;
    await db.execute('primary', async () => 0);
    await db.execute('primary', async () => 0); // call 8: sampled
    expect(db.metrics().primary.latency.samples).toBe(2);
  });

  test('metrics.sampleEvery is validated', () => {
    for (const bad of [0, 3, 1.5, '16', 131072, null]) {
      expect(() => setup({ metrics: { sampleEvery: bad } })).toThrow(/Invalid metrics.sampleEvery: expected a power of two/);
    }
    expect(() => setup({ metrics: { sampleEvry: 1 } })).toThrow('Unknown option "sampleEvry" in metrics config. Did you mean "sampleEvery"?');
    expect(() => setup({ metrics: 16 })).toThrow('Invalid metrics: expected an object but received 16 (number)');
  });
});

describe('health-check latency and time in circuit states (kept by the core)', () => {
  test('health checks: count, timeouts, last, average and max latency', async () => {
    const clock = new ManualClock();
    let answer = null;
    const db = make({
      connections: { a: {} },
      clock,
      healthCheck: { interval: '10s', timeout: '1s', checks: { a: () => new Promise((r) => { answer = r; }) } },
    });
    expect(db.metrics().a.healthCheck).toEqual({ checks: 0, timeouts: 0, lastMs: null, avgMs: null, maxMs: null });
    const connecting = db.connect();
    await clock.advance(40);
    answer(true);
    await connecting;
    expect(db.metrics().a.healthCheck).toEqual({ checks: 1, timeouts: 0, lastMs: 40, avgMs: 40, maxMs: 40 });
    await clock.advance(10000 - 40); // the second round starts at 10s
    await clock.advance(20);
    answer(true);
    await clock.advance(1);
    expect(db.metrics().a.healthCheck).toMatchObject({ checks: 2, lastMs: 20, avgMs: 30, maxMs: 40 });
  });

  test('a timed-out check counts its limit', async () => {
    const clock = new ManualClock();
    const db = make({
      connections: { a: {} },
      clock,
      healthCheck: { interval: '10s', timeout: '2s', checks: { a: () => new Promise(() => {}) } },
    });
    db.on('error', () => {});
    db.connect();
    await clock.advance('2s');
    expect(db.metrics().a.healthCheck).toEqual({ checks: 1, timeouts: 1, lastMs: 2000, avgMs: 2000, maxMs: 2000 });
  });

  test('time in each circuit state follows open, half-open and close', async () => {
    const { db, clock } = setup({ circuitBreaker: { threshold: 1, resetTimeout: '5s', halfOpenSuccesses: 1 } });
    await clock.advance('3s');
    await settle(db.execute('replica', fail)); // open at 3s
    await clock.advance('5s'); // half-open at 8s
    await clock.advance('2s');
    await db.execute('replica', async () => 1); // closed at 10s
    await clock.advance('1s');
    expect(db.metrics().replica.circuitTime).toEqual({ closed: 4000, open: 5000, halfOpen: 2000 });
    expect(db.metrics().primary.circuitTime).toEqual({ closed: 11000, open: 0, halfOpen: 0 });
  });

  test('a ManualClock that starts late starts the closed stretch there', async () => {
    const clock = new ManualClock(50000);
    const db = make({ connections: { a: {} }, clock });
    await clock.advance('1s');
    expect(db.metrics().a.circuitTime).toEqual({ closed: 1000, open: 0, halfOpen: 0 });
  });

  test('the last health transitions are kept, oldest first (at most 16)', async () => {
    const { db, clock, health } = setup();
    await db.connect();
    for (let i = 0; i < 10; i++) {
      health.primary = false;
      await clock.advance('10s');
      health.primary = true;
      await clock.advance('10s');
    }
    const { transitions } = db.metrics().primary;
    expect(transitions).toHaveLength(16);
    expect(transitions[15]).toEqual({ from: 'unhealthy', to: 'healthy', timestamp: 200000 });
    expect(transitions[0]).toEqual({ from: 'healthy', to: 'unhealthy', timestamp: 50000 }); // 20 made, the first 4 dropped
  });
});

test('OmniDbError is still what bad calls reject with (metrics do not count them)', async () => {
  const { db } = setup();
  await expect(db.execute('nope', async () => 1)).rejects.toBeInstanceOf(OmniDbError);
  expect(db.metrics().primary.calls.total).toBe(0);
});
