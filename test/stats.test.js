'use strict';
// getStats(), health() and metrics(): their exact shapes.
const { useOrchestrators, primaryAndReplica, ManualClock, settle } = require('./helpers');

const make = useOrchestrators();

const setup = (extra = {}) => primaryAndReplica(make, extra);

describe("any connection name is a key: '__proto__', 'constructor', 'toString', ''", () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'then'];
  const build = () => {
    const connections = {};
    for (const n of NAMES) Object.defineProperty(connections, n, { value: {}, enumerable: true });
    return make({ connections });
  };

  test.each(['getStats', 'health', 'metrics'])('%s() has an own entry for every name, in order', (method) => {
    const db = build();
    const out = db[method]();
    expect(Reflect.ownKeys(out)).toEqual(NAMES);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype); // still a plain record
    for (const n of NAMES) expect(Object.getOwnPropertyDescriptor(out, n).value.status).toBe('healthy');
    expect(JSON.parse(JSON.stringify(out)).__proto__.status).toBe('healthy');
  });

  test("getStats()['__proto__'] is that connection's entry, not Object.prototype", () => {
    const db = build();
    for (const out of [db.getStats(), db.health(), db.metrics()]) {
      expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    }
    expect(db.getStats().__proto__).toEqual({ status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null });
    expect(db.health().__proto__).toEqual({ status: 'healthy' });
    expect(db.metrics().__proto__).toMatchObject({ status: 'healthy', calls: expect.any(Object) });
  });
});

describe('getStats()', () => {
  test('is exactly { status, circuit, failures, failoverTo } per connection', () => {
    const { db } = setup();
    expect(db.getStats()).toEqual({
      primary: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
      replica: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
    });
  });

  test('has no extra keys (richer figures live in metrics())', () => {
    const { db } = setup();
    for (const entry of Object.values(db.getStats())) {
      expect(Object.keys(entry).sort()).toEqual(['circuit', 'failoverTo', 'failures', 'status']);
    }
  });

  test('counts consecutive failures', async () => {
    const { db } = setup();
    await settle(db.execute('replica', () => { throw new Error('x'); }));
    expect(db.getStats().replica).toEqual({ status: 'healthy', circuit: 'closed', failures: 1, failoverTo: null });
  });

  test('reflects an open circuit and the failover it causes', async () => {
    const { db } = setup();
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats()).toEqual({
      primary: { status: 'healthy', circuit: 'open', failures: 2, failoverTo: 'replica' },
      replica: { status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null },
    });
  });

  test('reflects an unhealthy primary, a half-open circuit and degraded status', async () => {
    const { db, clock, health } = setup({ circuitBreaker: { threshold: 1, resetTimeout: '5s' } });
    await db.connect();
    health.primary = false;
    health.replica = 'degraded';
    await clock.advance('10s');
    expect(db.getStats()).toEqual({
      primary: { status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: 'replica' },
      replica: { status: 'degraded', circuit: 'closed', failures: 0, failoverTo: null },
    });
    await settle(db.execute('replica', () => { throw new Error('x'); }));
    await clock.advance('5s');
    expect(db.getStats().replica).toEqual({ status: 'degraded', circuit: 'half-open', failures: 1, failoverTo: null });
  });

  test.each([
    ['without a circuitBreaker key', undefined],
    ['with circuitBreaker: false', false],
  ])("circuit is 'n/a' %s, and nothing counts failures", async (_, circuitBreaker) => {
    const { db } = setup({ circuitBreaker });
    await settle(db.execute('primary', () => { throw new Error('x'); }));
    expect(db.getStats()).toEqual({
      primary: { status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null },
      replica: { status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null },
    });
  });

  test('with circuitBreaker: false, an unhealthy primary still fails over', async () => {
    const { db, clock, health } = setup({ circuitBreaker: false });
    await db.connect();
    health.primary = false;
    await clock.advance('10s');
    expect(db.getStats().primary).toEqual({ status: 'unhealthy', circuit: 'n/a', failures: 0, failoverTo: 'replica' });
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('replica');
  });

  test('returns a fresh object each time', () => {
    const { db } = setup();
    const a = db.getStats();
    a.primary.status = 'mutated';
    expect(db.getStats().primary.status).toBe('healthy');
  });
});

describe('health()', () => {
  test('is { status } per connection, with failoverTo only when failed over', async () => {
    const { db, clock, health } = setup();
    expect(db.health()).toEqual({ primary: { status: 'healthy' }, replica: { status: 'healthy' } });
    await db.connect();
    health.primary = false;
    await clock.advance('10s');
    expect(db.health()).toEqual({
      primary: { status: 'unhealthy', failoverTo: 'replica' },
      replica: { status: 'healthy' },
    });
    expect('failoverTo' in db.health().replica).toBe(false);
  });
});

describe('metrics()', () => {
  test('adds the richer figures to each getStats() entry', async () => {
    const { db, clock, health } = setup();
    await db.connect();
    const m0 = db.metrics();
    expect(m0.primary).toEqual({
      status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null,
      consecutiveSuccesses: expect.any(Number),
      consecutiveFailures: 0,
      lastCheckAt: 0,
      lastError: null,
      transitions: [],
      // Call and latency figures (test/metrics.test.js covers their values).
      calls: { total: 0, successes: 0, failures: 0, rejections: 0, timeouts: 0, cancelled: 0 },
      latency: { sampleEvery: 128, samples: 0, sumMs: 0, maxMs: null, p50: null, p95: null, p99: null },
      healthCheck: { checks: 1, timeouts: 0, lastMs: 0, avgMs: 0, maxMs: 0 },
      circuitTime: { closed: 0, open: 0, halfOpen: 0 },
      circuitResetInMs: null,
    });
    health.primary = false;
    await clock.advance('10s');
    health.primary = 'degraded';
    await clock.advance('10s');
    health.primary = true;
    await clock.advance('10s');
    await clock.advance('10s');
    const m = db.metrics().primary;
    expect(m.transitions).toEqual([
      { from: 'healthy', to: 'unhealthy', timestamp: 10000 },
      { from: 'unhealthy', to: 'degraded', timestamp: 20000 },
      { from: 'degraded', to: 'healthy', timestamp: 30000 },
    ]);
    expect(m.lastCheckAt).toBe(40000);
    expect(m.consecutiveFailures).toBe(0);
    expect(m.consecutiveSuccesses).toBeGreaterThanOrEqual(2);
  });

  test('counts consecutive failed checks and keeps the last error', async () => {
    const { db, clock, health } = setup();
    await db.connect();
    health.primary = false;
    await clock.advance('30s');
    const m = db.metrics().primary;
    expect(m.consecutiveFailures).toBe(3);
    expect(m.consecutiveSuccesses).toBe(0);
    expect(m.lastError).toEqual(expect.stringContaining('primary'));
  });

  test('a connection without a check has never been checked', async () => {
    const clock = new ManualClock();
    const db = make({ connections: { a: {} }, clock, circuitBreaker: true });
    await db.connect();
    await clock.advance('1m');
    expect(db.metrics().a).toEqual({
      status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null,
      consecutiveSuccesses: 0, consecutiveFailures: 0, lastCheckAt: null, lastError: null, transitions: [],
      calls: { total: 0, successes: 0, failures: 0, rejections: 0, timeouts: 0, cancelled: 0 },
      latency: { sampleEvery: 128, samples: 0, sumMs: 0, maxMs: null, p50: null, p95: null, p99: null },
      healthCheck: { checks: 0, timeouts: 0, lastMs: null, avgMs: null, maxMs: null },
      circuitTime: { closed: 60000, open: 0, halfOpen: 0 },
      circuitResetInMs: null,
    });
  });

  test('circuitResetInMs: the time left until an open circuit goes half-open, null otherwise', async () => {
    const clock = new ManualClock();
    const healthy = { b: true };
    const db = make({
      connections: { a: {}, b: {} },
      healthCheck: { interval: '1s', checks: { b: () => healthy.b } },
      circuitBreaker: { threshold: 1, resetTimeout: '30s' },
      clock,
    });
    await db.connect();
    expect(db.metrics().a.circuitResetInMs).toBeNull();
    await db.execute('a', async () => { throw new Error('x'); }).catch(() => {});
    expect(db.metrics().a.circuitResetInMs).toBe(30000);
    await clock.advance('12.5s');
    expect(db.metrics().a.circuitResetInMs).toBe(17500);
    await clock.advance('17.5s');
    expect(db.getStats().a.circuit).toBe('half-open');
    expect(db.metrics().a.circuitResetInMs).toBeNull();
    healthy.b = false; // held open by the failed check: no reset due
    await clock.advance('1s');
    expect(db.getStats().b.circuit).toBe('open');
    expect(db.metrics().b.circuitResetInMs).toBeNull();
  });

  test('on real time, timestamps are wall-clock milliseconds', async () => {
    const db = make({ connections: { a: {} }, healthCheck: { checks: { a: () => false } } });
    const before = Date.now();
    const changed = new Promise((resolve) => db.once('health:changed', resolve));
    await db.connect();
    const event = await changed;
    const after = Date.now();
    const m = db.metrics().a;
    // Epoch milliseconds, not the loop's monotonic clock (the tolerance only absorbs
    // the loop's cached time; a wrong time base is off by years).
    expect(m.lastCheckAt).toBeGreaterThanOrEqual(before - 1000);
    expect(m.lastCheckAt).toBeLessThanOrEqual(after + 1000);
    expect(m.transitions).toHaveLength(1);
    expect(Math.abs(m.transitions[0].timestamp - event.timestamp)).toBeLessThanOrEqual(1000);
  });
});
