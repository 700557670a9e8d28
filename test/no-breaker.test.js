'use strict';
// Without a `circuitBreaker` key there is no breaker (CONTRACT "Circuit breaker"):
// circuit 'n/a', execute() unguarded, recordSuccess/recordFailure no-ops, failover by
// health alone. `circuitBreaker: true` or an object turns the built-in one on.
const { CircuitOpenError, ConfigError } = require('..');
const { useOrchestrators, ManualClock, record, settle } = require('./helpers');

const make = useOrchestrators();

const CIRCUIT_EVENTS = ['circuit:open', 'circuit:half-open', 'circuit:close'];

/** primary → replica on a ManualClock, checks answering `health`, interval 10s. */
function setup(extra = {}) {
  const clock = new ManualClock();
  const health = { primary: true, replica: true };
  const db = make({
    connections: { primary: { id: 'primary' }, replica: { id: 'replica' } },
    failover: { primary: 'replica' },
    clock,
    healthCheck: { interval: '10s', timeout: '1s', checks: { primary: () => health.primary, replica: () => health.replica } },
    ...extra,
  });
  const events = record(db, ['health:changed', 'failover', 'recovery', ...CIRCUIT_EVENTS]);
  return { db, clock, health, events };
}

const down = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

describe.each([
  ['no circuitBreaker key', {}],
  ['circuitBreaker: false', { circuitBreaker: false }],
  ['circuitBreaker: undefined', { circuitBreaker: undefined }],
])('%s: no breaker', (_, config) => {
  test("getStats(), metrics() and health() report circuit 'n/a' and no failures", async () => {
    const { db } = setup(config);
    await db.connect();
    expect(db.getStats()).toEqual({
      primary: { status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null },
      replica: { status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null },
    });
    for (let i = 0; i < 3; i++) await settle(db.execute('primary', down));
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null });
    const m = db.metrics().primary;
    expect(m.circuit).toBe('n/a');
    expect(m.failures).toBe(0);
    expect(m.calls.failures).toBe(3); // the call metrics still count what happened
    expect(db.health().primary).toEqual({ status: 'healthy' });
  });

  test('execute() runs fn unguarded: it never rejects with CircuitOpenError, however many calls fail', async () => {
    const { db, events } = setup(config);
    await db.connect();
    const fn = jest.fn(down);
    for (let i = 0; i < 50; i++) {
      const r = await settle(db.execute('primary', fn));
      expect(r.error.code).toBe('ECONNREFUSED');
    }
    expect(fn).toHaveBeenCalledTimes(50);
    await expect(db.execute('primary', (c) => c.id)).resolves.toBe('primary');
    await expect(db.execute('primary', (c) => c.id, { failover: false })).resolves.toBe('primary');
    await expect(db.execute('primary', (c) => c.id, { timeout: '1s' })).resolves.toBe('primary');
    expect(events.names()).toEqual([]);
  });

  test('a timed-out call rejects with OMNIDB_TIMEOUT and opens nothing', async () => {
    const { db, clock, events } = setup(config);
    await db.connect();
    for (let i = 0; i < 6; i++) {
      const p = settle(db.execute('primary', () => new Promise(() => {}), { timeout: '100ms' }));
      await clock.advance('100ms');
      expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
    }
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null });
    expect(events.names()).toEqual([]);
  });

  test('recordSuccess() and recordFailure() do nothing, for any name', async () => {
    const { db, events } = setup(config);
    await db.connect();
    for (let i = 0; i < 10; i++) {
      expect(db.recordFailure('primary')).toBeUndefined();
      expect(db.recordFailure('primary', new Error('ECONNRESET'))).toBeUndefined();
    }
    expect(db.recordSuccess('primary')).toBeUndefined();
    expect(() => db.recordFailure('nope')).not.toThrow();
    expect(() => db.recordSuccess('nope')).not.toThrow();
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'n/a', failures: 0, failoverTo: null });
    expect(events.names()).toEqual([]);
    expect(db.get('primary').id).toBe('primary');
  });

  test('get(name) never throws CircuitOpenError, even for an unhealthy connection with no usable backup', async () => {
    const { db, clock, health } = setup(config);
    await db.connect();
    for (let i = 0; i < 10; i++) db.recordFailure('primary');
    expect(db.get('primary').id).toBe('primary');
    health.primary = false;
    health.replica = false;
    await clock.advance('10s');
    expect(db.health().primary.status).toBe('unhealthy');
    expect(() => db.get('primary')).not.toThrow();
    expect(db.get('primary').id).toBe('primary'); // nothing usable: the primary itself
    await expect(db.execute('primary', (c) => c.id)).resolves.toBe('primary');
  });

  test('failover follows health: failover and recovery at the health transitions, no circuit events', async () => {
    const { db, clock, health, events } = setup(config);
    await db.connect();
    health.primary = false;
    await clock.advance('10s');
    expect(events.names()).toEqual(['health:changed', 'failover']);
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 10000 }]);
    expect(db.getStats().primary).toEqual({ status: 'unhealthy', circuit: 'n/a', failures: 0, failoverTo: 'replica' });
    expect(db.get('primary').id).toBe('replica');
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('replica');
    // Pinned calls still go to the primary itself, unguarded.
    await expect(db.execute('primary', (_, ctx) => ctx.name, { failover: false })).resolves.toBe('primary');
    health.primary = 'degraded';
    await clock.advance('10s');
    expect(events.names()).toEqual(['health:changed', 'failover', 'health:changed', 'recovery']);
    expect(events.of('recovery')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: 20000 }]);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('primary');
    expect(events.names().filter((e) => e.startsWith('circuit:'))).toEqual([]);
  });

  test('failing calls alone never move a name to its backup', async () => {
    const { db, events } = setup(config);
    await db.connect();
    for (let i = 0; i < 20; i++) await settle(db.execute('primary', down));
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('primary');
    expect(events.names()).toEqual([]);
  });

  test('an idempotent call still retries on the backup after a connection error', async () => {
    const { db } = setup(config);
    await db.connect();
    const seen = [];
    const result = await db.execute('primary', (c) => {
      seen.push(c.id);
      return c.id === 'primary' ? down() : 'from replica';
    }, { idempotent: true });
    expect(result).toBe('from replica');
    expect(seen).toEqual(['primary', 'replica']);
  });

  test("the Prometheus circuit gauge says 'n/a'", () => {
    const { db } = setup(config);
    const text = db.prometheus();
    expect(text).toContain('omnidb_circuit_state{connection="primary",state="n/a"} 1');
    for (const state of ['closed', 'open', 'half-open']) {
      expect(text).toContain(`omnidb_circuit_state{connection="primary",state="${state}"} 0`);
    }
    expect(text).toContain('omnidb_consecutive_failures{connection="primary"} 0');
  });
});

describe.each([
  ['circuitBreaker: true', true],
  ['circuitBreaker: {}', {}],
])('%s: the built-in breaker with its defaults', (_, circuitBreaker) => {
  test("circuit 'closed'; 5 consecutive failures open it; half-open after 30s; 2 successes close it", async () => {
    const { db, clock, events } = setup({ circuitBreaker });
    await db.connect();
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
    for (let i = 0; i < 4; i++) await settle(db.execute('primary', down, { failover: false }));
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'closed', failures: 4, failoverTo: null });
    await settle(db.execute('primary', down, { failover: false }));
    expect(db.getStats().primary).toEqual({ status: 'healthy', circuit: 'open', failures: 5, failoverTo: 'replica' });
    expect(events.of('circuit:open')).toEqual([{ name: 'primary', reason: 'failure-threshold', timestamp: 0 }]);
    const fn = jest.fn();
    const r = await settle(db.execute('primary', fn, { failover: false }));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
    await clock.advance('29s');
    expect(db.getStats().primary.circuit).toBe('open');
    await clock.advance('1s');
    expect(db.getStats().primary.circuit).toBe('half-open');
    await db.execute('primary', () => 1, { failover: false });
    await db.execute('primary', () => 2, { failover: false });
    expect(db.getStats().primary.circuit).toBe('closed');
  });

  test('recordFailure() counts; a failed health check opens the circuit', async () => {
    const { db, clock, health, events } = setup({ circuitBreaker });
    await db.connect();
    db.recordFailure('primary');
    expect(db.getStats().primary.failures).toBe(1);
    expect(() => db.recordFailure('nope')).toThrow(/nope/);
    health.primary = false;
    await clock.advance('10s');
    expect(events.of('circuit:open')).toEqual([{ name: 'primary', reason: 'health-check-failed', timestamp: 10000 }]);
  });
});

test('an object with only isFailure turns the built-in breaker on', () => {
  const db = make({ connections: { a: {} }, circuitBreaker: { isFailure: () => true } });
  expect(db.getStats().a.circuit).toBe('closed');
});

test.each([
  ['a string', 'yes', "'yes'"],
  ['null', null, 'null'],
  ['a number', 1, '1'],
  ['an array', [], 'an array'],
])('circuitBreaker set to %s is a ConfigError naming what is valid', (_, value, shown) => {
  let error;
  try {
    make({ connections: { a: {} }, circuitBreaker: value });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.message).toContain('circuitBreaker');
  expect(error.message).toContain('true');
  expect(error.message).toContain('false');
  expect(error.message).toContain(shown);
});
