'use strict';
// circuitBreaker.use: opossum 10 in-process, cockatiel 4 (ESM-only) in a child process.
const path = require('path');
const { once } = require('events');
const { execFileSync } = require('child_process');
const CircuitBreaker = require('opossum');
const { CircuitOpenError } = require('..');
const { useOrchestrators, ManualClock, record, settle } = require('./helpers');

const make = useOrchestrators();

const breakers = [];
afterEach(() => {
  for (const b of breakers.splice(0)) b.shutdown();
});

function opossum(options = {}) {
  const breaker = new CircuitBreaker(async (fn) => fn(), {
    timeout: false, errorThresholdPercentage: 50, volumeThreshold: 2, resetTimeout: 60000, ...options,
  });
  breakers.push(breaker);
  return breaker;
}

describe('opossum', () => {
  test('calls go through fire(), with the client and ctx, and return the result', async () => {
    const breaker = opossum();
    const fire = jest.spyOn(breaker, 'fire');
    const client = { id: 'pg' };
    const db = make({ connections: { pg: client }, circuitBreaker: { use: breaker } });
    const result = await db.execute('pg', (c, ctx) => ({ c, name: ctx.name }));
    expect(result).toEqual({ c: client, name: 'pg' });
    expect(fire).toHaveBeenCalledTimes(1);
    expect(breaker.stats.successes).toBe(1);
  });

  test("fn's error is rethrown as the same object and counted by the breaker", async () => {
    const breaker = opossum({ volumeThreshold: 100 });
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const err = new Error('ECONNRESET');
    const r = await settle(db.execute('pg', async () => { throw err; }));
    expect(r.error).toBe(err);
    expect(breaker.stats.failures).toBe(1);
    const sync = new Error('sync');
    const r2 = await settle(db.execute('pg', () => { throw sync; }));
    expect(r2.error).toBe(sync);
    expect(breaker.stats.failures).toBe(2);
  });

  test('its open state rejects with CircuitOpenError without calling fn, and emits circuit:open', async () => {
    const breaker = opossum();
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open']);
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    expect(breaker.opened).toBe(true);
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'external', timestamp: expect.any(Number) }]);
    expect(db.getStats().pg.circuit).toBe('open');
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(fn).not.toHaveBeenCalled();
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(r.error.code).toBe('OMNIDB_CIRCUIT_OPEN');
    expect(r.error.message).toContain('Connection "pg" is unavailable');
    expect(r.error.message).toContain('Circuit open for "pg"');
    expect(() => db.get('pg')).toThrow(CircuitOpenError);
  });

  test('opened directly on the breaker, calls are rejected too', async () => {
    const breaker = opossum();
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    breaker.open();
    const r = await settle(db.execute('pg', () => 1));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    breaker.close();
    await expect(db.execute('pg', () => 2)).resolves.toBe(2);
  });

  test("opossum's half-open and close are relayed as circuit:half-open and circuit:close", async () => {
    const breaker = opossum({ resetTimeout: 20 });
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open', 'circuit:half-open', 'circuit:close']);
    const halfOpen = once(db, 'circuit:half-open');
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    const [payload] = await halfOpen;
    expect(payload).toEqual({ name: 'pg', timestamp: expect.any(Number) });
    expect(db.getStats().pg.circuit).toBe('half-open');
    await expect(db.execute('pg', () => 'trial')).resolves.toBe('trial');
    expect(db.getStats().pg.circuit).toBe('closed');
    expect(events.names()).toEqual(['circuit:open', 'circuit:half-open', 'circuit:close']);
  });

  test('half-open primary with a backup: its breaker gets the trial, the backup every call the breaker refuses', async () => {
    const breakerOf = { primary: opossum({ resetTimeout: 20 }), replica: opossum() };
    const db = make({
      connections: { primary: { id: 'p' }, replica: { id: 'r' } },
      failover: { primary: 'replica' },
      circuitBreaker: { use: (name) => breakerOf[name] },
    });
    const events = record(db, ['failover', 'recovery']);
    const halfOpen = once(db, 'circuit:half-open');
    await settle(db.execute('primary', () => Promise.reject(new Error('a'))));
    await settle(db.execute('primary', () => Promise.reject(new Error('b'))));
    expect(db.getStats().primary.failoverTo).toBe('replica');
    await halfOpen;
    // opossum lets one trial through while half-open; the others it refuses run on the replica
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const trial = db.execute('primary', async (c) => { await gate; return c.id; });
    const others = await Promise.all([1, 2, 3].map(() => db.execute('primary', (c) => c.id)));
    expect(others).toEqual(['r', 'r', 'r']);
    release();
    await expect(trial).resolves.toBe('p');
    expect(db.getStats().primary.circuit).toBe('closed');
    expect(events.names()).toEqual(['failover', 'recovery']);
  });

  test('an unhealthy check opens the breaker; recovery closes it, with one event each', async () => {
    const clock = new ManualClock();
    const breaker = opossum();
    let healthy = true;
    const db = make({
      connections: { pg: {} }, clock, circuitBreaker: { use: breaker },
      healthCheck: { interval: '10s', checks: { pg: () => healthy } },
    });
    const events = record(db, ['circuit:open', 'circuit:close']);
    await db.connect();
    healthy = false;
    await clock.advance('10s');
    expect(breaker.opened).toBe(true);
    expect(db.getStats().pg).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    const fn = jest.fn();
    const r = await settle(db.execute('pg', fn));
    expect(r.error).toBeInstanceOf(CircuitOpenError);
    expect(fn).not.toHaveBeenCalled();
    healthy = true;
    await clock.advance('10s');
    expect(breaker.opened).toBe(false);
    expect(breaker.closed).toBe(true);
    expect(db.getStats().pg.circuit).toBe('closed');
    await expect(db.execute('pg', () => 'back')).resolves.toBe('back');
    expect(events.of('circuit:open')).toEqual([{ name: 'pg', reason: 'health-check-failed', timestamp: 10000 }]);
    expect(events.of('circuit:close')).toEqual([{ name: 'pg', reason: 'health-recovered', timestamp: 20000 }]);
  });

  test('the per-connection factory form: use(name) returns each connection its own breaker', async () => {
    const made = {};
    const use = jest.fn((name) => { made[name] = opossum(); return made[name]; });
    const db = make({ connections: { pg: {}, redis: {} }, circuitBreaker: { use } });
    expect(use.mock.calls).toEqual([['pg'], ['redis']]);
    await settle(db.execute('pg', () => Promise.reject(new Error('a'))));
    await settle(db.execute('pg', () => Promise.reject(new Error('b'))));
    expect(made.pg.opened).toBe(true);
    expect(made.redis.opened).toBe(false);
    expect(db.getStats().pg.circuit).toBe('open');
    expect(db.getStats().redis.circuit).toBe('closed');
    await expect(db.execute('pg', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(db.execute('redis', () => 'ok')).resolves.toBe('ok');
  });

  test('an open external breaker on the primary fails over to the backup', async () => {
    const made = {};
    const db = make({
      connections: { primary: {}, replica: {} },
      failover: { primary: 'replica' },
      circuitBreaker: { use: (name) => { made[name] = opossum(); return made[name]; } },
    });
    const events = record(db, ['failover', 'recovery']);
    made.primary.open();
    expect(events.of('failover')).toEqual([{ primary: 'primary', backup: 'replica', timestamp: expect.any(Number) }]);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('replica');
    made.primary.close();
    expect(events.of('recovery')).toHaveLength(1);
    await expect(db.execute('primary', (_, ctx) => ctx.name)).resolves.toBe('primary');
  });

  test('a single breaker shared by every connection speaks for all of them', async () => {
    const breaker = opossum();
    const db = make({ connections: { a: {}, b: {} }, circuitBreaker: { use: breaker } });
    const events = record(db, ['circuit:open']);
    breaker.open();
    expect(events.of('circuit:open').map((e) => e.name)).toEqual(['a', 'b']);
    await expect(db.execute('b', () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  test('disconnect() removes the listeners it added to the breaker', async () => {
    const breaker = opossum();
    const before = ['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e));
    const db = make({ connections: { pg: {} }, circuitBreaker: { use: breaker } });
    expect(['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e))).not.toEqual(before);
    await db.disconnect();
    expect(['open', 'halfOpen', 'close'].map((e) => breaker.listenerCount(e))).toEqual(before);
  });

  test('a timeout from execute() options still applies', async () => {
    const clock = new ManualClock();
    const breaker = opossum({ volumeThreshold: 100 });
    const db = make({ connections: { pg: {} }, clock, circuitBreaker: { use: breaker } });
    const p = settle(db.execute('pg', () => new Promise(() => {}), { timeout: '1s' }));
    await clock.advance('1s');
    expect((await p).error.code).toBe('OMNIDB_TIMEOUT');
  });
});

describe('cockatiel 4 (ESM-only, run in a child process)', () => {
  let out;
  beforeAll(() => {
    const fixture = path.join(__dirname, 'fixtures', 'cockatiel.mjs');
    const stdout = execFileSync(process.execPath, [fixture], { cwd: path.join(__dirname, '..'), encoding: 'utf8' });
    out = JSON.parse(stdout);
  });

  test('calls go through execute() and return the result with ctx.name', () => {
    expect(out.success).toEqual({ ok: true, value: { client: 'main', name: 'main' } });
    expect(out.executionsAfterSuccess).toBe(1);
  });

  test('failures are rethrown unwrapped, and consecutive failures open it', () => {
    for (const f of out.failures) {
      expect(f).toEqual({ ok: false, name: 'Error', code: null, message: 'boom', isCircuitOpenError: false });
    }
    expect(out.breakerStateAfterFailures).toBe('open');
    expect(out.statsAfterFailures).toEqual({ status: 'healthy', circuit: 'open', failures: 2, failoverTo: null });
    expect(out.events).toEqual([{ event: 'circuit:open', name: 'main', reason: 'external' }]);
  });

  test('its open state rejects with CircuitOpenError without calling fn', () => {
    expect(out.fnCalledWhileOpen).toBe(false);
    expect(out.whileOpen).toEqual({
      ok: false, name: 'CircuitOpenError', code: 'OMNIDB_CIRCUIT_OPEN',
      message: expect.stringContaining('Circuit open for "main"'), isCircuitOpenError: true,
    });
    expect(out.whileOpen.message).toContain('Connection "main" is unavailable');
  });

  test('an unhealthy check isolates it; recovery releases it', () => {
    expect(out.isolatedState).toBe('isolated');
    expect(out.statsWhileUnhealthy).toEqual({ status: 'unhealthy', circuit: 'open', failures: 0, failoverTo: null });
    expect(out.executeWhileUnhealthy).toMatchObject({ ok: false, name: 'CircuitOpenError', isCircuitOpenError: true });
    expect(out.stateAfterRecovery).toBe('closed');
    expect(out.statsAfterRecovery).toEqual({ status: 'healthy', circuit: 'closed', failures: 0, failoverTo: null });
    expect(out.executeAfterRecovery).toEqual({ ok: true, value: 2 });
  });

  test('health opens and closes it with one event each', () => {
    expect(out.healthEvents).toEqual([
      { event: 'circuit:open', name: 'main', reason: 'health-check-failed' },
      { event: 'circuit:close', name: 'main', reason: 'health-recovered' },
    ]);
  });
});

describe('a breaker that throws while being set up is a ConfigError from the constructor', () => {
  const { Orchestrator, ConfigError } = require('..');
  const build = (use) => () => new Orchestrator({ connections: { a: {}, b: {} }, circuitBreaker: { use } });
  const thrownBy = (fn) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  };

  test.each([
    ['the factory throws an Error', () => { throw new Error('no breaker for you'); }, 'the factory use(name) for "a" threw: no breaker for you'],
    ['the factory throws a non-Error', () => { throw Object.create(null); }, 'the factory use(name) for "a" threw: [object Object]'],
    ['the factory returns a breaker whose execute getter throws', () => Object.defineProperty({}, 'execute', { get() { throw new Error('x'); } }), 'External circuit breaker must have execute() or fire() method'],
    ['the breaker\'s on() throws', () => ({ fire: (f) => f(), on() { throw new Error('on'); } }), 'subscribing to the breaker for "a" threw: on'],
    ['the breaker\'s onBreak() throws', () => ({ execute: (f) => f(), onBreak() { throw new Error('onBreak'); } }), 'subscribing to the breaker for "a" threw: onBreak'],
  ])('%s', (_, use, fragment) => {
    const err = thrownBy(build(use));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(fragment);
  });

  test('a breaker object (not a factory) whose on() throws too', () => {
    const err = thrownBy(build({ fire: (f) => f(), on() { throw new Error('on'); } }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.cause.message).toBe('on');
  });
});

test('when a later breaker fails to set up, the listeners added to the earlier ones are removed', () => {
  const { Orchestrator, ConfigError } = require('..');
  const first = opossum();
  const before = first.listenerCount('open');
  const use = (name) => (name === 'a' ? first : { fire: (f) => f(), on() { throw new Error('on'); } });
  expect(() => new Orchestrator({ connections: { a: {}, b: {} }, circuitBreaker: { use } })).toThrow(ConfigError);
  expect(first.listenerCount('open')).toBe(before);
});
