// Vitest's fake timers (its own copy of @sinonjs/fake-timers) drive every
// orchestrator timer with no ManualClock, as test/fake-timers.test.js checks for
// Jest's: circuit resets, health rounds, check timeouts, retries, execute()
// deadlines, runOnlyPendingTimers(), and Date.now() timestamps.
import { createRequire } from 'node:module';
import { describe, test, expect, vi, beforeEach, afterEach } from 'vitest';

const require = createRequire(import.meta.url);
const { Orchestrator } = require('../..');
const { record } = require('../helpers');

const TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'];
const MODES = [
  ['default', undefined, true],
  ['performance not faked', { toFake: [...TIMERS, 'Date'] }, true],
  ['Date and performance not faked', { toFake: TIMERS }, false],
];

describe.each(MODES)('vi.useFakeTimers(): %s', (mode, config, dateFaked) => {
  let made;

  beforeEach(() => {
    vi.useFakeTimers(config);
    made = [];
  });

  afterEach(async () => {
    const closing = Promise.all(made.map((db) => db.disconnect()));
    await vi.runOnlyPendingTimersAsync();
    await closing;
    vi.useRealTimers();
  });

  function make(options) {
    const db = new Orchestrator(options);
    made.push(db);
    return db;
  }

  function watch(promise) {
    const seen = { settled: false, value: undefined, error: undefined };
    promise.then((value) => { seen.settled = true; seen.value = value; },
      (error) => { seen.settled = true; seen.error = error; });
    return seen;
  }

  async function openCircuit(db, name) {
    await db.execute(name, () => Promise.reject(new Error('ECONNRESET'))).catch(() => {});
    expect(db.getStats()[name].circuit).toBe('open');
  }

  test('an open circuit goes half-open after resetTimeout, with no traffic', async () => {
    const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '10s' } });
    const events = record(db, ['circuit:open', 'circuit:half-open']);
    await openCircuit(db, 'pg');
    vi.advanceTimersByTime(9999);
    expect(events.names()).toEqual(['circuit:open']);
    vi.advanceTimersByTime(1);
    expect(events.names()).toEqual(['circuit:open', 'circuit:half-open']);
    expect(db.getStats().pg.circuit).toBe('half-open');
  });

  test('health rounds run every interval', async () => {
    let checks = 0;
    const db = make({ connections: { pg: {} }, healthCheck: { interval: '1s', checks: { pg: () => { checks++; return true; } } } });
    await db.connect();
    expect(checks).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(checks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(checks).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(checks).toBe(7);
  });

  test('a hanging check times out after healthCheck.timeout', async () => {
    const signals = [];
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '10s', timeout: '2s', checks: { pg: (client, { signal }) => { signals.push(signal); return new Promise(() => {}); } } },
    });
    const connected = watch(db.connect());
    await vi.advanceTimersByTimeAsync(1999);
    expect(connected.settled).toBe(false);
    expect(signals[0].aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(connected.settled).toBe(true);
    expect(signals[0].reason.code).toBe('OMNIDB_TIMEOUT');
    expect(db.metrics().pg.healthCheck.timeouts).toBe(1);
  });

  test('a failed check is retried only after retry.delay', async () => {
    let checks = 0;
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '1m', timeout: '1s', retry: { retries: 2, delay: '500ms' }, checks: { pg: () => { checks++; return false; } } },
    });
    // connect() settles once the connection has its verdict, retries included.
    const connected = watch(db.connect());
    await vi.advanceTimersByTimeAsync(0);
    expect(checks).toBe(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(checks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(checks).toBe(2);
    await vi.advanceTimersByTimeAsync(499);
    expect(checks).toBe(2);
    expect(connected.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(checks).toBe(3);
    expect(connected.settled).toBe(true);
    expect(db.health().pg.status).toBe('unhealthy');
  });

  test("execute() { timeout: '5s' } rejects with OMNIDB_TIMEOUT at 5000 ms, not at 4999", async () => {
    const db = make({ connections: { pg: {} } });
    const call = watch(db.execute('pg', () => new Promise(() => {}), { timeout: '5s' }));
    await vi.advanceTimersByTimeAsync(4999);
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.error.code).toBe('OMNIDB_TIMEOUT');
  });

  test('runOnlyPendingTimers() fires the pending reset, round and deadline', async () => {
    let checks = 0;
    const db = make({
      connections: { pg: {}, redis: {} },
      healthCheck: { interval: '30s', checks: { redis: () => { checks++; return true; } } },
      circuitBreaker: { threshold: 1, resetTimeout: '1m' },
    });
    const events = record(db, ['circuit:half-open']);
    await db.connect();
    await openCircuit(db, 'pg');
    const call = watch(db.execute('redis', () => new Promise(() => {}), { timeout: '5s' }));
    vi.runOnlyPendingTimers();
    await Promise.resolve();
    expect(call.error.code).toBe('OMNIDB_TIMEOUT');
    expect(checks).toBe(2);
    await vi.runOnlyPendingTimersAsync();
    expect(checks).toBe(3);
    expect(events.names()).toEqual(['circuit:half-open']);
  });

  async function circuitEvents() {
    const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '10s' } });
    const events = record(db, ['circuit:open', 'circuit:half-open']);
    await openCircuit(db, 'pg');
    vi.advanceTimersByTime(10_000);
    expect(events.names()).toEqual(['circuit:open', 'circuit:half-open']);
    return events.map(([, payload]) => payload.timestamp);
  }

  if (dateFaked) {
    test('event timestamps are the faked Date.now()', async () => {
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      const t0 = Date.now();
      expect(await circuitEvents()).toEqual([t0, t0 + 10_000]);
    });
  } else {
    test('event timestamps are the real Date.now()', async () => {
      const before = Date.now();
      const [open, halfOpen] = await circuitEvents();
      expect(open).toBeGreaterThanOrEqual(before);
      expect(halfOpen).toBeGreaterThanOrEqual(open);
      expect(halfOpen).toBeLessThanOrEqual(Date.now());
    });
  }
});
