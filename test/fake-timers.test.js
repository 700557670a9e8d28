'use strict';
// Jest's modern fake timers (@sinonjs/fake-timers) drive every orchestrator timer,
// with no ManualClock: circuit resets, health rounds, check timeouts, check retries
// and execute() deadlines fire when the test advances time, exactly when real time
// would fire them. Each behaviour runs with everything faked, with `performance`
// left real (time then moves as the fired timers say), and with `Date` and
// `performance` both left real. test/vitest/ has the same with Vitest's.
const { Orchestrator } = require('..');
const { record } = require('./helpers');

const MODES = [
  ['everything faked', {}, true],
  ['performance not faked', { doNotFake: ['performance'] }, true],
  ['Date and performance not faked', { doNotFake: ['Date', 'performance'] }, false],
];

describe.each(MODES)('jest.useFakeTimers(): %s', (mode, config, dateFaked) => {
  let made;

  beforeEach(() => {
    jest.useFakeTimers(config);
    made = [];
  });

  afterEach(async () => {
    const closing = Promise.all(made.map((db) => db.disconnect()));
    await jest.runOnlyPendingTimersAsync();
    await closing;
    jest.useRealTimers();
  });

  function make(options) {
    const db = new Orchestrator(options);
    made.push(db);
    return db;
  }

  /** A promise's state as the test sees it, updated as it settles. */
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

  test('an open circuit goes half-open after resetTimeout, with no traffic and no monitoring', async () => {
    const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '10s' } });
    const events = record(db, ['circuit:open', 'circuit:half-open']);
    await openCircuit(db, 'pg');
    jest.advanceTimersByTime(9999);
    expect(events.names()).toEqual(['circuit:open']);
    jest.advanceTimersByTime(1);
    expect(events.names()).toEqual(['circuit:open', 'circuit:half-open']);
    expect(db.getStats().pg.circuit).toBe('half-open');
  });

  test('while connected too: the reset fires amid health rounds', async () => {
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '3s', checks: { pg: () => true } },
      circuitBreaker: { threshold: 1, resetTimeout: '10s' },
    });
    const events = record(db, ['circuit:half-open']);
    await db.connect();
    await openCircuit(db, 'pg');
    await jest.advanceTimersByTimeAsync(9999);
    expect(events).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(events.names()).toEqual(['circuit:half-open']);
  });

  test('health rounds run every interval', async () => {
    let checks = 0;
    const db = make({ connections: { pg: {} }, healthCheck: { interval: '1s', checks: { pg: () => { checks++; return true; } } } });
    await db.connect();
    expect(checks).toBe(1); // the first round runs inside connect()
    await jest.advanceTimersByTimeAsync(999);
    expect(checks).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(checks).toBe(2);
    await jest.advanceTimersByTimeAsync(5000);
    expect(checks).toBe(7);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(checks).toBe(67);
  });

  test('a hanging check times out after healthCheck.timeout', async () => {
    const signals = [];
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '10s', timeout: '2s', checks: { pg: (client, { signal }) => { signals.push(signal); return new Promise(() => {}); } } },
    });
    const errors = record(db, ['error']);
    const connected = watch(db.connect());
    await jest.advanceTimersByTimeAsync(1999);
    expect(connected.settled).toBe(false);
    expect(signals[0].aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(connected).toEqual({ settled: true, value: undefined, error: undefined });
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason.code).toBe('OMNIDB_TIMEOUT');
    expect(errors.of('error').map((e) => e.context)).toEqual(['health-check']);
    expect(db.metrics().pg.healthCheck.timeouts).toBe(1);
  });

  test('a failed check is retried only after retry.delay', async () => {
    let checks = 0;
    const db = make({
      connections: { pg: {} },
      healthCheck: { interval: '1m', timeout: '1s', retry: { retries: 2, delay: '500ms' }, checks: { pg: () => { checks++; return false; } } },
    });
    const events = record(db, ['health:changed']);
    // connect() settles once the connection has its verdict, retries included.
    const connected = watch(db.connect());
    await jest.advanceTimersByTimeAsync(0);
    expect(checks).toBe(1);
    await jest.advanceTimersByTimeAsync(499);
    expect(checks).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(checks).toBe(2);
    await jest.advanceTimersByTimeAsync(499);
    expect(checks).toBe(2);
    expect(connected.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(checks).toBe(3);
    expect(connected.settled).toBe(true);
    expect(events.of('health:changed').map((e) => e.current)).toEqual(['unhealthy']);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(checks).toBe(3); // no more retries: the next try is the next round
  });

  test("execute() { timeout: '5s' } rejects with OMNIDB_TIMEOUT at 5000 ms, not at 4999", async () => {
    const db = make({ connections: { pg: {} } });
    const call = watch(db.execute('pg', () => new Promise(() => {}), { timeout: '5s' }));
    await jest.advanceTimersByTimeAsync(4999);
    expect(call.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(call.settled).toBe(true);
    expect(call.error.code).toBe('OMNIDB_TIMEOUT');
  });

  test('execute() deadlines started at different times each fire on time', async () => {
    const db = make({ connections: { pg: {} } });
    const first = watch(db.execute('pg', () => new Promise(() => {}), { timeout: 300 }));
    await jest.advanceTimersByTimeAsync(100);
    const second = watch(db.execute('pg', () => new Promise(() => {}), { timeout: 100 }));
    const third = watch(db.execute('pg', () => new Promise(() => {}), { timeout: '1s' }));
    await jest.advanceTimersByTimeAsync(99);
    expect([first.settled, second.settled, third.settled]).toEqual([false, false, false]);
    await jest.advanceTimersByTimeAsync(1); // 200: the second
    expect([first.settled, second.settled, third.settled]).toEqual([false, true, false]);
    await jest.advanceTimersByTimeAsync(99);
    expect(first.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1); // 300: the first
    expect([first.settled, third.settled]).toEqual([true, false]);
    await jest.advanceTimersByTimeAsync(799);
    expect(third.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1); // 1100: the third
    expect(third.error.code).toBe('OMNIDB_TIMEOUT');
  });

  test('a call that answers before its deadline resolves, and its deadline is gone', async () => {
    const db = make({ connections: { pg: {} } });
    let answer;
    const call = watch(db.execute('pg', () => new Promise((resolve) => { answer = resolve; }), { timeout: '5s' }));
    await jest.advanceTimersByTimeAsync(4000);
    answer('rows');
    await jest.advanceTimersByTimeAsync(2000);
    expect(call).toEqual({ settled: true, value: 'rows', error: undefined });
    expect(jest.getTimerCount()).toBe(0);
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
    jest.runOnlyPendingTimers(); // the deadline (5s) and the core's next wake-up (the round at 30s)
    await Promise.resolve();
    expect(call.error.code).toBe('OMNIDB_TIMEOUT');
    expect(checks).toBe(2);
    expect(events).toHaveLength(0);
    await jest.runOnlyPendingTimersAsync(); // 60s: the next round and the reset
    expect(checks).toBe(3);
    expect(events.names()).toEqual(['circuit:half-open']);
  });

  test('an orchestrator with nothing pending leaves no timer behind', async () => {
    const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '1s' } });
    expect(jest.getTimerCount()).toBe(0);
    await openCircuit(db, 'pg');
    expect(jest.getTimerCount()).toBe(1);
    await db.disconnect();
    expect(jest.getTimerCount()).toBe(0);
  });

  if (dateFaked) {
    test('event timestamps and metrics times are the faked Date.now()', async () => {
      jest.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      const t0 = Date.now();
      const db = make({
        connections: { pg: {} },
        healthCheck: { interval: '5s', checks: { pg: () => true } },
        circuitBreaker: { threshold: 1, resetTimeout: '10s' },
      });
      const events = record(db);
      await db.connect();
      await jest.advanceTimersByTimeAsync(2000);
      await openCircuit(db, 'pg');
      await jest.advanceTimersByTimeAsync(10_000);
      expect(events).toEqual([
        ['connected', { name: 'pg', timestamp: t0 }],
        ['circuit:open', { name: 'pg', reason: 'failure-threshold', timestamp: t0 + 2000 }],
        ['circuit:half-open', { name: 'pg', timestamp: t0 + 12_000 }],
      ]);
      expect(db.metrics().pg.lastCheckAt).toBe(t0 + 10_000); // the round at 10s
    });

    test('setSystemTime() moves the timestamps, not the timers', async () => {
      const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '10s' } });
      const events = record(db, ['circuit:half-open']);
      await openCircuit(db, 'pg');
      jest.advanceTimersByTime(5000);
      jest.setSystemTime(Date.now() + 86_400_000); // a day ahead
      jest.advanceTimersByTime(4999);
      expect(events).toHaveLength(0);
      jest.advanceTimersByTime(1);
      expect(events).toEqual([['circuit:half-open', { name: 'pg', timestamp: Date.now() }]]);
      jest.setSystemTime(Date.now() - 3 * 86_400_000); // and back, past where it started
      const call = watch(db.execute('pg', () => new Promise(() => {}), { timeout: 100 }));
      jest.advanceTimersByTime(99);
      await Promise.resolve();
      expect(call.settled).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(call.error.code).toBe('OMNIDB_TIMEOUT');
    });
  } else {
    test('event timestamps are the real Date.now()', async () => {
      const before = Date.now();
      const db = make({ connections: { pg: {} }, circuitBreaker: { threshold: 1, resetTimeout: '10s' } });
      const events = record(db, ['circuit:open', 'circuit:half-open']);
      await openCircuit(db, 'pg');
      jest.advanceTimersByTime(10_000);
      const after = Date.now();
      expect(events.names()).toEqual(['circuit:open', 'circuit:half-open']);
      for (const [, { timestamp }] of events) {
        expect(timestamp).toBeGreaterThanOrEqual(before);
        expect(timestamp).toBeLessThanOrEqual(after);
      }
    });
  }
});

describe('around fake timers', () => {
  afterEach(() => jest.useRealTimers());

  test('real timers again after fake ones: the clock never goes back and deadlines still fire', async () => {
    const db = new Orchestrator({ connections: { pg: {} } });
    jest.useFakeTimers();
    await db.execute('pg', async () => 1, { timeout: '1s' });
    jest.advanceTimersByTime(60_000);
    jest.useRealTimers();
    const started = Date.now();
    const err = await db.execute('pg', () => new Promise(() => {}), { timeout: 50 }).catch((e) => e);
    expect(err.code).toBe('OMNIDB_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await db.disconnect();
  });
});
